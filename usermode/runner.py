"""Run one guest program to its end: exit status, or death by the guest's signal."""
import os
import resource
import signal
import sys

from .errors import UserError
from .loader import program
from .process import Process
from . import debuglog as debug

INTERNAL_ERROR_STATUS = 70  # EX_SOFTWARE


def run_program(arch, opts, argv, envp, log):
    # Python ignores SIGPIPE and SIGXFSZ and turns SIGINT into an exception; the
    # guest expects the kernel's defaults (die of SIGPIPE when the reader of a
    # pipe is gone, die of SIGINT on Ctrl-C), as a native program would.
    for signum in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT):
        signal.signal(signum, signal.SIG_DFL)
    process = Process(arch, opts, log)
    if log is not None:
        process.reserved_fds.add(log.fileno())
    thread = program.start(process, opts.program, argv, envp)
    debug.install(process, thread)
    fault = thread.run()
    if process.crashed is not None:
        exc = process.crashed
        if isinstance(exc, UserError):
            raise exc
        if "traceback" in opts.debug_items:
            import traceback
            traceback.print_exception(exc)
        raise UserError(f"internal error: {type(exc).__name__}: {exc} (please report; "
                        "-d traceback shows where)", INTERNAL_ERROR_STATUS)
    if fault is not None:
        sys.stderr.write(f"{process.prog}: {describe_fault(process, fault)}\n")
        die_by_signal(fault.signal)
    return process.exit_status


def describe_fault(process, fault):
    where = f"pc {fault.pc:#x}: {debug.disassemble_one(process, fault.pc)}"
    if fault.address is not None:
        return f"guest {fault.signal}: {fault.what} memory at {fault.address:#x}, {where}"
    return f"guest {fault.signal}: {fault.what}, {where}"


def die_by_signal(name):
    """Leave the way the guest would have: killed by the same signal."""
    signum = getattr(signal, name)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # the host's core would be ours, not the guest's
    except (ValueError, OSError):
        pass
    signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signum])
    os.kill(os.getpid(), signum)
    os._exit(128 + signum)
