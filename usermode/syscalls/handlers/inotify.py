"""inotify: inotify_init1, inotify_add_watch, inotify_rm_watch.

The host's inotify on the host path of the guest's (so --rootfs and -L watch
the right file); IN_* event bits are the same on every ABI, and IN_NONBLOCK and
IN_CLOEXEC are the ABI's O_NONBLOCK and O_CLOEXEC. The events the guest reads
are struct inotify_event (int wd, u32 mask, cookie, len, then the name): where
the guest's byte order is not the host's, read() goes through InotifyFd, which
swaps those four fields of each event.
"""
import errno

from ...errors import GuestError
from ...memory.space import PROT_WRITE
from ..argtypes import Fd, Path, UInt
from ..registry import syscall
from .hostcall import HOST_ABI, call, guest_address

IN_DONT_FOLLOW = 0x02000000
EVENT_HEAD = 16


class InotifyFd:
    """read() of an inotify descriptor for a guest of the other byte order."""

    def __init__(self, fd):
        self.fd = fd

    def read(self, t, buf, count):
        addr = guest_address(t, buf, count, PROT_WRITE)
        with t.unlocked():
            got = call("read", self.fd, addr, count)
        data = bytearray(t.space.read(buf, got))
        at = 0
        while at + EVENT_HEAD <= got:
            fields = HOST_ABI.unpack("iIII", bytes(data[at:at + EVENT_HEAD]))
            data[at:at + EVENT_HEAD] = t.abi.pack("iIII", *fields)
            at += EVENT_HEAD + fields[3]
        t.space.write(buf, bytes(data))
        return got


@syscall
def inotify_init(t) -> Fd:
    return inotify_init1(t, 0)


@syscall
def inotify_init1(t, flags: UInt) -> Fd:
    table, host = t.abi.tables.OPEN, HOST_ABI.tables.OPEN
    known = table["O_NONBLOCK"] | table["O_CLOEXEC"]
    if flags & ~known:
        raise GuestError(errno.EINVAL)
    hflags = (host["O_NONBLOCK"] if flags & table["O_NONBLOCK"] else 0) | \
        (host["O_CLOEXEC"] if flags & table["O_CLOEXEC"] else 0)
    fd = call("inotify_init1", hflags)
    if t.abi.endian != HOST_ABI.endian:
        t.process.special_fds[fd] = InotifyFd(fd)
    return fd


@syscall
def inotify_add_watch(t, fd: Fd, path: Path(nofollow=("mask", lambda abi: lambda raw: bool(raw & IN_DONT_FOLLOW))),
                      mask: UInt):
    return call("inotify_add_watch", fd, path, mask)


@syscall
def inotify_rm_watch(t, fd: Fd, wd: UInt):
    call("inotify_rm_watch", fd, wd)
