"""eventfd and timerfd descriptors of a guest whose byte order is not the host's.

What read() gives on them (and eventfd's write() takes) is one 8-byte counter in
the kernel's byte order: the host's here, the guest's on its own kernel. Such a
descriptor's reads and writes go through here (process.special_fds), which
turns each 8-byte word around; on a guest of the host's byte order nothing does.
"""
import ctypes

from ...memory.space import PROT_READ, PROT_WRITE
from .hostcall import call, guest_address

HOST_ORDER = "little"


def _swapped(data):
    whole = len(data) - len(data) % 8
    out = bytearray(data)
    for i in range(0, whole, 8):
        out[i:i + 8] = data[i:i + 8][::-1]
    return bytes(out)


class SwappedCounters:
    def __init__(self, fd):
        self.fd = fd

    def read(self, t, buf, count):
        addr = guest_address(t, buf, count, PROT_WRITE)
        with t.unlocked():
            got = call("read", self.fd, addr, count)
        if got > 0:
            t.space.write(buf, _swapped(t.space.read(buf, got)))
        return got

    def write(self, t, buf, count):
        guest_address(t, buf, count, PROT_READ)
        data = ctypes.create_string_buffer(_swapped(t.space.read(buf, count)), count)
        with t.unlocked():
            return call("write", self.fd, data, count)


def counter_fd(t, fd):
    """A new eventfd or timerfd: its counters turned around for the guest where needed."""
    if t.abi.endian != HOST_ORDER:
        t.process.special_fds[fd] = SwappedCounters(fd)
    return fd
