"""Moving data between descriptors without a copy through the guest: splice,
tee, vmsplice. The host's calls (guest descriptors are the host's), with the
emulator lock released: each can block on a pipe."""
import ctypes

from ..argtypes import Fd, Ptr, Size, UInt
from ..registry import syscall
from .hostcall import call
from .hosttypes import PROT_READ, PROT_WRITE, host_iovecs


def _offset_in(t, addr):
    if not addr:
        return None
    return ctypes.c_int64(t.abi.unpack("q", t.space.read(addr, 8))[0])


def _offset_out(t, addr, value):
    if addr and value is not None:
        t.space.write(addr, t.abi.pack("q", value.value))


@syscall
def splice(t, fd_in: Fd, off_in: Ptr, fd_out: Fd, off_out: Ptr, length: Size, flags: UInt):
    hin, hout = _offset_in(t, off_in), _offset_in(t, off_out)
    with t.unlocked():
        moved = call("splice", fd_in, ctypes.byref(hin) if hin is not None else None,
                     fd_out, ctypes.byref(hout) if hout is not None else None, length, flags)
    _offset_out(t, off_in, hin)
    _offset_out(t, off_out, hout)
    return moved


@syscall
def tee(t, fd_in: Fd, fd_out: Fd, length: Size, flags: UInt):
    with t.unlocked():
        return call("tee", fd_in, fd_out, length, flags)


SPLICE_F_GIFT = 8


@syscall
def vmsplice(t, fd: Fd, iov: Ptr, nr_segs: Size, flags: UInt):
    # into a pipe the buffers are read; out of one (the kernel tells by the pipe's end) written
    import os
    import fcntl
    mode = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE if fd >= 0 else os.O_WRONLY
    prot = PROT_WRITE if mode == os.O_RDONLY else PROT_READ
    host = host_iovecs(t, iov, nr_segs, prot)
    with t.unlocked():
        return call("vmsplice", fd, host, nr_segs, flags & ~SPLICE_F_GIFT)  # a gift of guest pages: no
