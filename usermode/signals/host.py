"""Host signals in and out of the emulator.

Dispositions mirror the guest's: a guest SIG_DFL or SIG_IGN is the host's own
SIG_DFL or SIG_IGN, so default actions (terminate, core, stop, continue,
ignore) are the host kernel's, exact and immediate, and survive execve as they
should. Only a signal the guest catches gets a host handler: CPython's C-level
handler, which writes the signal number to the wakeup pipe; a watcher thread
reads it and queues the guest signal. Thread masks mirror the guest's too, so
the host kernel picks the receiving thread as it would for the guest.

Python only lets the main thread call signal.signal, but a guest thread may
call rt_sigaction: so at start-up the main thread installs CPython's handler
once per signal and keeps the resulting struct sigaction, which any thread can
then put back with libc's sigaction().
"""
import ctypes
import os
import signal
import threading

from . import numbers

_libc = ctypes.CDLL(None, use_errno=True)
_SIGSET_BYTES = 128  # glibc's sigset_t


class _SigAction(ctypes.Structure):  # glibc's struct sigaction on x86-64
    _fields_ = [("handler", ctypes.c_void_p), ("mask", ctypes.c_ubyte * _SIGSET_BYTES),
                ("flags", ctypes.c_int), ("restorer", ctypes.c_void_p)]


_libc.sigaction.argtypes = [ctypes.c_int, ctypes.POINTER(_SigAction), ctypes.POINTER(_SigAction)]
SIG_DFL, SIG_IGN = 0, 1


def _noop(signum, frame):
    pass


class HostSignals:
    """One per emulator process: the saved handlers, the wakeup pipe, the watcher."""

    def __init__(self, process):
        self.process = process
        self.saved = {}  # host signal -> CPython's handler as a struct sigaction
        self.inherited_ignored = set()  # host signals ignored when we started (nohup)
        self.watcher = None
        self.read_fd = None

    def install(self):
        """Main thread, at start-up, before any guest code."""
        r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        r, w = self.process.keep_fd(r), self.process.keep_fd(w)
        self.read_fd = r
        signal.set_wakeup_fd(w, warn_on_full_buffer=False)
        for host in range(1, numbers.NSIG + 1):
            if host in numbers.UNCATCHABLE or host in numbers.HOST_SYNCHRONOUS or host in (32, 33):
                continue
            old = _SigAction()
            _libc.sigaction(host, None, ctypes.byref(old))
            if old.handler == SIG_IGN:
                self.inherited_ignored.add(host)
            try:
                signal.signal(host, _noop)
            except (OSError, ValueError):
                continue
            mine = _SigAction()
            _libc.sigaction(host, None, ctypes.byref(mine))
            self.saved[host] = mine
            if host != numbers.KICK:
                _libc.sigaction(host, ctypes.byref(old), None)  # back to what we inherited
        self.watcher = threading.Thread(target=self._watch, name="pyqemu-signals", daemon=True)
        self.watcher.start()

    def restart_after_fork(self):
        """In a fork's child the watcher thread is gone: start another."""
        self.watcher = threading.Thread(target=self._watch, name="pyqemu-signals", daemon=True)
        self.watcher.start()

    def set_disposition(self, host, kind):
        """kind: 'default', 'ignore' or 'catch'. Callable from any thread."""
        if host not in self.saved:
            return
        if kind == "catch":
            _libc.sigaction(host, ctypes.byref(self.saved[host]), None)
        else:
            act = _SigAction()
            act.handler = SIG_IGN if kind == "ignore" else SIG_DFL
            _libc.sigaction(host, ctypes.byref(act), None)

    def drain(self):
        """Queue every host signal the pipe holds (any thread; non-blocking)."""
        try:
            data = os.read(self.read_fd, 512)
        except BlockingIOError:
            return
        for host in data:
            self._arrived(host)

    def _arrived(self, host):
        if host == numbers.KICK:
            return
        guest = numbers.to_guest(self.process.abi, host)
        if guest is not None:
            self.process.signals.post(guest, origin="host")

    def _watch(self):
        import select
        poller = select.poll()
        poller.register(self.read_fd, select.POLLIN)
        while True:
            # wake on a signal, and every few ms to re-kick threads whose signal is
            # still undelivered (a kick can land just before a blocking call starts)
            poller.poll(5 if self.process.signals.undelivered() else None)
            self.drain()
            self.process.signals.kick_waiting()

    def kick(self, thread):
        """Interrupt a thread: out of guest code with emu_stop, out of a host call with KICK."""
        if thread.blocked and thread.host_ident is not None:
            try:
                signal.pthread_kill(thread.host_ident, numbers.KICK)
            except (ProcessLookupError, OSError):
                pass
        else:
            thread.stop()

    @staticmethod
    def set_thread_mask(hosts):
        """This host thread's blocked set (host numbers); KICK and faults stay deliverable."""
        blocked = {h for h in hosts if h not in numbers.HOST_SYNCHRONOUS and h != numbers.KICK
                   and h not in numbers.UNCATCHABLE}
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def prepare_exec(self, blocked_hosts):
        """Before execve: the new program starts with the guest's blocked mask, KICK included
        (the kernel would drop a caught signal's handler, and KICK is ours)."""
        signal.pthread_sigmask(signal.SIG_SETMASK, set(blocked_hosts))
