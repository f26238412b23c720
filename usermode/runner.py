"""Run one guest program to its end: exit status, or death by the guest's signal."""
import gc
import os
import _signal as signal  # signal.py only adds enums, and imports enum: 3 ms of every start-up
import threading

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
    from .fdlimit import FdLimit
    process.fd_limit = FdLimit.start()  # before the emulator keeps a descriptor: above the guest's limit
    if process.fd_limit is not None:  # every slot, in use or not, is out of the guest's sight (ownfds.py)
        process.reserved_fds.update(process.fd_limit.slots())
    if log is not None:
        fd = os.dup(log.fileno())
        log.close()
        process.log = tell.Log(os.fdopen(process.keep_fd(fd), "w", buffering=1))
    process.signals.install_host()
    thread = start(process, argv, envp)
    # the collector, off during start-up (cli.entry), is back for the guest's run; what
    # start-up made lives as long as the process, so its passes skip it (and a fork's
    # child does not copy the pages a pass would touch)
    gc.freeze()
    gc.enable()
    while True:
        thread.run()  # the main guest thread; the others run on their own host threads
        status = process.wait_exit()
        if process.exec_request is None:
            break
        # an execve in place (exec_in_place.py): the same host thread runs the new program
        from .exec_in_place import replace
        process, thread = replace(process)
    process.tell_debugger("W", status)
    return status


def start(process, argv, envp):
    """Load the program of process.options into process: its main thread, ready to
    run on this host thread (with -g, once gdb is there)."""
    opts = process.options
    listener = None
    if opts.gdb is not None:
        from . import gdb
        listener = gdb.listen(opts.gdb)
    process.runner_ident = threading.get_ident()
    thread = program.start(process, opts.program, argv, envp)
    debug.install(process, thread)
    if listener is not None:
        gdb.attach(process, listener)
    return thread
