"""How an emulated process ends when it does not exit by itself: one line saying
what happened, then the guest's own signal (or, for a bug of ours, EX_SOFTWARE).
Shared by the runner and the process, so neither imports the other."""
import ctypes
import os
import resource
import _signal as signal  # signal.py only adds enums, and imports enum: 3 ms of every start-up
import sys
import threading

from . import debuglog as debug, tell

INTERNAL_ERROR_STATUS = 70  # EX_SOFTWARE


def describe_fault(process, fault):
    where = f"pc {fault.pc:#x}: {debug.disassemble_one(process, fault.pc, getattr(fault, 'cs_mode', None))}"
    if fault.address is not None and fault.signal == "SIGSEGV":
        return f"guest {fault.signal}: {fault.what} memory at {fault.address:#x}, {where}"
    if fault.address is not None and fault.signal == "SIGBUS":
        return f"guest {fault.signal}: {fault.what} at {fault.address:#x}, {where}"
    return f"guest {fault.signal}: {fault.what}, {where}"


def fatal_fault(process, fault):
    """A fault the guest does not handle: one line (if stderr takes it), then death by its signal."""
    try:
        tell.say(f"{process.prog}: {describe_fault(process, fault)}")
        process.tell_debugger("X", process.signals.number(fault.signal))
        process.flush_logs()
    finally:
        die_by_signal(getattr(signal, fault.signal))


def internal_error(process, exc):
    """A bug of ours inside guest execution: one line (and the traceback with -d traceback)."""
    try:
        if "traceback" in process.options.debug_items:
            import traceback
            tell.say("".join(traceback.format_exception(exc)).rstrip("\n"))
        tell.say(f"{process.prog}: internal error: {type(exc).__name__}: {exc} "
                 "(please report; -d traceback shows where)")
        process.flush_logs()
    finally:
        os._exit(INTERNAL_ERROR_STATUS)


_libc = ctypes.CDLL(None, use_errno=True)


def die_by_signal(signum):
    """Leave the way the guest would have: killed by the same (host) signal, from any thread."""
    tell.flush(sys.stdout)
    tell.flush(sys.stderr)
    # A core-dumping signal dumps core where the guest's RLIMIT_CORE (the host's: prlimit is
    # the host's own) allows, so the parent's wait status says "core dumped" as the kernel
    # would. The file is the emulator's, not a guest core (not written yet), so it is kept
    # to headers and notes: no memory of ours in it.
    try:
        with open("/proc/self/coredump_filter", "w") as f:
            f.write("0")
    except OSError:
        try:
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no filter: rather no core than ours
        except (ValueError, OSError):
            pass
    _libc.signal(signum, ctypes.c_void_p(0))  # SIG_DFL; signal.signal works in the main thread only
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signum])
    signal.pthread_kill(threading.get_ident(), signum)
    os.kill(os.getpid(), signum)
    os._exit(128 + signum)
