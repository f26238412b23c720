"""Run one guest program to its end: exit status, or death by the guest's signal."""
import os
import signal

from . import debuglog as debug, tell
from .loader import program
from .process import Process


def run_program(arch, opts, argv, envp, log):
    # Python ignores SIGPIPE and SIGXFSZ and turns SIGINT into an exception; the
    # guest expects the kernel's defaults (die of SIGPIPE when the reader of a
    # pipe is gone, die of SIGINT on Ctrl-C), as a native program would.
    for signum in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT):
        signal.signal(signum, signal.SIG_DFL)
    process = Process(arch, opts, log)
    if log is not None:
        fd = os.dup(log.fileno())
        log.close()
        process.log = tell.Log(os.fdopen(process.keep_fd(fd), "w", buffering=1))
    process.signals.install_host()
    listener = None
    if opts.gdb is not None:
        from . import gdb
        listener = gdb.listen(opts.gdb)
    thread = program.start(process, opts.program, argv, envp)
    debug.install(process, thread)
    if listener is not None:
        gdb.attach(process, listener)
    thread.run()  # the main guest thread; the others run on their own host threads
    status = process.wait_exit()
    process.tell_debugger("W", status)
    return status
