"""execve without a new interpreter: the running emulator replaces its guest.

An execve of a program for an architecture pyqemu runs used to start a new
emulator (os.execve of Python with this one's options): Python, Unicorn and
pyqemu's imports again, 50 ms of CPU and more for every exec a configure
script, a test suite or a shell loop makes. Where it can, the emulator now
does in its own host process what the kernel's execve does:

- before the point of no return (syscalls/handlers/spawn.py): the program is
  found and classified, and the options the new emulator would have had are
  made the same way (its command line, read against the new environment as
  the new interpreter would read it: PYQEMU_* variables included);
- the old image goes: the guest thread leaves its run loop (its robust futexes
  released as at an exit), every descriptor with FD_CLOEXEC is closed, caught
  signals go back to their default (ignored ones stay ignored; the blocked
  mask and pending signals stay), POSIX timers are deleted, and the CPU and
  the address space are freed;
- the new image is loaded into a new Process as at start-up: argv, envp and
  auxv, /proc/self/exe, the same pid and host signal machinery, -strace and
  -d into the same log.

It is used when the exec'ing thread is the process's only guest thread and
runs on the host thread whose run loop the runner started (the runner then
takes over: runner.py), and no gdb is attached. Otherwise, and with
PYQEMU_EXEC_IN_PLACE=0, execve starts a new emulator as before. An error
loading the new program comes after the point of no return, as it did in a
new emulator: its one line, and the status pyqemu's command line gives.
"""
import os
import threading

from . import raw

DISABLED = os.environ.get("PYQEMU_EXEC_IN_PLACE") == "0"


class ExecRequest:
    """What execve asked for: the new emulator's arguments (after `python -m
    usermode`), the new environment (bytes -> bytes), and the thread that asked."""

    __slots__ = ("args", "envp", "thread")

    def __init__(self, args, envp, thread):
        self.args, self.envp, self.thread = args, envp, thread


def possible(thread):
    process = thread.process
    return (not DISABLED and process.debugger is None and len(process.threads) == 1
            and process.runner_ident == threading.get_ident() == thread.host_ident)


def request(thread, args, envp):
    """execve's point of no return, inside the syscall: the thread leaves guest
    code for good, and the runner loads the new program (replace)."""
    thread.process.debug_note(f"execve in place: {args[args.index('--') + 1]}")
    thread.process.exec_request = ExecRequest(args, envp, thread)
    thread.exiting = True
    raw.emu_stop(thread.handle)


def replace(old):
    """The process that runs the program old.exec_request names, and its main
    thread ready to run; old is gone. A program that cannot be loaded ends the
    process with pyqemu's message for it."""
    from .cli import one_line, parse, resolve, guest_environment
    from .errors import UserError
    req = old.exec_request
    environ = {os.fsdecode(k): os.fsdecode(v) for k, v in req.envp.items()}
    try:
        opts = parse(req.args, "pyqemu", environ)
        arch, argv = resolve(opts, None)
    except UserError as e:
        _fail(old, req.thread, f"pyqemu: {one_line(str(e))}", e.status)
    _discard(old, req.thread)
    from .process import Process
    from .runner import start
    new = Process(arch, opts, old.log)
    new.reserved_fds, new.reserved_ids = old.reserved_fds, old.reserved_ids  # ownfds.py
    new.fd_limit = old.fd_limit  # fdlimit.py
    _carry_signals(old, new)
    try:
        thread = start(new, argv, guest_environment(opts, req.envp))
    except UserError as e:
        _fail(new, None, f"pyqemu: {one_line(str(e))}", e.status)
    _carry_pending(old, new, thread)
    return new, thread


def _fail(process, thread, message, status):
    import sys
    if thread is not None:
        _discard(process, thread)
    sys.stderr.write(message + "\n")
    process.flush_logs()
    os._exit(status)


# ---- the old image ---------------------------------------------------------------------

def _discard(process, thread):
    """What the kernel's execve drops, from a process whose last thread left its run loop."""
    process.preempter.stop()
    forget = getattr(thread.tlb_growth, "forget", None)
    if forget is not None:
        forget()
    _delete_posix_timers(process)
    _close_on_exec(process)
    process.signals.reset_for_exec()  # handlers go back to SIG_DFL on the host as well
    thread.uc.close()
    process.space.release()


def _close_on_exec(process):
    """Close the guest's FD_CLOEXEC descriptors (the emulator's own stay)."""
    import fcntl
    keep = process.reserved_fds
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        fds = range(os.sysconf("SC_OPEN_MAX"))
    for fd in fds:
        if fd in keep:
            continue
        try:
            if fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC:
                os.close(fd)
        except OSError:
            pass  # the listing's own descriptor, closed by now


def _delete_posix_timers(process):
    from .syscalls.handlers.hostcall import call
    for timer in process.signals.timers.ids():
        try:
            call("timer_delete", timer)
        except OSError:
            pass


# ---- signals: the same host machinery, the dispositions and pending signals carried --------

def _carry_signals(old, new):
    """The new process takes over the host signal pipe and its watcher thread;
    ignored signals stay ignored (everything else is at its default now)."""
    from .signals import numbers
    from .signals.delivery import SIG_IGN
    host = old.signals.host
    new.signals.host = host
    with host.drain_lock:  # a drain in progress finishes into the old queues, which are carried
        host.process = new
    for sig in range(1, old.abi.nsig + 1):
        if old.signals.actions[sig].handler == SIG_IGN:
            mapped = _same_signal(old.abi, new.abi, sig)
            if mapped is not None:
                new.signals.actions[mapped].handler = SIG_IGN
    for watcher in old.signals.watchers:  # a signalfd's signals were caught for it: no more
        for sig in numbers.members(watcher.mask):
            mapped = _same_signal(old.abi, new.abi, sig)
            if mapped is not None:
                new.signals.refresh_host_disposition(mapped)


def _carry_pending(old, new, thread):
    """Signals pending for the old process or its thread stay pending (execve keeps them)."""
    with old.signals.mutex:
        queues = ((old.signals.shared, new.signals.shared),
                  (old.exec_request.thread.signals.pending, thread.signals.pending))
        for source, target in queues:
            for sig, info in source:
                mapped = _same_signal(old.abi, new.abi, sig)
                if mapped is not None:
                    info.signo = mapped
                    target.append((mapped, info))
    if thread.signals.deliverable():
        thread.signals.pending_flag = True


def _same_signal(old_abi, new_abi, sig):
    """sig of one ABI as the other numbers it (both are the host's signal)."""
    if old_abi is new_abi:
        return sig
    from .signals import numbers
    host = numbers.to_host(old_abi, sig)
    return None if host is None else numbers.to_guest(new_abi, host)
