"""Guest signal numbers, host signal numbers, and the kernel's default actions.

Guest signals 1-31 are the host's by name (the generated tables). Real-time
signals 34-63 are the same number on both sides. Guest 32 and 33 are the
guest glibc's own (thread cancellation, setxid broadcasts): the host glibc
owns host 32 and 33, so those stay inside the emulator, as does guest 64:
host 64 is KICK, the signal the emulator uses to interrupt one of its own
threads blocked in a host call. Signals that stay inside are delivered between
the guest's own threads (tgkill, raise) but cannot come from outside.
"""
import _signal as signal  # signal.py only adds enums, and imports enum: 3 ms of every start-up

NSIG = 64
KICK = 64  # host signal, never the guest's

# host signals whose host handler must stay the host's: faults of the emulator itself
HOST_SYNCHRONOUS = {signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE, signal.SIGTRAP}
UNCATCHABLE = {signal.SIGKILL, signal.SIGSTOP}

_IGNORE = {"SIGCHLD", "SIGCONT", "SIGURG", "SIGWINCH"}
_STOP = {"SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU"}
_CORE = {"SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGSEGV", "SIGXCPU",
         "SIGXFSZ", "SIGSYS"}


def to_host(abi, guest):
    """The host signal for a guest signal, or None when it has none (see above)."""
    if 1 <= guest < 32:
        return abi.signals.to_host(guest)
    if 34 <= guest < 64:
        return guest
    return None


def to_guest(abi, host):
    if 1 <= host < 32:
        return abi.signals.to_guest(host)
    if 34 <= host < 64:
        return host
    return None


def name(abi, guest):
    if guest >= 32:
        return f"SIGRT{guest - 32}" if guest > 33 else f"SIG{guest}"
    return abi.signals.name(guest) or f"SIG{guest}"


def default_action(abi, guest):
    """'ignore', 'stop', 'continue', 'core' or 'terminate', as the kernel's table."""
    n = name(abi, guest)
    if n == "SIGCONT":
        return "continue"
    if n in _IGNORE:
        return "ignore"
    if n in _STOP:
        return "stop"
    if n in _CORE:
        return "core"
    return "terminate"


def bit(guest):
    return 1 << (guest - 1)


def members(mask):
    """Guest signal numbers in a mask, lowest first."""
    out = []
    n = 1
    while mask:
        if mask & 1:
            out.append(n)
        mask >>= 1
        n += 1
    return out
