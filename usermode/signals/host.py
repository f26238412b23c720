"""Host signals in and out of the emulator.

Dispositions mirror the guest's: a guest SIG_DFL or SIG_IGN is the host's own
SIG_DFL or SIG_IGN, so default actions (terminate, core, stop, continue,
ignore) are the host kernel's, exact and immediate, and survive execve as they
should. Only a signal the guest catches gets a host handler: raw.py's
SiginfoPipeHandler, which writes the whole siginfo_t to a pipe (so the sender's
pid and uid, a child's status, a sigqueue's value survive); a watcher thread
reads it and queues the guest signal. Thread masks mirror the guest's too, so
the host kernel picks the receiving thread as it would for the guest. The
watcher thread leaves exactly the caught signals unblocked: one that every
guest thread blocks comes to it and waits in our queues, where sigpending,
signalfd and a later unblock find it; any other signal every guest thread
blocks stays pending in the host kernel (where sigtimedwait takes it), and its
default action happens only when a guest thread unblocks it. The emulator's
other helper threads block every signal. Where that handler cannot run, CPython's C-level handler and
its wake-up fd do the same with the signal number alone (PYQEMU_HOST_SIGNALS=wakeup
forces it).

A fork's child gets a pipe of its own (same descriptor numbers) before any
signal can reach it: otherwise both processes read one pipe and each takes
the other's signals.

Python only lets the main thread call signal.signal, but a guest thread may
call rt_sigaction: so at start-up the main thread installs CPython's handler
once per signal and keeps the resulting struct sigaction, which any thread can
then put back with libc's sigaction().
"""
import _thread
import contextlib
import ctypes
import os
import _signal as signal  # signal.py only adds enums, and imports enum: 3 ms of every start-up
import threading

from . import numbers
from .. import raw

_libc = ctypes.CDLL(None, use_errno=True)
_SIGSET_BYTES = 128  # glibc's sigset_t


class _SigAction(ctypes.Structure):  # glibc's struct sigaction on x86-64
    _fields_ = [("handler", ctypes.c_void_p), ("mask", ctypes.c_ubyte * _SIGSET_BYTES),
                ("flags", ctypes.c_int), ("restorer", ctypes.c_void_p)]


_libc.sigaction.argtypes = [ctypes.c_int, ctypes.POINTER(_SigAction), ctypes.POINTER(_SigAction)]
SIG_DFL, SIG_IGN = 0, 1
SA_SIGINFO, SA_ONSTACK = 4, 0x08000000  # the host's (x86-64)
SI_TIMER = -2  # the host's si_code of a POSIX timer's signal
RECORD = raw.SIGINFO_BYTES


def block_all_here():
    """For the emulator's helper threads: no host signal ever runs here."""
    signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())


def _noop(signum, frame):
    pass


class HostSignals:
    """One per emulator process: the saved handlers, the wakeup pipe, the watcher."""

    def __init__(self, process):
        self.process = process
        self.saved = {}  # host signal -> CPython's handler as a struct sigaction
        self.inherited_ignored = set()  # host signals ignored when we started (nohup)
        self.watcher = None
        self.read_fd = self.write_fd = None
        self.native = None  # raw.SiginfoPipeHandler, or None: CPython's wake-up fd
        self.record = 1  # bytes a signal writes to the pipe: RECORD with the native handler
        self.caught = frozenset()  # host signals with our handler: the watcher leaves them unblocked
        self.drained_count = 0
        # POSIX timers' signals drained so far: the native handler left each blocked in the
        # thread it interrupted (raw.py), which unblocks it once it sees this count move on
        self.timer_records = 0
        self.drain_lock = threading.Lock()  # a drain moves records into one process's queues at a time

    def install(self):
        """Main thread, at start-up, before any guest code."""
        r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self.read_fd, self.write_fd = self.process.keep_fd(r), self.process.keep_fd(w)
        r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self.spare = (self.process.keep_fd(r), self.process.keep_fd(w))  # the next fork's child's pipe
        if os.environ.get("PYQEMU_HOST_SIGNALS") != "wakeup":
            self.native = raw.SiginfoPipeHandler.create(self.write_fd)
        if self.native is None:
            signal.set_wakeup_fd(self.write_fd, warn_on_full_buffer=False)
        else:
            self.record = RECORD
        for host in range(1, numbers.NSIG + 1):
            if host in numbers.UNCATCHABLE or host in numbers.HOST_SYNCHRONOUS or host in (32, 33):
                continue
            old = _SigAction()
            _libc.sigaction(host, None, ctypes.byref(old))
            if old.handler == SIG_IGN:
                self.inherited_ignored.add(host)
            mine = self._catching(host)
            if mine is None:
                continue
            self.saved[host] = mine
            if host == numbers.KICK:
                _libc.sigaction(host, ctypes.byref(mine), None)
        self._start_watcher()

    def _catching(self, host):
        """The struct sigaction that catches `host` (not installed), or None."""
        mine = _SigAction()
        if self.native is not None:
            mine.handler = self.native.quiet if host == numbers.KICK else self.native.address
            mine.flags = SA_SIGINFO | SA_ONSTACK  # no SA_RESTART: a caught signal interrupts host calls
            return mine
        old = _SigAction()
        _libc.sigaction(host, None, ctypes.byref(old))
        try:
            signal.signal(host, _noop)
        except (OSError, ValueError):
            return None
        _libc.sigaction(host, None, ctypes.byref(mine))
        _libc.sigaction(host, ctypes.byref(old), None)  # back to what it was
        return mine

    def _start_watcher(self):
        # not threading.Thread.start(): it sleeps until the thread runs, and a fork's child
        # must not look asleep before it does anything (LTP waits for a child to block in a
        # syscall by its 'S' state in /proc, then acts)
        self.watcher = _thread.start_new_thread(self._watch, ())

    def block_for_fork(self):
        """Before fork: every signal blocked in the forking thread; the old mask."""
        if self.spare is None:  # the last renewal failed: try again, or fork fails as it must
            r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
            self.spare = (self.process.keep_fd(r), self.process.keep_fd(w))
        return signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())

    def after_fork(self, child, old_mask):
        """After fork, in both processes: the child gets a pipe of its own on the same
        descriptor numbers and a new watcher; then signals may come in again."""
        # The child takes the spare pipe made beforehand: a guest that has used up its
        # descriptors (LTP's fork09) must still be able to fork. Both then make a new
        # spare in the two numbers the old one frees.
        try:
            with self._room():
                self._after_fork(child)
        finally:  # whatever failed, the thread takes signals again
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)

    def _room(self):
        """Our descriptors' numbers within the host's limit while we dup2 onto them (fdlimit.py)."""
        limit = self.process.fd_limit
        return limit.room() if limit is not None else contextlib.nullcontext()

    def _after_fork(self, child):
        if child:
            self.drain_lock = threading.Lock()  # the parent's watcher may have held it at the fork
            os.dup2(self.spare[0], self.read_fd, inheritable=False)
            os.dup2(self.spare[1], self.write_fd, inheritable=False)
        self._renew_spare()
        if child:
            self._start_watcher()

    def _renew_spare(self):
        numbers = self.spare
        for fd in numbers:
            os.close(fd)
        try:
            made = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            self.spare = None
            return
        free = [n for n in numbers if n not in made]
        placed = []
        for fd in made:  # onto the old numbers, which are the emulator's (reserved_fds)
            if fd in numbers:
                placed.append(fd)
            else:
                target = free.pop(0)
                os.dup2(fd, target, inheritable=False)
                os.close(fd)
                placed.append(target)
        self.spare = tuple(placed)

    def set_disposition(self, host, kind):
        """kind: 'default', 'ignore' or 'catch'. Callable from any thread."""
        if host in numbers.HOST_SYNCHRONOUS:
            # faults of the emulator itself must stay fatal; a SIGSEGV, SIGILL... that another
            # process sends follows the guest's disposition: SIG_IGN is safe (the kernel forces
            # a real fault through it), and the native handler's sent_only entry takes only
            # signals with a sender (si_code <= 0), putting SIG_DFL back for a real fault
            act = _SigAction()
            if kind == "catch" and self.native is not None:
                act.handler = self.native.sent_only
                act.flags = SA_SIGINFO | SA_ONSTACK
            else:
                act.handler = SIG_IGN if kind == "ignore" else SIG_DFL
            _libc.sigaction(host, ctypes.byref(act), None)
            return
        if host not in self.saved:
            return
        if kind == "catch":
            _libc.sigaction(host, ctypes.byref(self.saved[host]), None)
        else:
            act = _SigAction()
            act.handler = SIG_IGN if kind == "ignore" else SIG_DFL
            _libc.sigaction(host, ctypes.byref(act), None)
        caught = self.caught | {host} if kind == "catch" else self.caught - {host}
        if caught != self.caught:
            self.caught = caught
            self._wake_watcher()

    def _wake_watcher(self):
        """The watcher takes the caught signals (its mask follows `caught`): a signal
        every guest thread blocks then still reaches our queues, as pending."""
        try:
            os.write(self.write_fd, bytes(self.record))  # signal 0: only a wake-up
        except (BlockingIOError, TypeError):
            pass

    def arrived(self):
        """Whether the native handler wrote a record since the last drain (cheap: one load)."""
        return self.native is not None and self.native.count.value != self.drained_count

    def may_have_arrived(self):
        """False when no signal can be waiting in the pipe (the native handler counts
        them; without it, only reading the pipe tells)."""
        return self.native is None or self.native.count.value != self.drained_count

    def drain(self):
        """Queue every host signal the pipe holds (any thread; non-blocking)."""
        with self.drain_lock:
            self._drain()

    def _drain(self):
        timers = self.timer_records
        try:
            self._drain_pipe()
        finally:
            if self.timer_records != timers and threading.get_ident() != self.watcher:
                self._wake_watcher()  # it may be one the native handler left a timer's signal blocked in

    def _drain_pipe(self):
        if self.native is not None:
            self.drained_count = self.native.count.value  # counted after written: they are in the pipe
        while True:
            try:
                data = os.read(self.read_fd, 32 * self.record)
            except (BlockingIOError, InterruptedError):
                return
            if self.record == 1:
                for host in data:
                    self._arrived(host)
            else:  # whole records only: each was one atomic write
                for at in range(0, len(data) - RECORD + 1, RECORD):
                    self._arrived_info(data[at:at + RECORD])
            if len(data) < 32 * self.record:
                return

    def _arrived(self, host):
        if host == numbers.KICK or host == 0:
            return
        guest = numbers.to_guest(self.process.abi, host)
        if guest is not None:
            self.process.signals.post(guest, origin="host")

    def _arrived_info(self, record):
        from . import hostinfo
        if int.from_bytes(record[:4], "little") in (0, numbers.KICK):
            return  # a wake-up, or a kick
        converted = hostinfo.to_guest(self.process.abi, record)
        if converted is not None:
            self.process.signals.post(converted[0], converted[1], origin="host")
        if int.from_bytes(record[8:12], "little", signed=True) == SI_TIMER:
            self.timer_records += 1  # after the post: the timer is held by now (posix_timers.py)

    def _watch(self):
        import select
        poller = select.poll()
        poller.register(self.read_fd, select.POLLIN)
        mine = None
        timers_seen = 0
        while True:
            if mine != self.caught or timers_seen != self.timer_records:
                mine, timers_seen = self.caught, self.timer_records
                signal.pthread_sigmask(signal.SIG_SETMASK, set(signal.valid_signals()) - set(mine))
            # wake on a signal, and every few ms to re-kick threads whose signal is
            # still undelivered (a kick can land just before a blocking call starts)
            poller.poll(5 if self.process.signals.undelivered() else None)
            self.drain()
            self.process.signals.kick_waiting()

    def kick(self, thread):
        """Interrupt a thread: out of guest code with emu_stop, out of a host call with KICK."""
        if thread.blocked and thread.host_ident is not None:
            gate = thread.futex_gate
            if gate is not None:  # asleep in a private futex wait, or about to be: no kick is lost
                gate.interrupt()
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
