"""The host kernel's own syscalls, called raw through libc's syscall().

Python's os module is not always the host call a guest asked for: os.open and
os.dup make descriptors close-on-exec (PEP 446), os.rename has no flags,
os.utime cannot say UTIME_OMIT for one of the two times, and there is no
os.getdents at all. Calling the host syscall by its (generated) number keeps
every flag and every errno exactly the kernel's.

Guest memory has a host address (AddressSpace.base + guest address), so a
host call can read or write a guest buffer in place once the buffer has been
checked (`guest_buffer`).
"""
import ctypes
import os

from ...abi import Abi
from ...structs import Layouts

_libc = ctypes.CDLL(None, use_errno=True)
_syscall = _libc.syscall
_syscall.restype = ctypes.c_long

# The host side of every struct repacking: the host ABI and its layouts.
HOST_ABI = Abi("x86_64", 64, "little")
HOST_LAYOUTS = Layouts(HOST_ABI)
_NUMBERS = HOST_ABI.tables.SYSCALLS


def _arg(value):
    if value is None:
        return ctypes.c_void_p(None)
    if isinstance(value, int):
        return ctypes.c_long(value)
    if isinstance(value, bytes):
        return ctypes.c_char_p(value)
    return value  # a ctypes object: byref(), a buffer


def call(name, *args):
    """The host syscall `name`; its result, or OSError with the host errno."""
    ret = _syscall(ctypes.c_long(_NUMBERS[name]), *[_arg(a) for a in args])
    if ret == -1:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return ret


def typed(name, *argtypes):
    """call() for one host syscall whose argument types are declared once (ints, addresses,
    bytes): for the hot ones, where call()'s conversion of each argument to a ctypes
    object took a microsecond."""
    fn = ctypes.CFUNCTYPE(ctypes.c_long, ctypes.c_long, *argtypes, use_errno=True)(("syscall", _libc))
    nr = _NUMBERS[name]

    def typed_call(*args):
        ret = fn(nr, *args)
        if ret == -1:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
        return ret
    return typed_call


# statx: every stat of the 32-bit guests (glibc's stat is statx there); ppoll: every poll
statx = typed("statx", ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p)
ppoll = typed("ppoll", ctypes.c_void_p, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)


def guest_address(t, addr, length, prot):
    """The host address of a guest buffer, after the EFAULT check."""
    t.space.check(addr, length, prot)
    return t.space.base + addr


def guest_buffer(t, addr, length, prot):
    """guest_address as a pointer argument for call()."""
    return ctypes.c_void_p(guest_address(t, addr, length, prot))


_SAME = {}  # (Layouts, struct name) -> same_layout's answer


def same_layout(t, name):
    """Whether the guest's struct `name` is byte for byte the host's (then no repacking)."""
    key = (t.layouts, name)
    same = _SAME.get(key)
    if same is None:  # getattr: the cached layouts (calling __getattr__ built both anew, 0.3 ms)
        same = _SAME[key] = getattr(t.layouts, name).struct.format == getattr(HOST_LAYOUTS, name).struct.format
    return same


def repack(src_layout, dst_layout, data):
    """A struct's bytes in one layout, rewritten field by field in another."""
    if src_layout.fields == dst_layout.fields and src_layout.arrays == dst_layout.arrays:
        # the same members in the same order (statx on a big-endian guest, rusage on a
        # 32-bit one): the values as they come, in one pack, without a dict of them
        return dst_layout.struct.pack(*src_layout.struct.unpack_from(data))
    return dst_layout.pack(**src_layout.unpack(data))


def path_arg(t, addr):
    """An optional path argument (NULL allowed): host path bytes or None."""
    if not addr:
        return None
    return t.process.host_path(t.space.cstring(addr))
