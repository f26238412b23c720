"""Files by name: open, stat, readlink, access. Paths go through the sysroot lookup."""
import errno
import os

from ...errors import GuestError
from ...memory.space import PROT_WRITE
from ..argtypes import DirFd, Fd, Flags, Mode, OutBuf, Path, Ptr, Size
from ..registry import syscall

AT_FDCWD = -100
OpenFlags = Flags("FILE", "O_", fields=[("O_ACCMODE", "O_RDONLY", "O_WRONLY", "O_RDWR")])
AtFlags = Flags("FILE", "AT_", zero="0")
AT_EMPTY_PATH = 0x1000
AT_SYMLINK_NOFOLLOW = 0x100


def dir_fd(dirfd):
    """os.* takes dir_fd=None for AT_FDCWD."""
    return None if dirfd == AT_FDCWD else dirfd


@syscall
def openat(t, dirfd: DirFd, path: Path, flags: OpenFlags, mode: Mode) -> Fd:
    with t.unlocked():  # opening a FIFO blocks until the other end opens
        return os.open(path, flags, mode & 0o7777, dir_fd=dir_fd(dirfd))


def stat_at(dirfd, path, flags):
    """os.stat for the *at family: AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW honoured."""
    if not path:
        if not flags & AT_EMPTY_PATH:
            raise GuestError(errno.ENOENT)
        return os.stat(".") if dirfd == AT_FDCWD else os.fstat(dirfd)
    return os.stat(path, dir_fd=dir_fd(dirfd), follow_symlinks=not flags & AT_SYMLINK_NOFOLLOW)


def pack_stat(t, st):
    return t.layouts.stat.pack(
        st_dev=st.st_dev, st_ino=st.st_ino, st_mode=st.st_mode, st_nlink=st.st_nlink,
        st_uid=st.st_uid, st_gid=st.st_gid, st_rdev=st.st_rdev, st_size=st.st_size,
        st_blksize=st.st_blksize, st_blocks=st.st_blocks,
        st_atime=int(st.st_atime_ns // 10**9), st_atime_nsec=st.st_atime_ns % 10**9,
        st_mtime=int(st.st_mtime_ns // 10**9), st_mtime_nsec=st.st_mtime_ns % 10**9,
        st_ctime=int(st.st_ctime_ns // 10**9), st_ctime_nsec=st.st_ctime_ns % 10**9)


@syscall
def newfstatat(t, dirfd: DirFd, path: Path, buf: OutBuf, flags: AtFlags):
    t.space.check(buf, t.layouts.stat.size, PROT_WRITE)
    t.space.write(buf, pack_stat(t, stat_at(dirfd, path, flags)))


@syscall
def fstat(t, fd: Fd, buf: OutBuf):
    t.space.check(buf, t.layouts.stat.size, PROT_WRITE)
    t.space.write(buf, pack_stat(t, os.fstat(fd)))


def _proc_self_exe(t, path):
    """The guest's own /proc/self/exe (and /proc/<pid>/exe) is the guest program."""
    if path in (b"/proc/self/exe", f"/proc/{os.getpid()}/exe".encode(), b"/proc/thread-self/exe"):
        return os.fsencode(t.process.exe)
    return None


@syscall
def readlinkat(t, dirfd: DirFd, path: Path, buf: OutBuf, size: Size):
    if size <= 0 or size > 0x7FFFFFFF:
        raise GuestError(errno.EINVAL)
    target = _proc_self_exe(t, path) or os.fsencode(os.readlink(path, dir_fd=dir_fd(dirfd)))
    data = target[:size]
    t.space.write(buf, data)
    return len(data)


@syscall
def faccessat(t, dirfd: DirFd, path: Path, mode: Mode):
    if not os.access(path, mode, dir_fd=dir_fd(dirfd)):
        if not os.path.lexists(path) and dirfd == AT_FDCWD:
            raise GuestError(errno.ENOENT)
        raise GuestError(errno.EACCES)
