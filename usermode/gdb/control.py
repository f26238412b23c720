"""All-stop debugging: gdb sees the guest stopped as a whole, and each thread
runs on, steps or stays when gdb resumes it.

The guest is stopped exactly when the stub's thread holds the emulator lock:
no guest code and no syscall handler runs without it. A thread that meets a
stop (a breakpoint, a finished step, a watchpoint, a signal, a caught
syscall) records it, "parks" (lets the lock go and waits for gdb's word) and
wakes the stub; the stub then takes the lock, which the other threads give up
at their next safe point (their stop switches are armed, and they park too),
or already gave up inside a blocking host call. Resuming sets each thread's
action and lets the lock go.

Breakpoints and watchpoints are Unicorn hooks on exactly their addresses,
(re)installed by each thread at its own safe point, never from outside:
with none set, nothing is paid per instruction.
"""
import collections
import os
import threading

from ..uc import UC_HOOK_CODE, UC_HOOK_MEM_READ, UC_HOOK_MEM_WRITE

from .. import raw

WATCH_HOOKS = {"watch": UC_HOOK_MEM_WRITE, "rwatch": UC_HOOK_MEM_READ,
               "awatch": UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE}


class StopEvent:
    """Why a thread stopped: the guest signal gdb is shown, and the stop reply's
    extra fields ("swbreak:;", "watch:1234;", "syscall_entry:40;")."""

    __slots__ = ("signal", "fields", "breakpoint")

    def __init__(self, signal, fields="", breakpoint=None):
        self.signal, self.fields, self.breakpoint = signal, fields, breakpoint


class Watchpoint:
    __slots__ = ("kind", "addr", "length")

    def __init__(self, kind, addr, length):
        self.kind, self.addr, self.length = kind, addr, length


class Debugger:
    """What gdb has asked of the whole process, and the parking of its threads."""

    def __init__(self, process):
        self.process = process
        self.cond = threading.Condition()  # guards events, the threads' go flags, halt_requested
        self.events = collections.deque()  # (ThreadDebug, StopEvent), oldest first
        self.halt_requested = False
        self.breakpoints = set()
        self.watchpoints = []
        self.hooks_generation = 0  # bumped when breakpoints/watchpoints/guest code change
        self.catch_syscalls = None  # None: off; empty: every syscall; else their numbers
        self.pass_signals = set()  # guest signals delivered without telling gdb (QPassSignals)
        self.fork_events = False  # gdb asked for fork events (qSupported fork-events+)
        self.detached = False
        self.wake_r, self.wake_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        self.on_exit = None  # the stub's: called with ("W", status) or ("X", guest signal)
        self.conn = None

    def attach_thread(self, thread):
        thread.debug = ThreadDebug(self, thread)
        thread.keep_exit_checks()  # exact stops for steps and breakpoints

    # ---- from guest threads --------------------------------------------------------

    def post(self, thread_debug, event):
        with self.cond:
            self.events.append((thread_debug, event))
        try:
            os.write(self.wake_w, b"!")
        except BlockingIOError:
            pass  # already awake

    def process_ended(self, kind, value):
        if self.on_exit is not None and not self.detached:
            self.detached = True  # nothing more to say: the stub lets go when gdb hangs up
            self.on_exit(kind, value)

    # ---- from the stub ---------------------------------------------------------

    def threads(self):
        return [t for t in list(self.process.threads.values()) if t.debug is not None]

    def halt(self):
        """Stop every thread; returns with the emulator lock held by the caller."""
        with self.cond:
            self.halt_requested = True
        for thread in self.threads():
            thread.stop()
        self.process.lock.acquire()

    def resume(self, actions):
        """actions: ThreadDebug -> ("continue" | "step" | "stop", guest signal or 0).
        Releases the emulator lock halt() took."""
        with self.cond:
            self.halt_requested = False
            for td, (action, sig) in actions.items():
                td.action, td.resume_signal = action, sig
                if action != "stop":
                    td.go = True
            self.cond.notify_all()
        self.process.lock.release()

    def changed_hooks(self):
        self.hooks_generation += 1

    def detach(self):
        """gdb detached or went away: everything it set goes, every thread runs on."""
        self.breakpoints.clear()
        self.watchpoints = []
        self.catch_syscalls = None
        self.detached = True
        self.changed_hooks()
        with self.cond:
            self.events.clear()
        self.resume({t.debug: ("continue", 0) for t in self.threads()})

    def next_event(self):
        """The oldest stop still worth reporting (a breakpoint gdb has since removed is not)."""
        with self.cond:
            while self.events:
                td, event = self.events.popleft()
                if event.breakpoint is not None and event.breakpoint not in self.breakpoints:
                    continue
                if td.thread.tid not in self.process.threads:
                    continue
                return td, event
        return None

    def forked(self, thread, child):
        """In the parent after a fork: with fork events, the forking thread stops and gdb
        hears of the child ("[Detaching after fork from child process N]", catch fork).
        The child has already let go of the session and runs free, as after gdb's
        D;<child> (detach-on-fork, the default): following it is not possible here."""
        if self.fork_events and not self.detached:
            thread.debug.park(StopEvent(thread.process.signals.number("SIGTRAP"), f"fork:p{child:x}.{child:x};"))

    def forget_after_fork(self):
        """In a fork's child: the session stays the parent's; the child runs free."""
        self.detached = True
        self.halt_requested = False
        self.on_exit = None
        if self.conn is not None:
            self.conn.drop_after_fork()
        self.changed_hooks()


class ThreadDebug:
    """One guest thread under gdb: what gdb wants it to do, and its debug hooks."""

    def __init__(self, debugger, thread):
        self.debugger = debugger
        self.thread = thread
        self.action = "continue"  # "continue", "step", or "stop" (stay parked)
        self.resume_signal = 0
        self.event = None  # a stop met inside a hook, reported at the safe point
        self.go = False
        self.parked = False
        self.applied = -1  # the hooks generation installed on this CPU
        self.hooks = []
        self.skip_breakpoint = None
        self.watch_switch = None
        self.last_event = None
        self._breakpoint_cb = raw.CODE_CALLBACK(self._on_breakpoint)
        self._watch_cb = raw.MEM_CALLBACK(self._on_watch)

    # ---- the thread's safe point -------------------------------------------------

    def safe_point(self):
        """Called by the run loop before each emu_start. Parks if a stop is due,
        then installs what gdb set. Returns the instruction count for emu_start
        (1 to single-step, 0 to run)."""
        d = self.debugger
        event, self.event = self.event, None
        self.skip_breakpoint = None  # good for one emu_start only: set again by park()
        if not d.detached and (event is not None or d.halt_requested or self.action == "stop"):
            self.park(event)
        if self.applied != d.hooks_generation:
            self._install_hooks()
        if d.detached:
            self.thread.debug = None  # gdb is gone: no more of this
            return 0
        return 1 if self.action == "step" else 0

    def after_run(self, count, pc_before):
        """After emu_start: a single step that ran its instruction is a stop."""
        if count and self.event is None and self.thread.arch.resume_address(self.thread.uc) != pc_before:
            self.event = StopEvent(self.signal("SIGTRAP"))

    def park(self, event=None):
        """Give up the emulator lock and wait until gdb resumes this thread."""
        d, thread = self.debugger, self.thread
        process = thread.process
        with d.cond:
            self.go = False
            self.parked = True
        if event is not None:
            self.last_event = event
            d.post(self, event)
        process.running = None
        process.lock.release()
        with d.cond:
            while not self.go and not d.detached:
                d.cond.wait()
            self.parked = False
            self.go = False
        process.lock.acquire()
        if thread.space.stale:  # other threads' mprotects while parked (space.catch_up)
            thread.space.catch_up(thread.uc)
        process.running = thread
        pc = thread.pc()
        if event is not None and event.breakpoint == pc:
            self.skip_breakpoint = pc  # resuming on the breakpoint that stopped us: run it once

    def report_fault(self, fault):
        """A CPU fault: gdb sees its signal first. True if the guest gets it (gdb passed
        it on), False if gdb cancelled it (the instruction runs again)."""
        sig = self.signal(fault.signal)
        self.thread.uc.reg_write(self.thread.arch.REG_PC, fault.pc)
        self.park(StopEvent(sig))
        return self.resume_signal != 0

    def report_signal(self, sig):
        """A signal about to be delivered: False if gdb cancelled it."""
        if sig in self.debugger.pass_signals or self.debugger.detached:
            return True
        self.park(StopEvent(sig))
        return self.resume_signal != 0

    def syscall_stop(self, kind, number):
        """QCatchSyscalls, at the syscall's entry or return, from inside the INTR hook."""
        catch = self.debugger.catch_syscalls
        if catch is None or (catch and number not in catch):
            return
        generation = self.debugger.hooks_generation
        self.park(StopEvent(self.signal("SIGTRAP"), f"{kind}:{number:x};"))
        if self.debugger.hooks_generation != generation or self.action == "step":
            raw.emu_stop(self.thread.handle)  # to the safe point, where the hooks are installed

    def signal(self, name):
        return self.thread.process.signals.number(name)

    # ---- hooks -----------------------------------------------------------------

    def _install_hooks(self):
        d, uc = self.debugger, self.thread.uc
        for handle in self.hooks:
            raw.del_hook(uc, handle)
        self.hooks, self.watch_switch = [], None
        if not d.detached:
            for addr in sorted(d.breakpoints):
                self.hooks.append(raw.add_hook(uc, UC_HOOK_CODE, self._breakpoint_cb, addr, addr))
            for w in d.watchpoints:
                self.hooks.append(raw.add_hook(uc, WATCH_HOOKS[w.kind], self._watch_cb, w.addr, w.addr + w.length - 1))
            if d.watchpoints:
                # the access completes, then the next instruction stops: see _on_watch
                self.watch_switch = raw.StopSwitch(uc, UC_HOOK_CODE)
                self.hooks.append(self.watch_switch.hook)
        uc.ctl_flush_tb()  # translations made before carry the old hooks, or none
        self.applied = d.hooks_generation

    def _on_breakpoint(self, handle, address, size, user_data):
        if address == self.skip_breakpoint:
            self.skip_breakpoint = None
            return
        if self.event is None:
            self.event = StopEvent(self.signal("SIGTRAP"), "swbreak:;", breakpoint=address)
        raw.emu_stop(handle)  # from a code hook: before the instruction runs

    def _on_watch(self, handle, access, address, size, value, user_data):
        # Stopping right here would leave the PC on this instruction with its
        # access done (see raw.py): so the watch switch, a code hook on every
        # instruction while watchpoints exist, stops before the next one.
        if self.event is not None:
            return
        for w in self.debugger.watchpoints:
            if address < w.addr + w.length and w.addr < address + size:
                is_write = access == 17  # UC_MEM_WRITE
                if w.kind == "watch" and not is_write or w.kind == "rwatch" and is_write:
                    continue
                self.event = StopEvent(self.signal("SIGTRAP"), f"{w.kind}:{max(address, w.addr):x};")
                self.watch_switch.arm()
                return
