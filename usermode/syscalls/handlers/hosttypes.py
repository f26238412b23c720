"""Kernel types shared by the waiting, socket, clock and information calls
(poll.py, net.py, clock.py, info.py), on the host side: timespec and timeval,
bit arrays of longs (fd_set, cpu masks), signal sets translated by name.

Those calls are the host kernel's own raw syscalls (hostcall.call): glibc's
ppoll and pselect copy the timeout so the kernel's write-back of the time left
never shows; Python's select.poll retries on EINTR with a recomputed timeout;
socket objects parse addresses into tuples and lose what they cannot parse.
"""
import ctypes
import errno
import _signal as signal  # signal.py only adds enums, and imports enum: 3 ms of every start-up
import struct

from ...errors import GuestError
from ...memory.space import PROT_READ, PROT_WRITE
from ...tables import x86_64 as HOST
from .hostcall import HOST_ABI, HOST_LAYOUTS, call, guest_address, repack

# glibc's _NSIG counts signal 0, the kernel's does not: the host kernel's sigset_t size
HOST_SIGSET_BYTES = (signal.NSIG - 1) // 8
HOST_LONG_BITS = 64


def address(buf):
    """Host address of a ctypes object, or NULL for None."""
    return None if buf is None else ctypes.addressof(buf)


class HostIovec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


IOV_MAX = 1024


def host_iovecs(t, iov, count, prot, too_many=errno.EINVAL):
    """The guest's iovec array as a host one pointing into guest memory, each
    buffer checked (readv/writev say EINVAL for too many, sendmsg EMSGSIZE)."""
    if count < 0 or count > IOV_MAX:
        raise GuestError(too_many)
    layout = t.layouts.iovec
    data = t.space.read(iov, count * layout.size)
    host = (HostIovec * max(count, 1))()
    base = t.space.base
    for i in range(count):
        v = layout.unpack(data[i * layout.size:])
        if v["iov_len"] > (t.abi.word_mask >> 1):
            raise GuestError(errno.EINVAL)
        t.space.check(v["iov_base"], v["iov_len"], prot)
        host[i].iov_base = base + v["iov_base"] if v["iov_len"] else None
        host[i].iov_len = v["iov_len"]
    return host


class Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class Timeval(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long)]


def read_timespec(t, addr, layout="timespec"):
    """The guest's struct timespec at addr as a host one (None for NULL); `layout`
    is "timespec64" for the *_time64 calls of 32-bit ABIs."""
    if not addr:
        return None
    wide = layout.endswith("64")
    layout = getattr(t.layouts, layout)
    sec, nsec = layout.struct.unpack(t.space.view(addr, layout.size))  # (structs.py: tv_sec, tv_nsec)
    return Timespec(sec, kernel_nsec(t.abi, nsec) if wide else nsec)


def valid_timespec(ts):
    """The kernel's timespec64_valid: a second count not below zero, nanoseconds under
    a second (None, no timeout, is valid)."""
    return ts is None or (ts.tv_sec >= 0 and 0 <= ts.tv_nsec < 1_000_000_000)


def kernel_nsec(abi, value):
    """A struct __kernel_timespec's tv_nsec as the kernel reads it from a 32-bit task:
    its low 32 bits only (glibc's __timespec64 leaves the other half as padding)."""
    if abi.bits == 64:
        return value
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def write_timespec(t, addr, ts, layout="timespec"):
    """A host timespec into the guest's struct; EOVERFLOW if the seconds do not fit
    a 32-bit time_t (the kernel's answer for the old calls after 2038)."""
    layout = getattr(t.layouts, layout)
    try:
        data = layout.struct.pack(ts.tv_sec, ts.tv_nsec)  # (structs.py: tv_sec, tv_nsec)
    except struct.error:
        raise GuestError(errno.EOVERFLOW) from None
    t.space.write(addr, data)


def write_back_timespec(t, addr, ts, layout="timespec"):
    """The kernel's write-back of the time left: a failure to write is ignored, as
    the kernel does (a timeout in read-only memory must not turn success into EFAULT)."""
    if addr and ts is not None:
        try:
            write_timespec(t, addr, ts, layout)
        except GuestError:
            pass


# ---- bit arrays of longs: fd_set, cpu masks, signal sets ---------------------

def bits_from_guest(abi, data):
    """The guest's array of unsigned longs (its word size and byte order) as one integer:
    bit n of the result is element n // bits, bit n % bits."""
    if abi.endian == "little":
        return int.from_bytes(data, "little")
    wb = abi.word_bytes
    value = 0
    for i in range(len(data) // wb):
        value |= int.from_bytes(data[i * wb:(i + 1) * wb], "big") << (8 * wb * i)
    return value


def bits_to_guest(abi, value, length):
    """The inverse of bits_from_guest: `length` bytes of guest longs."""
    if abi.endian == "little":
        return (value & ((1 << (8 * length)) - 1)).to_bytes(length, "little")
    wb = abi.word_bytes
    mask = (1 << (8 * wb)) - 1
    return b"".join(((value >> (8 * wb * i)) & mask).to_bytes(wb, "big") for i in range(length // wb))


def host_bits(value, nbits):
    """A host buffer of longs holding the low nbits of value."""
    nbytes = (nbits + HOST_LONG_BITS - 1) // HOST_LONG_BITS * 8
    return ctypes.create_string_buffer((value & ((1 << nbits) - 1)).to_bytes(nbytes, "little"), nbytes)


# ---- signal sets -------------------------------------------------------------

def guest_sigset_bytes(abi):
    return abi.sigset_bytes


def host_sigset(t, addr, size):
    """The guest's kernel sigset_t at addr (size must be its sigsetsize) as a host
    buffer for the host kernel, signal numbers translated by name. None for NULL."""
    if not addr:
        return None
    if size != guest_sigset_bytes(t.abi):
        raise GuestError(errno.EINVAL)
    guest = bits_from_guest(t.abi, t.space.read(addr, size))
    to_host = t.abi.signals.to_host
    out = 0
    n = 1
    while guest:
        if guest & 1:
            h = to_host(n)
            if 0 < h <= 8 * HOST_SIGSET_BYTES:
                out |= 1 << (h - 1)
        guest >>= 1
        n += 1
    return ctypes.create_string_buffer(out.to_bytes(HOST_SIGSET_BYTES, "little"), HOST_SIGSET_BYTES)


__all__ = ["HOST", "HOST_ABI", "HOST_LAYOUTS", "repack", "call", "address", "guest_address", "Timespec", "Timeval", "read_timespec",
           "write_timespec", "write_back_timespec", "bits_from_guest", "bits_to_guest",
           "host_bits", "host_sigset", "guest_sigset_bytes", "HOST_SIGSET_BYTES",
           "PROT_READ", "PROT_WRITE"]
