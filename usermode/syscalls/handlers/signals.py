"""Sending signals. Until guest signal handlers exist (the threads and signals
work), a signal sent to the emulated process itself takes the host's default
action, which is the kernel's: so abort() and raise() end the process with the
same signal as natively."""
import errno
import os
import signal

from ...errors import GuestError
from ..argtypes import Int, Signal
from ..registry import syscall


def _send(pid, sig):
    if sig < 0 or sig >= signal.NSIG:
        raise GuestError(errno.EINVAL)
    os.kill(pid, sig)


@syscall
def kill(t, pid: Int, sig: Signal):
    _send(pid, sig)


@syscall
def tgkill(t, tgid: Int, tid: Int, sig: Signal):
    if tgid <= 0 or tid <= 0:
        raise GuestError(errno.EINVAL)
    if tgid != os.getpid() or tid not in t.process.threads:
        raise GuestError(errno.ESRCH)
    _send(tgid, sig)


@syscall
def tkill(t, tid: Int, sig: Signal):
    if tid <= 0:
        raise GuestError(errno.EINVAL)
    if tid not in t.process.threads:
        raise GuestError(errno.ESRCH)
    _send(os.getpid(), sig)
