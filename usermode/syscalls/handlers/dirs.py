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
from ... import ownfds


MAX_RW_COUNT = 0x7FFFF000  # the kernel's; getdents takes an unsigned int


class DirectoryPositions:
    """Directory offsets a 32-bit guest can hold. The kernel gives a 32-bit process
    32-bit directory hashes (ext4's is_32bit_api); this 64-bit host gives us 64-bit
    ones, which glibc's readdir in a 32-bit program refuses (EOVERFLOW), so a
    32-bit guest sees small cookies instead: the n-th offset handed out on a
    descriptor is n, and lseek on that descriptor takes n back to the host's."""

    def __init__(self):
        self.by_fd = {}  # fd -> ([host offsets, in the order handed out], {host offset: cookie})

    def cookie(self, fd, host_offset):
        offsets, cookies = self.by_fd.setdefault(fd, ([], {}))
        found = cookies.get(host_offset)
        if found is None:
            offsets.append(host_offset)
            found = cookies[host_offset] = len(offsets)
        return found

    def to_host(self, fd, cookie):
        """The host offset of a cookie on fd (None: fd has none, the offset is the host's)."""
        entry = self.by_fd.get(fd)
        if entry is None:
            return None
        return entry[0][cookie - 1] if 0 < cookie <= len(entry[0]) else cookie

    def to_guest(self, fd, host_offset):
        entry = self.by_fd.get(fd)
        if entry is None:
            return host_offset
        return 0 if host_offset == 0 else self.cookie(fd, host_offset)

    def forget(self, fd):
        self.by_fd.pop(fd, None)


def positions(process):
    if process.__dict__.get("dir_positions") is None:
        process.dir_positions = DirectoryPositions()
    return process.dir_positions


@syscall
def getdents64(t, fd: Fd, dirp: OutBuf, count: UInt):
    # struct linux_dirent64 has fixed-width fields only, so where the guest's
    # layout is the host's (checked, not assumed) the host kernel fills the
    # guest's buffer directly; records are 8-byte aligned on every ABI.
    count = min(count, MAX_RW_COUNT)
    if hostcall.same_layout(t, "dirent64") and t.abi.bits == 64:
        buf = hostcall.guest_buffer(t, dirp, count, PROT_WRITE)
        while True:
            with t.unlocked():  # a directory on a slow file system
                n = hostcall.call("getdents64", fd, buf, count)
            if not n or not t.process.reserved_fds:
                return n
            # a listing of /proc/self/fd leaves out the emulator's own descriptors
            kept = ownfds.filter_dirents(t, fd, t.space.mem[dirp:dirp + n], n)
            if kept:
                return kept
    return _converted(t, fd, dirp, count, _dirent64_record)  # another byte order: field by field


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
    """(offsets are cookies already: see DirectoryPositions)"""
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
    while True:
        with t.unlocked():
            n = hostcall.call("getdents64", fd, host, count)
        records = list(_host_records(host.raw[:n]))
        if n and t.process.reserved_fds:  # not the emulator's own descriptors (/proc/self/fd)
            records = ownfds.drop_entries(t, fd, records)
            if not records:
                continue
        break
    if t.abi.bits == 32:
        cookies = positions(t.process)
        records = [(ino, cookies.cookie(fd, off), dtype, name) for ino, off, dtype, name in records]
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
    hostcall.call("fchdir", fd)  # the raw call: a negative fd is the kernel's EBADF
