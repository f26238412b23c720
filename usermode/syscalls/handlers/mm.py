"""Memory: brk, mmap, munmap, mprotect, mremap, madvise, msync."""
import errno
import fcntl
import os

from ...errors import GuestError
from ...memory import host
from ...memory.space import KEPT_FLAGS, PAGE, PROT_READ, PROT_WRITE, page_ceil
from ..argtypes import Enum, Flags, Int, Ptr, RetPtr, Size
from ..registry import syscall
from .hostcall import call
from .hosttypes import HOST

MmapProt = Flags("MMAN", "PROT_", zero="PROT_NONE")
MmapFlags = Flags("MMAN", "MAP_", fields=[("MAP_TYPE", "MAP_SHARED", "MAP_PRIVATE", "MAP_SHARED_VALIDATE")])
MremapFlags = Flags("MMAN", "MREMAP_")
MsyncFlags = Flags("MMAN", "MS_")
Advice = Enum("MMAN", "MADV_")

MAP_TYPE = 0xF
MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE = host.MAP_SHARED, host.MAP_PRIVATE, 3
MAP_FIXED, MAP_ANONYMOUS = host.MAP_FIXED, host.MAP_ANONYMOUS
MAP_FIXED_NOREPLACE = 0x100000
MAP_LOCKED = HOST.MMAN["MAP_LOCKED"]  # the host's bit: flags arrive decoded
MREMAP_MAYMOVE, MREMAP_FIXED = host.MREMAP_MAYMOVE, host.MREMAP_FIXED
PROT_ALL = 7
# advice that only tunes the kernel's paging: nothing for us to do, and nothing lost
_ADVICE_HINTS = {0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21}
MADV_DONTNEED = 4


def _page_aligned(addr):
    if addr & (PAGE - 1):
        raise GuestError(errno.EINVAL)


@syscall
def brk(t, addr: Ptr) -> RetPtr:
    p = t.process
    if addr < p.brk_start:
        return p.brk
    old_top, new_top = page_ceil(p.brk), page_ceil(addr)
    try:
        if new_top > old_top:
            t.space.map(old_top, new_top - old_top, PROT_READ | PROT_WRITE, name="[heap]", replace=False)
        elif new_top < old_top:
            t.space.unmap(new_top, old_top - new_top)
    except GuestError:
        return p.brk  # the kernel's way of saying no: the old break
    p.brk = addr
    return addr


@syscall
def mmap(t, addr: Ptr, length: Size, prot: MmapProt, flags: MmapFlags, fd: Int, offset: Size) -> RetPtr:
    # fd is an Int, not an Fd: with MAP_ANONYMOUS the kernel never looks at it (_fd_name checks it)
    space = t.space
    if length == 0 or offset & (PAGE - 1) or prot & ~PROT_ALL & 0xFFFF:
        raise GuestError(errno.EINVAL)
    kind = flags & MAP_TYPE
    if kind not in (MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE):
        raise GuestError(errno.EINVAL)
    length = page_ceil(length)
    if length > space.size:
        raise GuestError(errno.ENOMEM)
    shared = kind != MAP_PRIVATE
    if flags & MAP_ANONYMOUS:
        vkind, fd, offset, name = ("shared" if shared else "anon"), -1, 0, ""
    else:
        vkind, name = ("shared" if shared else "private"), _fd_name(t, fd)
        if os.fstat(fd) and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_PATH:
            raise GuestError(errno.EBADF)  # an O_PATH descriptor maps nothing (EBADF too when not open)
    if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE):
        _page_aligned(addr)
        if addr + length > space.user_top:
            raise GuestError(errno.ENOMEM)
        start = space.map(addr, length, prot & PROT_ALL, kind=vkind, fd=fd, offset=offset, name=name,
                          replace=not flags & MAP_FIXED_NOREPLACE, flags=flags & KEPT_FLAGS)
    else:
        start = space.map(space.find_free(length, addr), length, prot & PROT_ALL, kind=vkind, fd=fd,
                          offset=offset, name=name, flags=flags & KEPT_FLAGS)
    if flags & MAP_LOCKED:  # locked in RAM as mlock would, or no mapping (EAGAIN past RLIMIT_MEMLOCK)
        try:
            call("mlock", space.base + start, length)
        except OSError:
            space.unmap(start, length)
            raise GuestError(errno.EAGAIN) from None
    return start


# mmap2: the offset in 4096-byte units whatever the page size (the 32-bit ABIs'
# way past 4 GiB files), and the old mmap of i386, s390x and m68k, whose one
# argument points to the six.
MMAP2_UNIT = 4096


@syscall
def mmap2(t, addr: Ptr, length: Size, prot: MmapProt, flags: MmapFlags, fd: Int, pgoff: Size) -> RetPtr:
    return mmap(t, addr, length, prot, flags, fd, pgoff * MMAP2_UNIT)


@syscall(name="mmap", when="old_mmap")
def old_mmap(t, args: Ptr) -> RetPtr:
    abi = t.abi
    addr, length, prot, flags, fd, offset = abi.unpack("6W", t.space.read(args, abi.size("6W")))
    fd = fd - (1 << 32) if fd & 0x80000000 else fd & 0xFFFFFFFF
    return mmap(t, addr, length, MmapProt.decoder(abi)(t, prot), MmapFlags.decoder(abi)(t, flags), fd, offset)


def _fd_name(t, fd):
    if fd in t.process.reserved_fds:  # the emulator's own: not the guest's (argtypes.Fd)
        raise GuestError(errno.EBADF)
    if fd in t.process.special_fds:  # signalfd, /proc/self/mem: the kernel has no mmap for them
        raise GuestError(errno.ENODEV)
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        raise GuestError(errno.EBADF) from None


@syscall
def munmap(t, addr: Ptr, length: Size):
    _page_aligned(addr)
    if length == 0 or addr + length > t.space.user_top:
        raise GuestError(errno.EINVAL)
    t.space.unmap(addr, length)


@syscall
def mprotect(t, addr: Ptr, length: Size, prot: MmapProt):
    _page_aligned(addr)
    if prot & ~PROT_ALL & 0xFFFF:
        raise GuestError(errno.EINVAL)
    if length:
        t.space.protect(addr, length, prot & PROT_ALL)


@syscall
def mremap(t, old: Ptr, old_size: Size, new_size: Size, flags: MremapFlags, new_addr: Ptr) -> RetPtr:
    _page_aligned(old)
    if new_size == 0 or flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED) or \
            (flags & MREMAP_FIXED and not flags & MREMAP_MAYMOVE):
        raise GuestError(errno.EINVAL)
    if old_size == 0:  # duplicating a shared mapping: not supported
        raise GuestError(errno.EINVAL)
    if flags & MREMAP_FIXED:
        _page_aligned(new_addr)
        if new_addr < old + page_ceil(old_size) and old < new_addr + page_ceil(new_size):
            raise GuestError(errno.EINVAL)  # the old and new ranges must not overlap
        if new_size > t.space.user_top or new_addr > t.space.user_top - new_size:
            raise GuestError(errno.EINVAL)  # beyond the address space
        return t.space.remap(old, old_size, new_size, True, new_addr)
    return t.space.remap(old, old_size, new_size, bool(flags & MREMAP_MAYMOVE))


@syscall
def madvise(t, addr: Ptr, length: Size, advice: Advice):
    _page_aligned(addr)
    if advice == MADV_DONTNEED:
        t.space.discard(addr, length)
    elif advice not in _ADVICE_HINTS:
        raise GuestError(errno.EINVAL)
    elif t.space.accessible(addr, page_ceil(length), 0) < page_ceil(length):
        raise GuestError(errno.ENOMEM)


@syscall
def msync(t, addr: Ptr, length: Size, flags: MsyncFlags):
    _page_aligned(addr)
    m = t.abi.tables.MMAN  # host bits here, the same names: the kernel's checks on them
    if flags & ~(m["MS_ASYNC"] | m["MS_INVALIDATE"] | m["MS_SYNC"]) or \
            (flags & m["MS_ASYNC"] and flags & m["MS_SYNC"]):
        raise GuestError(errno.EINVAL)
    t.space.sync(addr, length, flags)
