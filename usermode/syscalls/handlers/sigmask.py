"""The signal mask a call installs for its own duration (ppoll, pselect6,
epoll_pwait): the kernel's "temporary mask" semantics.

While the call waits, the guest thread's mask is the given one (the host call
gets the same mask, so the host kernel interrupts it exactly when the guest's
would). If a signal that mask lets through interrupts it, the call fails with
EINTR and the handler runs with the temporary mask still in place; the
original mask is what the handler's sigreturn restores (as after sigsuspend).
Otherwise the original mask comes back when the call returns.
"""
import contextlib
import errno

from ...errors import GuestError
from .hosttypes import bits_from_guest, guest_sigset_bytes


@contextlib.contextmanager
def temporary_mask(t, addr, size):
    if not addr:
        yield
        return
    if size != guest_sigset_bytes(t.abi):
        raise GuestError(errno.EINVAL)
    sigs = t.signals
    old = sigs.blocked
    sigs.set_blocked(bits_from_guest(t.abi, t.space.read(addr, size)))
    try:
        yield
    except OSError as e:
        if e.errno == errno.EINTR:
            sigs.shared.host.drain()
            pending = sigs.deliverable_action()
            if pending is not None and not sigs.shared.ignored(pending[0]):
                sigs.saved_mask = old  # the handler's frame records it; its sigreturn restores it
                sigs.pending_flag = True
                raise GuestError(errno.EINTR) from None
        sigs.set_blocked(old)
        raise
    except BaseException:
        sigs.set_blocked(old)
        raise
    sigs.set_blocked(old)
