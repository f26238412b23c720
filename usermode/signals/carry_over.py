"""The guest's blocked pending signals, handed to the host kernel right before a
native execve.

A program the host runs itself (an x86-64 or i386 program: syscalls/handlers/spawn.py)
replaces the emulator by the host's own execve, and the kernel keeps pending signals
across an execve: a blocked one is still pending in the new program. The guest's pending
signals live in the emulator's queues, which that execve ends, so each blocked one is
raised on the host just before it, with the host's mask already the guest's
(Process.prepare_exec): the kernel holds it and carries it over.

They are raised on this host thread (tgkill), not on the process: the watcher thread
leaves the caught signals unblocked and would take a process-directed one back into our
queues. After an execve the exec'ing thread is the only one, so the new program sees
them pending either way. What is carried is the signal, not its siginfo: the new program
sees it sent by its own process (SI_TKILL). Signals without a host twin (guest 32, 33 and
64: see numbers.py) cannot be carried. If the execve fails, take_back() takes the raised
signals out of the host kernel again (still blocked, so nothing ran meanwhile); the
emulator's queues were never changed.
"""
import _signal as signal  # signal.py only adds enums, and imports enum: 3 ms of every start-up
import threading

from . import numbers


class Carried:
    """The host signals raised for one execve, to take back if it fails."""

    def __init__(self, raised):
        self.raised = raised

    def take_back(self):
        for host in self.raised:
            signal.sigtimedwait({host}, 0)


def to_host_kernel(thread):
    """Raise, on this host thread, every signal the guest thread (and its process) has
    pending and blocked; the host thread's mask must block them already."""
    sigs = thread.signals
    with sigs.shared.mutex:
        queued = [sig for sig, _ in list(sigs.pending) + list(sigs.shared.shared)]
    host_mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    already = signal.sigpending()  # a standard signal the host holds already stays one
    raised = []
    me = threading.get_ident()
    try:
        for sig in queued:
            host = numbers.to_host(thread.abi, sig)
            if host is None or not sigs.blocked & numbers.bit(sig) or host not in host_mask:
                continue  # no host twin, or would run a handler here and now instead
            if host < 32 and (host in already or host in raised):  # standard: never twice
                continue
            signal.pthread_kill(me, host)
            raised.append(host)
    except BaseException:
        Carried(raised).take_back()
        raise
    return Carried(raised)
