"""Old calls 32-bit ABIs still number (ppc, m68k, s390x's umount): each is a newer call
with fewer arguments, as the kernel defines it."""
import ctypes

from ..argtypes import Path, Ptr, UInt
from ..registry import syscall
from .hostcall import call
from .hosttypes import Timeval


@syscall
def umount(t, target: Path):
    call("umount2", target, 0)  # ksys_umount(name, 0)


@syscall
def sgetmask(t):
    """The blocked mask's first word (signals 1 to 32)."""
    return t.signals.blocked & 0xFFFFFFFF


@syscall
def ssetmask(t, newmask: UInt):
    """Sets that first word (SIGKILL and SIGSTOP never blocked); returns the old one."""
    sigs = t.signals
    old = sigs.blocked
    sigs.set_blocked((old & ~0xFFFFFFFF) | (newmask & 0xFFFFFFFF))  # (set_blocked leaves them out)
    return old & 0xFFFFFFFF


@syscall
def stime(t, tptr: Ptr):
    """settimeofday to *tptr seconds (a time_t of the ABI's word)."""
    seconds = t.abi.unpack("l", t.space.read(tptr, t.abi.word_bytes))[0]
    call("settimeofday", ctypes.byref(Timeval(seconds, 0)), None)
