"""Host virtual memory calls the mmap module cannot make (fixed addresses, mremap)."""
import ctypes
import errno as host_errno
import os

from ..tables import x86_64 as HOST

# The C library the interpreter itself runs on (dlopen(NULL) sees it): no
# ctypes.util.find_library, whose imports (subprocess, tempfile, shutil) cost
# 9 ms of every start-up.
_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
_libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_libc.msync.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_libc.mremap.restype = ctypes.c_void_p
_libc.mremap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_int, ctypes.c_void_p]
_libc.memchr.restype = ctypes.c_void_p
_libc.memchr.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_libc.memmove.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
_libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]

MAP_FAILED = ctypes.c_void_p(-1).value

PROT_NONE = HOST.MMAN["PROT_NONE"]
PROT_READ = HOST.MMAN["PROT_READ"]
PROT_WRITE = HOST.MMAN["PROT_WRITE"]
PROT_EXEC = HOST.MMAN["PROT_EXEC"]
MAP_SHARED = HOST.MMAN["MAP_SHARED"]
MAP_PRIVATE = HOST.MMAN["MAP_PRIVATE"]
MAP_FIXED = HOST.MMAN["MAP_FIXED"]
MAP_ANONYMOUS = HOST.MMAN["MAP_ANONYMOUS"]
MAP_NORESERVE = HOST.MMAN["MAP_NORESERVE"]
MAP_LOCKED = HOST.MMAN["MAP_LOCKED"]
MAP_GROWSDOWN = HOST.MMAN["MAP_GROWSDOWN"]
MREMAP_MAYMOVE = HOST.MMAN["MREMAP_MAYMOVE"]
MREMAP_FIXED = HOST.MMAN["MREMAP_FIXED"]
MADV_DONTNEED = HOST.MMAN["MADV_DONTNEED"]


def _fail():
    err = ctypes.get_errno() or host_errno.ENOMEM
    raise OSError(err, os.strerror(err))


def mmap(addr, length, prot, flags, fd=-1, offset=0):
    result = _libc.mmap(addr, length, prot, flags, fd, offset)
    if result == MAP_FAILED or result is None:
        _fail()
    return result


def munmap(addr, length):
    if _libc.munmap(addr, length) != 0:
        _fail()


def mprotect(addr, length, prot):
    if _libc.mprotect(addr, length, prot) != 0:
        _fail()


def madvise(addr, length, advice):
    if _libc.madvise(addr, length, advice) != 0:
        _fail()


def msync(addr, length, flags):
    if _libc.msync(addr, length, flags) != 0:
        _fail()


def mremap_fixed(old, old_size, new_size, new):
    result = _libc.mremap(old, old_size, new_size, MREMAP_MAYMOVE | MREMAP_FIXED, new)
    if result == MAP_FAILED or result is None:
        _fail()
    return result


def mapping_starts(lo, hi):
    """Where the host's own mappings begin inside (lo, hi), in order (its /proc/self/maps)."""
    starts = []
    with open("/proc/self/maps", "rb") as f:
        for line in f:
            start = int(line[:line.index(b"-")], 16)
            if lo < start < hi:
                starts.append(start)
    return starts


def memchr(addr, byte, length):
    """Host address of the first `byte` in [addr, addr+length), or None."""
    return _libc.memchr(addr, byte, length)


def memmove(dst, src, length):
    _libc.memmove(dst, src, length)


def reserve(length):
    """Reserve address space without committing memory: the guest's whole range."""
    return mmap(None, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE)


def release(addr, length):
    """Give pages back to the reservation (inaccessible, no memory)."""
    mmap(addr, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED)


def resident_pages(addr, length):
    """How many pages of [addr, addr+length) (page aligned) are in memory: mincore."""
    total = 0
    chunk = 1 << 30  # a byte per page: at most 256 KiB of vector at a time
    for off in range(0, length, chunk):
        size = min(chunk, length - off)
        pages = (size + 4095) // 4096
        vec = ctypes.create_string_buffer(pages)
        if _libc.mincore(addr + off, size, vec) != 0:
            _fail()
        total += pages - vec.raw.count(0)
    return total
