"""Locking guest memory in RAM and asking what is resident: mlock, mlock2,
munlock, mlockall, munlockall, mincore.

Guest page p is host page base+p, so these are the host's calls on the host
range of the guest's; the kernel's own checks on the guest's view come first
(alignment, a range that is not all mapped: ENOMEM). mlockall(MCL_CURRENT)
locks the guest's mappings, not the emulator's (the host call would lock
Python and the whole reservation too); MCL_FUTURE is the host's, so every
later guest mapping is locked as it is made.
"""
import errno

from ...errors import GuestError
from ...memory.space import PAGE, page_ceil
from ..argtypes import Int, Ptr, Size, UInt
from ..registry import syscall
from .hostcall import call, guest_buffer
from .hosttypes import HOST, PROT_WRITE

MLOCK_ONFAULT = 1  # linux/mman.h: the same on every ABI


def _range(t, addr, length):
    """The host start and length of the pages covering [addr, addr+length), all mapped."""
    start = addr & ~(PAGE - 1)
    end = page_ceil(addr + length)
    if end < start or end > t.space.size:
        raise GuestError(errno.ENOMEM)
    if t.space.accessible(start, end - start, 0) < end - start:
        raise GuestError(errno.ENOMEM)
    return t.space.base + start, end - start


@syscall
def mlock(t, addr: Ptr, length: Size):
    if length:
        call("mlock", *_range(t, addr, length))


@syscall
def mlock2(t, addr: Ptr, length: Size, flags: UInt):
    if flags & ~MLOCK_ONFAULT:
        raise GuestError(errno.EINVAL)
    if length:
        call("mlock2", *_range(t, addr, length), 1 if flags else 0)


@syscall
def munlock(t, addr: Ptr, length: Size):
    if length:
        call("munlock", *_range(t, addr, length))


@syscall
def mlockall(t, flags: Int):
    m = t.abi.tables.MMAN
    current, future, onfault = m["MCL_CURRENT"], m["MCL_FUTURE"], m.get("MCL_ONFAULT", 0)
    if not flags or flags & ~(current | future | onfault) or flags == onfault:
        raise GuestError(errno.EINVAL)
    host_onfault = HOST.MMAN["MCL_ONFAULT"] if flags & onfault else 0
    if flags & future:
        call("mlockall", HOST.MMAN["MCL_FUTURE"] | host_onfault)
    if flags & current:
        for vma in list(t.space.vmas):
            if vma.prot:
                if host_onfault:
                    call("mlock2", t.space.base + vma.start, vma.end - vma.start, 1)
                else:
                    call("mlock", t.space.base + vma.start, vma.end - vma.start)


@syscall
def munlockall(t):
    call("munlockall")


@syscall
def mincore(t, addr: Ptr, length: Size, vec: Ptr):
    if addr & (PAGE - 1):
        raise GuestError(errno.EINVAL)
    pages = page_ceil(length) // PAGE
    if not pages:
        return
    haddr, hlen = _range(t, addr, length)
    call("mincore", haddr, hlen, guest_buffer(t, vec, pages, PROT_WRITE))
