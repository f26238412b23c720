"""The emulator lock: one guest thread executes guest code at a time.

Unicorn's atomic instructions are not atomic across instances (DESIGN.md), so
guest code and syscall handlers run under this lock; a thread releases it
around blocking host calls (`with t.unlocked(): ...`) so the others can run.

The lock hands over in FIFO order: release() passes ownership straight to the
oldest waiter, so a thread that yields at the end of its time slice cannot
take the lock straight back (threading.Lock makes no such promise), and
waking the next owner wakes no one else.
"""
import collections
import threading


class EmulatorLock:
    def __init__(self):
        self._mutex = threading.Lock()  # guards the two fields below
        self._held = False
        self._waiters = collections.deque()  # one locked gate per waiting thread

    def acquire(self):
        with self._mutex:
            if not self._held:
                self._held = True
                return
            gate = threading.Lock()
            gate.acquire()
            self._waiters.append(gate)
        gate.acquire()  # released by the owner's release(): we own the lock now

    def release(self):
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().release()  # ownership passes, _held stays True
            else:
                self._held = False

    def release_keeping_gate(self):
        """release(), except that a next owner sleeping on a futex gate (one with an
        `address`: private_futex.Gate) is returned unopened, for the caller to open in
        the same host call as its own sleep; None when nobody is waiting on one."""
        with self._mutex:
            if not self._waiters:
                self._held = False
                return None
            gate = self._waiters.popleft()  # ownership passes, _held stays True
            if getattr(gate, "address", None) is None:
                gate.release()
                return None
        return gate

    def hand_to(self, gate):
        """Queue a gate as if its thread had called acquire(): the holder's call for a
        thread it wakes (private futexes: threads/private_futex.py), which so sleeps
        once, on its gate, instead of on a host futex and then on this lock."""
        with self._mutex:
            if self._held:
                self._waiters.append(gate)
                return
            self._held = True
        gate.release()

    def reserve_first(self):
        """A place at the head of the queue, for a thread being created (clone): a locked
        gate its thread acquires to own the lock, opened when the holder next lets go.
        The kernel runs a new task soon, before a thread that has used up its slices;
        at the back of the queue it waited for every busy thread's whole time slice
        (a pthread_create and join beside a busy thread: 10 ms each)."""
        gate = threading.Lock()
        gate.acquire()
        with self._mutex:
            self._waiters.appendleft(gate)
        return gate

    def cancel(self, gate):
        """Take back a reserve_first() place whose thread never came (it could not start)."""
        with self._mutex:
            self._waiters.remove(gate)

    def yield_to_first(self):
        """Let the head of the queue (a new thread: reserve_first) run, and come right
        after it: this thread's time slice was not used up, the others' queue order stays."""
        with self._mutex:
            if not self._waiters:
                return
            first = self._waiters.popleft()
            gate = threading.Lock()
            gate.acquire()
            self._waiters.appendleft(gate)
            first.release()  # ownership passes, _held stays True
        gate.acquire()

    def reset_after_fork(self):
        """In a fork's child: held by the one thread there is; the waiters are gone."""
        self._mutex = threading.Lock()
        self._held = True
        self._waiters = collections.deque()

    @property
    def held(self):
        return self._held

    @property
    def contended(self):
        return bool(self._waiters)

    def yield_(self):
        """Let every thread already waiting run first (end of a time slice, sched_yield)."""
        if self._waiters:
            self.release()
            self.acquire()


def wakeup_preempt(thread):
    """A thread woken from a blocking call (a futex wake, a read that got data) asks
    the one running guest code to yield at its next block, as the kernel lets a
    woken task preempt: without it a waker that runs on (a loop of syscalls that
    never block) kept every woken thread waiting a whole time slice (10 ms), so a
    pthread_create and join took three slices while another thread was busy
    (QEMU's tests/tcg munmap-pthread: 1000 of them, 40x qemu-user's time)."""
    process = thread.process
    running = process.running
    if running is not None and running is not thread and process.async_stops:
        running.preempt_requested = True
        running.stop()


class Unlocked:
    """Context manager around a blocking host call: the lock is released and the
    thread is marked blocked, so a signal for it interrupts the host call.

    A process's only guest thread keeps the lock (unless gdb, which takes it to
    stop the process, is attached): nobody else can want it before this thread
    makes another, and the hand-off cost 2 us of every read, write and poll."""

    __slots__ = ("thread", "lock", "released")

    def __init__(self, thread):
        self.thread = thread
        self.lock = thread.process.lock
        self.released = False

    def __enter__(self):
        thread = self.thread
        thread.blocked = True
        process = thread.process
        self.released = len(process.threads) > 1 or process.debugger is not None
        if self.released:
            self.lock.release()

    def enter_keeping_gate(self):
        """__enter__, with the lock released by release_keeping_gate: the next owner's
        futex gate, or None, for the caller to open."""
        thread = self.thread
        thread.blocked = True
        process = thread.process
        self.released = len(process.threads) > 1 or process.debugger is not None
        return self.lock.release_keeping_gate() if self.released else None

    def __exit__(self, *exc):
        thread = self.thread
        if self.released:
            if self.lock.contended or self.lock.held:
                wakeup_preempt(thread)
            self.lock.acquire()
        self.resumed()

    def resumed(self):
        """The lock is this thread's again (acquired, or handed over by a waker)."""
        thread = self.thread
        if self.released:
            space = thread.space
            if space.stale:  # mprotects of the threads that ran meanwhile (space.catch_up)
                space.catch_up(thread.uc)
            if space.code_owner is not thread.uc:  # code they may have rewritten (space.took_lock)
                space.took_lock(thread.uc)
        thread.blocked = False
        process = thread.process
        process.running = thread  # it goes on running guest code
        # A signal that came while we were blocked (SIGCHLD during wait4) is taken
        # before the call returns, as the kernel delivers it on the way back.
        host = process.signals.host
        signals = thread.signals
        if host.may_have_arrived():
            host.drain()
            signals.host_mask_after_drain()
        if signals.pending_flag is False and (signals.pending or process.signals.shared) and \
                signals.deliverable():
            signals.pending_flag = True
