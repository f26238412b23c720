"""Directories: getdents64, getcwd, chdir, fchdir."""
import ctypes
import errno
import os
import struct

from ...errors import GuestError
from ...memory.space import PROT_WRITE
from ..argtypes import Fd, OutBuf, Path, Size, UInt
from ..registry import syscall
from . import hostcall


MAX_RW_COUNT = 0x7FFFF000  # the kernel's; getdents takes an unsigned int


@syscall
def getdents64(t, fd: Fd, dirp: OutBuf, count: UInt):
    # struct linux_dirent64 has fixed-width fields only, so where the guest's
    # layout is the host's (checked, not assumed) the host kernel fills the
    # guest's buffer directly; records are 8-byte aligned on every ABI.
    count = min(count, MAX_RW_COUNT)
    if hostcall.same_layout(t, "dirent64"):
        buf = hostcall.guest_buffer(t, dirp, count, PROT_WRITE)
        with t.unlocked():  # a directory on a slow file system
            n = hostcall.call("getdents64", fd, buf, count)
        if t.abi.bits == 32:
            _fold_positions(t, fd, dirp, n)
        return n
    return _converted(t, fd, dirp, count, _dirent64_record)  # another byte order: field by field


# A 32-bit process's directory positions. ext4 hands a compat task (in_compat_syscall)
# the major hash alone as d_off, where a 64-bit caller gets major << 32 | minor
# (fs/ext4/dir.c, hash2pos): a 64-bit host's positions do not fit a 32-bit off_t, and
# 32-bit glibc's readdir fails with EOVERFLOW on them. So positions above 31 bits are
# given as that major part, and an lseek to one on the same descriptor goes back to
# the host's form (pos2maj_hash then finds the same major hash, minor 0, as for a
# compat task). Small positions (tmpfs, linear directories) pass unchanged.
FOLD_LIMIT = 0x7FFFFFFF


def _fold_positions(t, fd, dirp, n):
    mem, pos, folded = t.space.mem, 0, False
    while pos < n:
        at = dirp + pos
        d_off, reclen = struct.unpack_from("<qH", mem, at + 8)
        if d_off > FOLD_LIMIT:
            struct.pack_into("<q", mem, at + 8, d_off >> 32)
            folded = True
        pos += reclen
    if folded:
        t.process.__dict__.setdefault("folded_dirs", set()).add(fd)


def host_position(t, fd, offset, whence):
    """An lseek offset from a 32-bit guest on a directory whose positions were folded."""
    if whence == os.SEEK_SET and 0 < offset <= FOLD_LIMIT and fd in getattr(t.process, "folded_dirs", ()):
        return offset << 32
    return offset


def guest_position(t, fd, position):
    if position > FOLD_LIMIT and fd in getattr(t.process, "folded_dirs", ()):
        return position >> 32
    return position


@syscall
def getdents(t, fd: Fd, dirp: OutBuf, count: UInt):
    """The old struct linux_dirent: long d_ino and d_off, the name, then d_type in
    the record's last byte; records aligned to a long. EOVERFLOW for an inode a
    32-bit long cannot hold; the offset is cut to the word, as the kernel's
    compat_filldir stores it (a 64-bit host's file systems hand out 64-bit hashes)."""
    return _converted(t, fd, dirp, min(count, MAX_RW_COUNT), _old_dirent_record)


def _host_records(data):
    """(ino, off, type, name) of each host linux_dirent64 record."""
    pos = 0
    while pos < len(data):
        ino, off, reclen, dtype = struct.unpack_from("<QqHB", data, pos)
        name = data[pos + 19:pos + reclen].split(b"\0", 1)[0]
        yield ino, off, dtype, name
        pos += reclen


def _dirent64_record(abi, ino, off, dtype, name):
    size = (19 + len(name) + 1 + 7) & ~7
    return abi.pack("QqHB", ino, off, size, dtype) + name.ljust(size - 19, b"\0")


def _old_dirent_record(abi, ino, off, dtype, name):
    wb = abi.word_bytes
    head = 2 * wb + 2
    size = (head + len(name) + 2 + wb - 1) & ~(wb - 1)  # name, NUL, d_type
    if ino > abi.word_mask:
        raise GuestError(errno.EOVERFLOW)
    body = name.ljust(size - head - 1, b"\0") + bytes([dtype])
    return abi.pack("WWH", ino, off & abi.word_mask, size) + body


def _converted(t, fd, dirp, count, record):
    """The host's getdents64 into a buffer of our own, each record rewritten for the
    guest (its records are never longer than the host's, so what the host read fits)."""
    t.space.check(dirp, count, PROT_WRITE)
    host = ctypes.create_string_buffer(count)
    with t.unlocked():
        n = hostcall.call("getdents64", fd, host, count)
    records = list(_host_records(host.raw[:n]))
    if t.abi.bits == 32 and any(off > FOLD_LIMIT for _, off, _, _ in records):
        records = [(ino, off >> 32 if off > FOLD_LIMIT else off, dtype, name) for ino, off, dtype, name in records]
        t.process.__dict__.setdefault("folded_dirs", set()).add(fd)
    out = b"".join(record(t.abi, *r) for r in records)
    if len(out) > count:  # a guest buffer too small for the first entry: as the kernel
        raise GuestError(errno.EINVAL)
    t.space.write(dirp, out)
    return len(out)


@syscall
def getcwd(t, buf: OutBuf, size: Size):
    cwd = t.process.paths.guest_cwd() + b"\0"  # under --rootfs, the guest's name for it
    if size < len(cwd):
        raise GuestError(errno.ERANGE)
    t.space.write(buf, cwd)
    return len(cwd)  # the kernel returns the length with the NUL; glibc returns buf


@syscall
def chdir(t, path: Path):
    os.chdir(path)


@syscall
def fchdir(t, fd: Fd):
    os.fchdir(fd)
