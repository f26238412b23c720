"""More about files: memfd_create,
name_to_handle_at / open_by_handle_at, kcmp.

Guest descriptors are host descriptors, so these are the host's calls; what
the guest passes by pointer is read and written in its own byte order.
"""
import ctypes
import errno

from ...errors import GuestError
from ..argtypes import CStr, DirFd, Fd, Int, Path, Ptr, UInt
from ..registry import syscall
from .fs import OpenFlags
from .hostcall import call
from .hosttypes import PROT_WRITE

MFD_FLAGS = 0x0001 | 0x0002 | 0x0004 | 0x0008 | 0x0010  # CLOEXEC, ALLOW_SEALING, HUGETLB, NOEXEC_SEAL, EXEC
MFD_HUGE_MASK = 0x3F << 26  # the huge page size, when MFD_HUGETLB


@syscall
def memfd_create(t, name: CStr, flags: UInt) -> Fd:
    if name is None:
        raise GuestError(errno.EFAULT)
    return call("memfd_create", name, flags)  # MFD_* are the same numbers on every ABI


# ---- file handles -------------------------------------------------------------------------
# struct file_handle: u32 handle_bytes, int handle_type, then handle_bytes opaque bytes.

MAX_HANDLE_SZ = 128
AT_SYMLINK_FOLLOW = 0x400


def _handle_header(t, addr):
    return t.abi.unpack("Ii", t.space.read(addr, 8))


@syscall
def name_to_handle_at(t, dirfd: DirFd, path: Path(nofollow=("flags", lambda abi: lambda raw: not raw & 0x400)),
                      handle: Ptr, mount_id: Ptr, flags: Int):
    size, _ = _handle_header(t, handle)
    t.space.check(mount_id, 4, PROT_WRITE)  # the kernel writes it even with EOVERFLOW: EFAULT first
    host = ctypes.create_string_buffer(8 + min(size, MAX_HANDLE_SZ))
    ctypes.c_uint32.from_buffer(host).value = size
    mnt = ctypes.c_int()
    try:
        call("name_to_handle_at", dirfd, path, host, ctypes.byref(mnt), flags)
    except OSError as e:
        if e.errno == errno.EOVERFLOW:  # the kernel says how big the handle must be
            t.space.write(handle, t.abi.pack("I", ctypes.c_uint32.from_buffer(host).value))
        raise
    got = ctypes.c_uint32.from_buffer(host).value
    htype = ctypes.c_int.from_buffer(host, 4).value
    t.space.write(handle, t.abi.pack("Ii", got, htype) + host.raw[8:8 + got])
    t.space.write(mount_id, t.abi.pack("i", mnt.value))


@syscall
def open_by_handle_at(t, mount_fd: Fd, handle: Ptr, flags: OpenFlags) -> Fd:
    size, htype = _handle_header(t, handle)
    if size > MAX_HANDLE_SZ or size == 0:
        raise GuestError(errno.EINVAL)
    data = t.space.read(handle + 8, size)
    host = ctypes.create_string_buffer(8 + size)
    ctypes.c_uint32.from_buffer(host).value = size
    ctypes.c_int.from_buffer(host, 4).value = htype
    ctypes.memmove(ctypes.addressof(host) + 8, data, size)
    with t.unlocked():
        return call("open_by_handle_at", mount_fd, host, flags)


# ---- kcmp ---------------------------------------------------------------------------------

KCMP_EPOLL_TFD = 7


@syscall
def kcmp(t, pid1: Int, pid2: Int, kind: Int, idx1: Ptr, idx2: Ptr):
    if kind == KCMP_EPOLL_TFD:  # idx2 points at struct kcmp_epoll_slot: u32 efd, tfd, toff
        slot = (ctypes.c_uint32 * 3)(*t.abi.unpack("III", t.space.read(idx2, 12)))
        return call("kcmp", pid1, pid2, kind, idx1, slot)
    return call("kcmp", pid1, pid2, kind, idx1, idx2)
