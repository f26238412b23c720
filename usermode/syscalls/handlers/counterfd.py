"""eventfd and timerfd for a guest of the other byte order: the kernel reads and
writes their counters as 8-byte integers in the task's own order, so for a
big-endian guest on this little-endian host each read and write is turned around.
(A descriptor duplicated with dup keeps the host's order, as signalfd's do.)"""
import ctypes
import errno

from ...errors import GuestError
from ...memory.space import PROT_WRITE
from .hostcall import call


class CounterFd:
    def __init__(self, fd):
        self.fd = fd

    def read(self, t, buf, count):
        if count < 8:
            raise GuestError(errno.EINVAL)
        t.space.check(buf, 8, PROT_WRITE)
        cell = ctypes.c_uint64()
        with t.unlocked():  # blocks until the counter is non-zero (or the timer expired)
            call("read", self.fd, ctypes.byref(cell), 8)
        t.space.write(buf, t.abi.pack("Q", cell.value))
        return 8

    def write(self, t, buf, count):
        if count < 8:
            raise GuestError(errno.EINVAL)
        cell = ctypes.c_uint64(t.abi.unpack("Q", t.space.read(buf, 8))[0])
        with t.unlocked():  # blocks while the counter would overflow
            return call("write", self.fd, ctypes.byref(cell), 8)


def track(t, fd):
    """fd, registered for byte-order turning where the guest's order is not the host's."""
    if t.abi.endian != "little":
        t.process.special_fds[fd] = CounterFd(fd)
    return fd
