"""Reading and writing file descriptors: read/write and their vectored and
positional forms, lseek, close. Guest descriptors are host descriptors."""
import errno
import os

from ...errors import GuestError
from ...memory.space import PROT_READ, PROT_WRITE
from ..argtypes import Enum, Fd, InBuf, Int, Long, OutBuf, Ptr, Size
from ..registry import syscall

IOV_MAX = 1024


@syscall
def read(t, fd: Fd, buf: OutBuf, count: Size):
    view = t.space.view(buf, count, PROT_WRITE)
    with t.unlocked():
        return os.readv(fd, [view])


@syscall
def write(t, fd: Fd, buf: InBuf("count"), count: Size):
    view = t.space.view(buf, count, PROT_READ)
    with t.unlocked():
        return os.write(fd, view)


@syscall
def pread64(t, fd: Fd, buf: OutBuf, count: Size, offset: Long):
    view = t.space.view(buf, count, PROT_WRITE)
    with t.unlocked():
        return os.preadv(fd, [view], offset)


@syscall
def pwrite64(t, fd: Fd, buf: InBuf("count"), count: Size, offset: Long):
    view = t.space.view(buf, count, PROT_READ)
    with t.unlocked():
        return os.pwritev(fd, [view], offset)


def iovecs(t, iov, iovcnt, prot):
    """The guest's iovec array as memoryviews of guest memory."""
    if iovcnt < 0 or iovcnt > IOV_MAX:
        raise GuestError(errno.EINVAL)
    wb = t.abi.word_bytes
    raw = t.space.read(iov, iovcnt * 2 * wb)
    words = t.abi.unpack(("Q" if wb == 8 else "I") * (2 * iovcnt), raw)
    return [t.space.view(words[2 * i], words[2 * i + 1], prot) for i in range(iovcnt)]


@syscall
def readv(t, fd: Fd, iov: Ptr, iovcnt: Int):
    views = iovecs(t, iov, iovcnt, PROT_WRITE)
    with t.unlocked():
        return os.readv(fd, views)


@syscall
def writev(t, fd: Fd, iov: Ptr, iovcnt: Int):
    views = iovecs(t, iov, iovcnt, PROT_READ)
    with t.unlocked():
        return os.writev(fd, views)


@syscall
def preadv(t, fd: Fd, iov: Ptr, iovcnt: Int, offset: Long):
    views = iovecs(t, iov, iovcnt, PROT_WRITE)
    with t.unlocked():
        return os.preadv(fd, views, offset)


@syscall
def pwritev(t, fd: Fd, iov: Ptr, iovcnt: Int, offset: Long):
    views = iovecs(t, iov, iovcnt, PROT_READ)
    with t.unlocked():
        return os.pwritev(fd, views, offset)


Whence = Enum("FILE", "SEEK_")


@syscall
def lseek(t, fd: Fd, offset: Long, whence: Whence):
    return os.lseek(fd, offset, whence)


@syscall
def close(t, fd: Fd):
    t.process.check_fd_owned(fd)
    os.close(fd)
