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
from ... import ownfds, procfs
from ..argtypes import (CStr, DirFd, Fd, Flags, Int, Long, Mode, Off64, OpenMode, OutBuf, Path, Ptr, Size, Uid, UInt,
                        at_follow_absent, at_nofollow, open_nofollow)
from ..registry import syscall
from . import hostcall, statfast
from .hostcall import HOST_LAYOUTS, call, guest_buffer
from .hosttypes import kernel_nsec
from .statpack import OVERFLOW_ID, pack_stat  # noqa: F401  (OVERFLOW_ID: creds, info)

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

    def args_decoder(self, abi):
        known = sum(abi.tables.FILE[n] for n in self.allowed)
        fmap = abi.flags(self.group, self.prefix)
        if not fmap.identity:
            return super().args_decoder(abi)

        def decode(t, raw, raws):  # the *at flags are the same bits on most ABIs: no map to apply
            if raw & 0xFFFFFFFF & ~known:
                raise GuestError(errno.EINVAL)
            return raw & 0xFFFFFFFF
        return decode
RenameFlags = Flags("FILE", "RENAME_", zero="0")
AccessMode = Int  # R_OK|W_OK|X_OK: the same bits on every ABI
AT_EMPTY_PATH = 0x1000
AT_SYMLINK_NOFOLLOW = 0x100
AT_REMOVEDIR = 0x200


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
        fd = call("openat", dirfd, path, flags, mode & 0o7777)
    return ownfds.check_opened(t, fd)  # not one of the emulator's pipes, by a link to /proc/self/fd


@syscall
def open(t, path: Path(nofollow=("flags", open_nofollow)), flags: OpenFlags, mode: OpenMode) -> Fd:
    return openat(t, AT_FDCWD, path, flags, mode)


@syscall
def creat(t, path: Path, mode: Mode) -> Fd:
    return openat(t, AT_FDCWD, path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, mode)


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
        fd = call("openat2", dirfd, path, buf, 24)
    return ownfds.check_opened(t, fd)


def stat_at(dirfd, path, flags):
    """os.stat for the *at family: AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW honoured."""
    if dirfd == AT_FDCWD and not flags and path:
        return os.stat(path)  # the usual call, without keyword arguments to parse
    if not path:
        if not flags & AT_EMPTY_PATH:
            raise GuestError(errno.ENOENT)
        return os.stat(".") if dirfd == AT_FDCWD else os.fstat(dirfd)
    return os.stat(path, dir_fd=dir_fd(dirfd), follow_symlinks=not flags & AT_SYMLINK_NOFOLLOW)


@syscall(twins={"fstatat64": {"layout": "stat64"}}, fast=statfast.fstatat)
def newfstatat(t, dirfd: DirFd, path: AtPath, buf: OutBuf,
               flags: KnownAtFlags("AT_SYMLINK_NOFOLLOW", "AT_NO_AUTOMOUNT", "AT_EMPTY_PATH"), *, layout="stat"):
    layout = getattr(t.layouts, layout)
    view = t.space.view(buf, layout.size, PROT_WRITE)
    # (stat_at's usual case inline: this is the path of every stat)
    view[:] = pack_stat(layout, os.stat(path) if dirfd == AT_FDCWD and not flags and path
                        else stat_at(dirfd, path, flags))


@syscall(twins={"fstat64": {"layout": "stat64"}})
def fstat(t, fd: Fd, buf: OutBuf, *, layout="stat"):
    layout = getattr(t.layouts, layout)
    view = t.space.view(buf, layout.size, PROT_WRITE)
    view[:] = pack_stat(layout, os.fstat(fd))


# The calls by path of the older ABIs (arm, i386, x86-64, mips...): the *at calls
# from the current directory.

@syscall(twins={"stat64": {"layout": "stat64"}}, fast=statfast.stat)
def stat(t, path: Path, buf: OutBuf, *, layout="stat"):
    newfstatat(t, AT_FDCWD, path, buf, 0, layout=layout)


@syscall(twins={"lstat64": {"layout": "stat64"}}, fast=statfast.lstat)
def lstat(t, path: LinkPath, buf: OutBuf, *, layout="stat"):
    newfstatat(t, AT_FDCWD, path, buf, AT_SYMLINK_NOFOLLOW, layout=layout)


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


@syscall(fast=statfast.statx)
def statx(t, dirfd: DirFd, host_path: OptPath, flags: AtFlags, mask: StatxMask(), buf: OutBuf):
    # NULL path is the kernel's (6.11+) spelling of "" with AT_EMPTY_PATH
    size = t.layouts.statx.size
    if hostcall.same_layout(t, "statx"):  # fixed-width fields only: the host writes the guest's buffer
        hostcall.statx(dirfd, host_path, flags, mask & 0xFFFFFFFF, hostcall.guest_address(t, buf, size, PROT_WRITE))
        return
    t.space.check(buf, size, PROT_WRITE)
    out = ctypes.create_string_buffer(HOST_LAYOUTS.statx.size)
    hostcall.statx(dirfd, host_path, flags, mask & 0xFFFFFFFF, ctypes.addressof(out))
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
def access(t, path: Path, mode: AccessMode):
    call("faccessat", AT_FDCWD, path, mode)


@syscall
def readlink(t, path: LinkPath, buf: OutBuf, size: Int):
    return readlinkat(t, AT_FDCWD, path, buf, size)


@syscall
def rename(t, oldpath: LinkPath, newpath: LinkPath):
    call("renameat2", AT_FDCWD, oldpath, AT_FDCWD, newpath, 0)


@syscall
def unlink(t, path: LinkPath):
    call("unlinkat", AT_FDCWD, path, 0)


@syscall
def rmdir(t, path: LinkPath):
    call("unlinkat", AT_FDCWD, path, AT_REMOVEDIR)


@syscall
def mkdir(t, path: LinkPath, mode: Mode):
    call("mkdirat", AT_FDCWD, path, mode)


@syscall
def symlink(t, target: Ptr, linkpath: LinkPath):
    symlinkat(t, target, AT_FDCWD, linkpath)


@syscall
def link(t, oldpath: LinkPath, newpath: LinkPath):
    call("linkat", AT_FDCWD, oldpath, AT_FDCWD, newpath, 0)


@syscall
def chmod(t, path: Path, mode: Mode):
    call("fchmodat", AT_FDCWD, path, mode)


@syscall
def mknod(t, path: LinkPath, mode: Mode, dev: UInt):
    call("mknodat", AT_FDCWD, path, mode, dev)


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


@syscall(twins={"fchownat32": {}})
def fchownat(t, dirfd: DirFd, path: AtPath, owner: Uid, group: Uid, flags: AtFlags):
    call("fchownat", dirfd, path, owner, group, flags)


@syscall(twins={"fchown32": {}})
def fchown(t, fd: Fd, owner: Uid, group: Uid):
    call("fchown", fd, owner, group)


@syscall(twins={"chown32": {}})
def chown(t, path: Path, owner: Uid, group: Uid):
    call("fchownat", AT_FDCWD, path, owner, group, 0)


@syscall(twins={"lchown32": {}})
def lchown(t, path: LinkPath, owner: Uid, group: Uid):
    call("fchownat", AT_FDCWD, path, owner, group, AT_SYMLINK_NOFOLLOW)


@syscall(name="chown", when="uid16")
def chown16(t, path: Path, owner: Uid(16), group: Uid(16)):
    call("fchownat", AT_FDCWD, path, owner, group, 0)


@syscall(name="lchown", when="uid16")
def lchown16(t, path: LinkPath, owner: Uid(16), group: Uid(16)):
    call("fchownat", AT_FDCWD, path, owner, group, AT_SYMLINK_NOFOLLOW)


@syscall(name="fchown", when="uid16")
def fchown16(t, fd: Fd, owner: Uid(16), group: Uid(16)):
    call("fchown", fd, owner, group)


@syscall(twins={"utimensat_time64": {"tsl": "timespec64"}})
def utimensat(t, dirfd: DirFd, host_path: OptPath, times: Ptr, flags: AtFlags, *, tsl="timespec"):
    # NULL path: the file open on dirfd (futimens); NULL times: both now
    host_times = None
    if times:
        ts = getattr(t.layouts, tsl)
        utime = t.abi.const_map("FILE", "UTIME_")
        data = t.space.read(times, 2 * ts.size)
        packed = b""
        for i in range(2):
            v = ts.unpack(data[i * ts.size:])
            nsec = kernel_nsec(t.abi, v["tv_nsec"]) if tsl == "timespec64" else v["tv_nsec"]
            packed += HOST_LAYOUTS.timespec.pack(tv_sec=v["tv_sec"], tv_nsec=utime.to_host(nsec))
        host_times = ctypes.create_string_buffer(packed, len(packed))
    call("utimensat", dirfd, host_path, host_times, flags)


def _timevals(t, times):
    """A guest timeval[2] as the host struct timespec[2] utimensat takes (None: now)."""
    if not times:
        return None
    tv = t.layouts.timeval
    data = t.space.read(times, 2 * tv.size)
    packed = b""
    for i in range(2):
        v = tv.unpack(data[i * tv.size:])
        if not 0 <= v["tv_usec"] < 1_000_000:
            raise GuestError(errno.EINVAL)
        packed += HOST_LAYOUTS.timespec.pack(tv_sec=v["tv_sec"], tv_nsec=v["tv_usec"] * 1000)
    return ctypes.create_string_buffer(packed, len(packed))


@syscall
def utimes(t, path: Path, times: Ptr):
    call("utimensat", AT_FDCWD, path, _timevals(t, times), 0)


@syscall
def futimesat(t, dirfd: DirFd, path: Path(optional=True), times: Ptr):
    call("utimensat", dirfd, path, _timevals(t, times), 0)


@syscall
def utime(t, path: Path, times: Ptr):
    """struct utimbuf { time_t actime, modtime } (seconds); NULL: now."""
    host_times = None
    if times:
        actime, modtime = t.abi.unpack("ww", t.space.read(times, t.abi.size("ww")))
        packed = HOST_LAYOUTS.timespec.pack(tv_sec=actime, tv_nsec=0) + \
            HOST_LAYOUTS.timespec.pack(tv_sec=modtime, tv_nsec=0)
        host_times = ctypes.create_string_buffer(packed, len(packed))
    call("utimensat", AT_FDCWD, path, host_times, 0)


@syscall
def truncate(t, path: Path, length: Long):
    with t.unlocked():
        call("truncate", path, length)


@syscall
def ftruncate(t, fd: Fd, length: Long):
    with t.unlocked():
        call("ftruncate", fd, length)


# the 32-bit ABIs' calls with a 64-bit length (a register pair)
syscall(truncate, name="truncate64", types={"length": Off64})
syscall(ftruncate, name="ftruncate64", types={"length": Off64})


FallocMode = Flags("FILE", "FALLOC_FL_", zero="0")


@syscall
def fallocate(t, fd: Fd, mode: FallocMode, offset: Off64, length: Off64):
    with t.unlocked():
        call("fallocate", fd, mode, offset, length)


@syscall
def mknodat(t, dirfd: DirFd, path: LinkPath, mode: Mode, dev: UInt):
    # the kernel's dev_t encoding (new_encode_dev) and S_IF* are the same on every ABI
    call("mknodat", dirfd, path, mode, dev)


def _statfs(t, buf, name, *args, layout="statfs"):
    layout = getattr(t.layouts, layout)
    t.space.check(buf, layout.size, PROT_WRITE)
    out = ctypes.create_string_buffer(HOST_LAYOUTS.statfs.size)
    with t.unlocked():  # a network file system can take its time
        call(name, *args, out)
    values = HOST_LAYOUTS.statfs.unpack(out.raw)
    if not layout.fits(**values):  # the kernel's put_compat_statfs: counts too big for 32 bits
        raise GuestError(errno.EOVERFLOW)
    t.space.write(buf, layout.pack(**values))


@syscall
def statfs(t, path: Path, buf: OutBuf):
    _statfs(t, buf, "statfs", path)


@syscall
def fstatfs(t, fd: Fd, buf: OutBuf):
    _statfs(t, buf, "fstatfs", fd)


def _statfs64_size(t, size):
    if size != t.layouts.statfs64.size:  # the kernel checks it against its own struct
        # ARM EABI's sys_statfs64_wrapper: glibc's sizeof(struct statfs64) is 88, the
        # kernel's packed one 84, and the wrapper takes one for the other
        if not (size == 88 and t.abi.has("statfs64_88")):
            raise GuestError(errno.EINVAL)


@syscall
def statfs64(t, path: Path, size: Size, buf: OutBuf):
    _statfs64_size(t, size)
    _statfs(t, buf, "statfs", path, layout="statfs64")


@syscall
def fstatfs64(t, fd: Fd, size: Size, buf: OutBuf):
    _statfs64_size(t, size)
    _statfs(t, buf, "fstatfs", fd, layout="statfs64")


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
