"""Reading and writing file descriptors: read/write and their vectored and
positional forms, lseek, close. Guest descriptors are host descriptors."""
import errno
import os

from ...errors import GuestError
from ...memory.space import PROT_READ, PROT_WRITE
from ..argtypes import Enum, Fd, InBuf, Int, Long, Off64, OutBuf, Ptr, Size, SplitOff, UInt
from ..registry import syscall
from . import nowait
from .hostcall import call, guest_address
from .hosttypes import IOV_MAX, host_iovecs


# Raw host calls on host addresses of (checked) guest buffers: zero copies, and
# EINTR comes back to the dispatcher, which restarts or fails the call as the
# guest's signal dispositions say (Python's os.read would retry by itself).

# read and write first try without blocking, and without handing the lock around (nowait.py).

@syscall
def read(t, fd: Fd, buf: OutBuf, count: Size):
    special = t.process.special_fds.get(fd)
    if special is not None:
        return special.read(t, buf, count)
    return nowait.read(t, fd, buf, count)


@syscall
def write(t, fd: Fd, buf: InBuf("count"), count: Size):
    special = t.process.special_fds.get(fd)
    if special is not None and hasattr(special, "write"):  # counterfd.py, /proc/self/mem
        return special.write(t, buf, count)
    return nowait.write(t, fd, buf, count)


@syscall
def pread64(t, fd: Fd, buf: OutBuf, count: Size, offset: Off64):
    special = _positional(t, fd)
    if special is not None:
        return special.pread(t, buf, count, offset)
    addr = guest_address(t, buf, count, PROT_WRITE)
    with t.unlocked():
        return call("pread64", fd, addr, count, offset)


@syscall
def pwrite64(t, fd: Fd, buf: InBuf("count"), count: Size, offset: Off64):
    special = _positional(t, fd)
    if special is not None:
        return special.pwrite(t, buf, count, offset)
    addr = guest_address(t, buf, count, PROT_READ)
    with t.unlocked():
        return call("pwrite64", fd, addr, count, offset)


@syscall
def readv(t, fd: Fd, iov: Ptr, iovcnt: Int):
    special = _positional(t, fd)
    if special is not None:
        return special.vector(t, guest_iovecs(t, iov, iovcnt), None, write=False)
    vec = host_iovecs(t, iov, iovcnt, PROT_WRITE)
    with t.unlocked():
        return call("readv", fd, vec, iovcnt)


@syscall
def writev(t, fd: Fd, iov: Ptr, iovcnt: Int):
    special = _positional(t, fd)
    if special is not None:
        return special.vector(t, guest_iovecs(t, iov, iovcnt), None, write=True)
    vec = host_iovecs(t, iov, iovcnt, PROT_READ)
    with t.unlocked():
        return call("writev", fd, vec, iovcnt)


@syscall
def preadv(t, fd: Fd, iov: Ptr, iovcnt: Int, offset: SplitOff):
    special = _positional(t, fd)
    if special is not None:
        return special.vector(t, guest_iovecs(t, iov, iovcnt), offset, write=False)
    vec = host_iovecs(t, iov, iovcnt, PROT_WRITE)
    with t.unlocked():
        return call("preadv", fd, vec, iovcnt, offset, 0)


@syscall
def pwritev(t, fd: Fd, iov: Ptr, iovcnt: Int, offset: SplitOff):
    special = _positional(t, fd)
    if special is not None:
        return special.vector(t, guest_iovecs(t, iov, iovcnt), offset, write=True)
    vec = host_iovecs(t, iov, iovcnt, PROT_READ)
    with t.unlocked():
        return call("pwritev", fd, vec, iovcnt, offset, 0)


Whence = Enum("FILE", "SEEK_")


def _seek(t, fd, offset, whence):
    """lseek, with a 32-bit guest's directory cookies (dirs.DirectoryPositions) translated."""
    special = _positional(t, fd)
    if special is not None:  # /proc/self/mem: its own position
        return special.lseek(t, offset, whence)
    cookies = t.process.__dict__.get("dir_positions")
    if cookies is None:
        return os.lseek(fd, offset, whence)
    if whence == os.SEEK_SET:
        host = cookies.to_host(fd, offset)
        offset = offset if host is None else host
    return cookies.to_guest(fd, os.lseek(fd, offset, whence))


@syscall
def lseek(t, fd: Fd, offset: Long, whence: Whence):
    position = _seek(t, fd, offset, whence)
    if position > t.abi.word_mask >> 1:  # a 32-bit off_t cannot say where we are (use _llseek)
        raise GuestError(errno.EOVERFLOW)
    return position


@syscall
def _llseek(t, fd: Fd, offset_high: UInt, offset_low: UInt, result: Ptr, whence: Whence):
    """The 32-bit ABIs' 64-bit lseek: the offset in two words, the result through a pointer."""
    t.space.check(result, 8, PROT_WRITE)
    offset = (offset_high << 32) | offset_low
    position = _seek(t, fd, offset - (1 << 64) if offset >> 63 else offset, whence)
    t.space.write(result, t.abi.pack("q", position))


def _positional(t, fd):
    """The emulated file behind fd (/proc/self/mem) if it has positions, else None."""
    special = t.process.special_fds
    if special and fd in special and hasattr(special[fd], "pread"):
        return special[fd]
    return None


def guest_iovecs(t, iov, count):
    """The guest's iovec array as [(guest address, length)], for emulated files."""
    if count < 0 or count > IOV_MAX:
        raise GuestError(errno.EINVAL)
    layout = t.layouts.iovec
    data = t.space.read(iov, count * layout.size)
    out = []
    for i in range(count):
        v = layout.unpack(data[i * layout.size:])
        out.append((v["iov_base"], v["iov_len"]))
    return out


@syscall
def close(t, fd: Fd):
    t.process.check_fd_owned(fd)
    os.close(fd)
    t.process.forget_fd(fd)
