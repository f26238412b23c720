"""Reading and writing file descriptors: read/write and their vectored and
positional forms, lseek, close. Guest descriptors are host descriptors."""
import os

from ...memory.space import PROT_READ, PROT_WRITE
from ..argtypes import Enum, Fd, InBuf, Int, Long, OutBuf, Ptr, Size
from ..registry import syscall
from .hostcall import call, guest_address
from .hosttypes import host_iovecs


# Raw host calls on host addresses of (checked) guest buffers: zero copies, and
# EINTR comes back to the dispatcher, which restarts or fails the call as the
# guest's signal dispositions say (Python's os.read would retry by itself).

@syscall
def read(t, fd: Fd, buf: OutBuf, count: Size):
    special = t.process.special_fds.get(fd)
    if special is not None:
        return special.read(t, buf, count)
    addr = guest_address(t, buf, count, PROT_WRITE)
    with t.unlocked():
        return call("read", fd, addr, count)


@syscall
def write(t, fd: Fd, buf: InBuf("count"), count: Size):
    addr = guest_address(t, buf, count, PROT_READ)
    with t.unlocked():
        return call("write", fd, addr, count)


@syscall
def pread64(t, fd: Fd, buf: OutBuf, count: Size, offset: Long):
    addr = guest_address(t, buf, count, PROT_WRITE)
    with t.unlocked():
        return call("pread64", fd, addr, count, offset)


@syscall
def pwrite64(t, fd: Fd, buf: InBuf("count"), count: Size, offset: Long):
    addr = guest_address(t, buf, count, PROT_READ)
    with t.unlocked():
        return call("pwrite64", fd, addr, count, offset)


@syscall
def readv(t, fd: Fd, iov: Ptr, iovcnt: Int):
    vec = host_iovecs(t, iov, iovcnt, PROT_WRITE)
    with t.unlocked():
        return call("readv", fd, vec, iovcnt)


@syscall
def writev(t, fd: Fd, iov: Ptr, iovcnt: Int):
    vec = host_iovecs(t, iov, iovcnt, PROT_READ)
    with t.unlocked():
        return call("writev", fd, vec, iovcnt)


@syscall
def preadv(t, fd: Fd, iov: Ptr, iovcnt: Int, offset: Long):
    vec = host_iovecs(t, iov, iovcnt, PROT_WRITE)
    with t.unlocked():
        return call("preadv", fd, vec, iovcnt, offset & 0xFFFFFFFFFFFFFFFF, offset >> 64)


@syscall
def pwritev(t, fd: Fd, iov: Ptr, iovcnt: Int, offset: Long):
    vec = host_iovecs(t, iov, iovcnt, PROT_READ)
    with t.unlocked():
        return call("pwritev", fd, vec, iovcnt, offset & 0xFFFFFFFFFFFFFFFF, offset >> 64)


Whence = Enum("FILE", "SEEK_")


@syscall
def lseek(t, fd: Fd, offset: Long, whence: Whence):
    return os.lseek(fd, offset, whence)


@syscall
def close(t, fd: Fd):
    t.process.check_fd_owned(fd)
    os.close(fd)
    t.process.forget_fd(fd)
