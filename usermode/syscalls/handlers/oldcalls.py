"""The oldest calls some 32-bit ABIs still number (i386, m68k, ...), each the work of
its successor: sgetmask/ssetmask (the mask of the first word of signals as an int),
stime (the clock set from a time_t), umount (umount2 without flags)."""
import ctypes
import errno

from ...errors import GuestError
from ..argtypes import Int, Path, Ptr
from ..registry import syscall
from .hostcall import call
from .hosttypes import Timespec

# the kernel's sigset word: 64 bits on the 64-bit kernel a 32-bit process runs on
_KERNEL_WORD = (1 << 64) - 1


@syscall
def sgetmask(t):
    return t.signals.blocked & t.abi.word_mask  # blocked.sig[0], as the int the call returns


@syscall
def ssetmask(t, newmask: Int):
    """siginitset(newmask): the int, sign-extended to the kernel's word, is the whole
    new mask (every later signal unblocked); the old first word comes back."""
    old = t.signals.blocked
    t.signals.set_blocked(newmask & _KERNEL_WORD)
    return old & t.abi.word_mask


@syscall
def stime(t, tptr: Ptr):
    seconds = t.abi.signed(t.abi.unpack("W", t.space.read(tptr, t.abi.word_bytes))[0])
    if seconds < 0:
        raise GuestError(errno.EINVAL)  # as do_settimeofday64 for a time before the epoch
    call("clock_settime", 0, ctypes.byref(Timespec(seconds, 0)))  # CLOCK_REALTIME


@syscall
def umount(t, target: Path):
    call("umount2", target, 0)
