"""Files by name: open, stat, statx, readlink, access, rename, link, unlink,
chmod, chown, utimensat, truncate, mknod, statfs, umask.

Paths go through the sysroot lookup (the `Path` type). Most calls are the host
kernel's own, made raw (hostcall.call), so flags and errno are exactly the
kernel's and no descriptor gains a close-on-exec flag the guest did not ask for.
"""
import ctypes
import errno
import os

from ...errors import GuestError
from ...memory.space import PROT_READ, PROT_WRITE
from ... import procfs
from ..argtypes import (CStr, DirFd, Fd, Flags, Int, Long, Mode, OpenMode, OutBuf, Path, Ptr, Size, UInt,
                        at_follow_absent, at_nofollow, open_nofollow)
from ..registry import syscall
from . import hostcall
from .hostcall import HOST_LAYOUTS, call, guest_buffer

AT_FDCWD = -100
# The kernel's O_* bits (group OPEN), not glibc's: aarch64's O_DIRECTORY, O_NOFOLLOW,
# O_DIRECT and O_LARGEFILE are other bits than x86-64's.
OpenFlags = Flags("OPEN", "", fields=[("O_ACCMODE", "O_RDONLY", "O_WRONLY", "O_RDWR")])
AtFlags = Flags("FILE", "AT_", zero="0")


class KnownAtFlags(Flags):
    """AT_* flags of which a call knows only `allowed`: any other bit is EINVAL, as the kernel says."""

    def __init__(self, *allowed):
        super().__init__("FILE", "AT_", zero="0")
        self.allowed = allowed

    def decoder(self, abi):
        known = sum(abi.tables.FILE[n] for n in self.allowed)
        inner = super().decoder(abi)

        def decode(t, raw):
            if raw & 0xFFFFFFFF & ~known:
                raise GuestError(errno.EINVAL)
            return inner(t, raw)
        return decode
RenameFlags = Flags("FILE", "RENAME_", zero="0")
AccessMode = Int  # R_OK|W_OK|X_OK: the same bits on every ABI
AT_EMPTY_PATH = 0x1000
AT_SYMLINK_NOFOLLOW = 0x100


# Which calls act on a final symlink itself rather than on what it names: it
# matters under --rootfs, where pyqemu resolves links inside the root itself.
LinkPath = Path(nofollow=True)
AtPath = Path(nofollow=("flags", at_nofollow))  # follows unless AT_SYMLINK_NOFOLLOW
OptPath = Path(nofollow=("flags", at_nofollow), optional=True)  # NULL allowed (statx, utimensat)


def dir_fd(dirfd):
    """os.* takes dir_fd=None for AT_FDCWD."""
    return None if dirfd == AT_FDCWD else dirfd


@syscall
def openat(t, dirfd: DirFd, path: Path(nofollow=("flags", open_nofollow)), flags: OpenFlags,
           mode: OpenMode) -> Fd:
    if path[:6] == b"/proc/":  # the guest's own /proc/self files are the guest's, not pyqemu's
        fd = procfs.open_file(t, path, flags)
        if fd is not None:
            return fd
    with t.unlocked():  # opening a FIFO blocks until the other end opens
        return call("openat", dirfd, path, flags, mode & 0o7777)


@syscall
def openat2(t, dirfd: DirFd, path: Path, how: Ptr, size: Size) -> Fd:
    # struct open_how is three u64 on every ABI: flags, mode, resolve (RESOLVE_* are the same everywhere)
    if size < 24:
        raise GuestError(errno.EINVAL)
    data = t.space.read(how, size)
    if any(data[24:]):  # fields of a newer kernel than ours: the kernel says E2BIG
        raise GuestError(errno.E2BIG)
    flags, mode, resolve = t.abi.unpack("QQQ", data)
    if flags >> 32:
        raise GuestError(errno.EINVAL)
    host_flags = t.abi.flags("OPEN", "").to_host(flags)
    buf = ctypes.create_string_buffer(hostcall.HOST_ABI.pack("QQQ", host_flags, mode, resolve), 24)
    with t.unlocked():
        return call("openat2", dirfd, path, buf, 24)


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
def newfstatat(t, dirfd: DirFd, path: AtPath, buf: OutBuf,
               flags: KnownAtFlags("AT_SYMLINK_NOFOLLOW", "AT_NO_AUTOMOUNT", "AT_EMPTY_PATH")):
    t.space.check(buf, t.layouts.stat.size, PROT_WRITE)
    t.space.write(buf, pack_stat(t, stat_at(dirfd, path, flags)))


@syscall
def fstat(t, fd: Fd, buf: OutBuf):
    t.space.check(buf, t.layouts.stat.size, PROT_WRITE)
    t.space.write(buf, pack_stat(t, os.fstat(fd)))


class StatxMask(Flags):
    """STATX_* request bits (the same on every ABI), shown without the STATX_ATTR_* names that share values."""

    def __init__(self):
        super().__init__("FILE", "STATX_", zero="0", translate=False)

    def show(self, t, raw, args):
        fmap = t.abi.flags("FILE", "STATX_")
        names = [name for g, _, name in fmap.bits if raw & g and not name.startswith("STATX_ATTR")]
        rest = raw & 0xFFFFFFFF
        for name in names:
            rest &= ~fmap.guest[name]
        return "|".join(names + ([hex(rest)] if rest else [])) or "0"


@syscall
def statx(t, dirfd: DirFd, host_path: OptPath, flags: AtFlags, mask: StatxMask(), buf: OutBuf):
    # NULL path is the kernel's (6.11+) spelling of "" with AT_EMPTY_PATH
    size = t.layouts.statx.size
    if hostcall.same_layout(t, "statx"):  # fixed-width fields only: the host writes the guest's buffer
        call("statx", dirfd, host_path, flags, mask, guest_buffer(t, buf, size, PROT_WRITE))
        return
    t.space.check(buf, size, PROT_WRITE)
    out = ctypes.create_string_buffer(HOST_LAYOUTS.statx.size)
    call("statx", dirfd, host_path, flags, mask, out)
    t.space.write(buf, hostcall.repack(HOST_LAYOUTS.statx, t.layouts.statx, out.raw))


@syscall
def readlinkat(t, dirfd: DirFd, path: LinkPath, buf: OutBuf, size: Int):
    if size <= 0:
        raise GuestError(errno.EINVAL)
    target = None
    if path[:6] == b"/proc/":  # /proc/self/exe, cwd, root, fd/N: the guest's names
        target = procfs.readlink(t, path)
    if target is None:
        target = os.fsencode(os.readlink(path, dir_fd=dir_fd(dirfd)))
    data = target[:size]
    t.space.write(buf, data)
    return len(data)


@syscall
def faccessat(t, dirfd: DirFd, path: Path, mode: AccessMode):
    call("faccessat", dirfd, path, mode)


@syscall
def faccessat2(t, dirfd: DirFd, path: AtPath, mode: AccessMode, flags: AtFlags):
    call("faccessat2", dirfd, path, mode, flags)


@syscall
def renameat(t, olddirfd: DirFd, oldpath: LinkPath, newdirfd: DirFd, newpath: LinkPath):
    call("renameat2", olddirfd, oldpath, newdirfd, newpath, 0)


@syscall
def renameat2(t, olddirfd: DirFd, oldpath: LinkPath, newdirfd: DirFd, newpath: LinkPath, flags: RenameFlags):
    call("renameat2", olddirfd, oldpath, newdirfd, newpath, flags)


@syscall
def unlinkat(t, dirfd: DirFd, path: LinkPath, flags: AtFlags):
    call("unlinkat", dirfd, path, flags)


@syscall
def mkdirat(t, dirfd: DirFd, path: LinkPath, mode: Mode):
    call("mkdirat", dirfd, path, mode)


@syscall
def symlinkat(t, target: Ptr, newdirfd: DirFd, linkpath: LinkPath):
    # the target is stored as the guest wrote it: no sysroot lookup
    if not target:
        raise GuestError(errno.EFAULT)
    call("symlinkat", t.space.cstring(target), newdirfd, linkpath)


@syscall
def linkat(t, olddirfd: DirFd, oldpath: Path(nofollow=("flags", at_follow_absent)), newdirfd: DirFd,
           newpath: LinkPath, flags: AtFlags):
    call("linkat", olddirfd, oldpath, newdirfd, newpath, flags)


@syscall
def fchmodat(t, dirfd: DirFd, path: Path, mode: Mode):
    call("fchmodat", dirfd, path, mode)


@syscall
def fchmod(t, fd: Fd, mode: Mode):
    call("fchmod", fd, mode)


@syscall
def fchownat(t, dirfd: DirFd, path: AtPath, owner: UInt, group: UInt, flags: AtFlags):
    call("fchownat", dirfd, path, owner, group, flags)


@syscall
def fchown(t, fd: Fd, owner: UInt, group: UInt):
    call("fchown", fd, owner, group)


@syscall
def utimensat(t, dirfd: DirFd, host_path: OptPath, times: Ptr, flags: AtFlags):
    # NULL path: the file open on dirfd (futimens); NULL times: both now
    host_times = None
    if times:
        ts = t.layouts.timespec
        utime = t.abi.const_map("FILE", "UTIME_")
        data = t.space.read(times, 2 * ts.size)
        packed = b""
        for i in range(2):
            v = ts.unpack(data[i * ts.size:])
            packed += HOST_LAYOUTS.timespec.pack(tv_sec=v["tv_sec"], tv_nsec=utime.to_host(v["tv_nsec"]))
        host_times = ctypes.create_string_buffer(packed, len(packed))
    call("utimensat", dirfd, host_path, host_times, flags)


@syscall
def truncate(t, path: Path, length: Long):
    with t.unlocked():
        call("truncate", path, length)


@syscall
def ftruncate(t, fd: Fd, length: Long):
    with t.unlocked():
        call("ftruncate", fd, length)


FallocMode = Flags("FILE", "FALLOC_FL_", zero="0")


@syscall
def fallocate(t, fd: Fd, mode: FallocMode, offset: Long, length: Long):
    with t.unlocked():
        call("fallocate", fd, mode, offset, length)


@syscall
def mknodat(t, dirfd: DirFd, path: LinkPath, mode: Mode, dev: UInt):
    # the kernel's dev_t encoding (new_encode_dev) and S_IF* are the same on every ABI
    call("mknodat", dirfd, path, mode, dev)


def _statfs(t, buf, name, *args):
    t.space.check(buf, t.layouts.statfs.size, PROT_WRITE)
    out = ctypes.create_string_buffer(HOST_LAYOUTS.statfs.size)
    with t.unlocked():  # a network file system can take its time
        call(name, *args, out)
    t.space.write(buf, hostcall.repack(HOST_LAYOUTS.statfs, t.layouts.statfs, out.raw))


@syscall
def statfs(t, path: Path, buf: OutBuf):
    _statfs(t, buf, "statfs", path)


@syscall
def fstatfs(t, fd: Fd, buf: OutBuf):
    _statfs(t, buf, "fstatfs", fd)


@syscall
def umask(t, mask: Mode):
    return os.umask(mask & 0o777)



# ---- extended attributes (ls -l asks for ACLs and SELinux labels) -------------------
# Names and values are bytes on every ABI: the host calls fill the guest's buffers in place.

def _xattr_buffer(t, addr, size, prot):
    return guest_buffer(t, addr, size, prot) if size else None


@syscall
def getxattr(t, path: Path, name: CStr, value: OutBuf, size: Size):
    return call("getxattr", path, name, _xattr_buffer(t, value, size, PROT_WRITE), size)


@syscall
def lgetxattr(t, path: LinkPath, name: CStr, value: OutBuf, size: Size):
    return call("lgetxattr", path, name, _xattr_buffer(t, value, size, PROT_WRITE), size)


@syscall
def fgetxattr(t, fd: Fd, name: CStr, value: OutBuf, size: Size):
    return call("fgetxattr", fd, name, _xattr_buffer(t, value, size, PROT_WRITE), size)


@syscall
def listxattr(t, path: Path, names: OutBuf, size: Size):
    return call("listxattr", path, _xattr_buffer(t, names, size, PROT_WRITE), size)


@syscall
def llistxattr(t, path: LinkPath, names: OutBuf, size: Size):
    return call("llistxattr", path, _xattr_buffer(t, names, size, PROT_WRITE), size)


@syscall
def flistxattr(t, fd: Fd, names: OutBuf, size: Size):
    return call("flistxattr", fd, _xattr_buffer(t, names, size, PROT_WRITE), size)


@syscall
def setxattr(t, path: Path, name: CStr, value: Ptr, size: Size, flags: Int):
    call("setxattr", path, name, _xattr_buffer(t, value, size, PROT_READ), size, flags)


@syscall
def lsetxattr(t, path: LinkPath, name: CStr, value: Ptr, size: Size, flags: Int):
    call("lsetxattr", path, name, _xattr_buffer(t, value, size, PROT_READ), size, flags)


@syscall
def fsetxattr(t, fd: Fd, name: CStr, value: Ptr, size: Size, flags: Int):
    call("fsetxattr", fd, name, _xattr_buffer(t, value, size, PROT_READ), size, flags)


@syscall
def removexattr(t, path: Path, name: CStr):
    call("removexattr", path, name)


@syscall
def lremovexattr(t, path: LinkPath, name: CStr):
    call("lremovexattr", path, name)


@syscall
def fremovexattr(t, fd: Fd, name: CStr):
    call("fremovexattr", fd, name)
