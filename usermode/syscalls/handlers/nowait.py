"""Reads and writes the host finishes without blocking, made with the emulator lock held.

A read or write that may block releases the emulator lock around the host call
(`with t.unlocked()`), so other guest threads run meanwhile, and it must be a raw
syscall, so that a signal for the thread interrupts it with EINTR (os.read would
retry by itself). Both cost: the hand-off, a ctypes call, 2-3 us of a 4 KiB pipe
round trip that qemu-user makes in 1.3 us. Most reads and writes do not block
(data is there, room is there), and preadv2/pwritev2 with RWF_NOWAIT say so: they
do the transfer if it can be done at once and fail with EAGAIN otherwise, for
pipes, sockets, ttys and cached files alike (a file type that cannot say, or a
kernel before 4.14, gives EOPNOTSUPP). So the call is first made that way, through
os.preadv/os.pwritev (no ctypes, no EINTR: it never waits), and only when it would
block does the handler take the blocking path.

A transfer cut short differs from the blocking call's in two cases, both finished
here the blocking way: a read of a regular file (or block device) whose data is
only partly cached (a blocking read waits for the rest; a program reading an ELF
header would see a short file), and a write that found room for part of its data
(a blocking write goes on until all is written).
"""
import errno
import os
import stat

from ...memory.space import PROT_READ, PROT_WRITE
from .hostcall import call

RWF_NOWAIT = getattr(os, "RWF_NOWAIT", 8)
_CANNOT_SAY = (errno.EAGAIN, errno.EOPNOTSUPP, errno.EINVAL)  # then the blocking call decides


def read(t, fd, buf, count):
    """read(2) of count bytes into the guest's buf."""
    view = t.space.view(buf, count, PROT_WRITE)  # EFAULT before anything is read
    try:
        got = os.preadv(fd, [view], -1, RWF_NOWAIT)
    except OSError as e:
        if e.errno not in _CANNOT_SAY:
            raise
        with t.unlocked():
            return call("read", fd, t.space.base + buf, count)
    if 0 < got < count and _waits_for_storage(fd):
        got += _rest(t, "read", fd, t.space.base + buf + got, count - got)
    return got


def write(t, fd, buf, count):
    """write(2) of count bytes from the guest's buf."""
    view = t.space.view(buf, count, PROT_READ)
    try:
        got = os.pwritev(fd, [view], -1, RWF_NOWAIT)
    except OSError as e:
        if e.errno not in _CANNOT_SAY:
            raise
        with t.unlocked():
            return call("write", fd, t.space.base + buf, count)
    if 0 < got < count:
        got += _rest(t, "write", fd, t.space.base + buf + got, count - got)
    return got


def _waits_for_storage(fd):
    """A regular file or block device: where a blocking read does not stop short."""
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode) or stat.S_ISBLK(mode)


def _rest(t, name, fd, address, count):
    """The remainder of a transfer that has moved some bytes already, the blocking
    way: what it moves. An error or a signal now is no error of the call, which
    returns what was moved (the kernel returns the partial count too)."""
    try:
        with t.unlocked():
            return call(name, fd, address, count)
    except OSError:
        return 0
