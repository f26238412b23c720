"""Signal dispositions, pending queues and delivery.

ProcessSignals holds what the kernel keeps per process (the actions, the
process-directed queue); SignalDelivery what it keeps per thread (the blocked
mask, the thread-directed queue, the alternate stack). Queues are touched by
the host watcher thread without the emulator lock, so a small mutex guards
them; everything else runs under the emulator lock.

Delivery happens only at a thread's safe point (its run loop) or right after
a syscall: the frame is the kernel's rt_sigframe for the arch (siginfo, then
ucontext whose mcontext the cpu module packs), so handlers that read or edit
uc_mcontext work, and rt_sigreturn restores from it.
"""
import collections
import os
import threading

from . import numbers
from .frames import SIGINFO_SIZE, FrameContext, FrameFault
from .host import HostSignals
from .posix_timers import DELAYTIMER_MAX, PosixTimers

SIG_DFL, SIG_IGN = 0, 1


class Action:
    __slots__ = ("handler", "flags", "restorer", "mask")

    def __init__(self, handler=SIG_DFL, flags=0, restorer=0, mask=0):
        self.handler, self.flags, self.restorer, self.mask = handler, flags, restorer, mask


class SigInfo:
    """A siginfo_t by field name; packed for the guest ABI on delivery."""

    __slots__ = ("signo", "code", "errno", "pid", "uid", "addr", "status", "value", "tid", "overrun",
                 "band", "fd")

    def __init__(self, signo, code=0, pid=0, uid=0, addr=None, status=None, value=None,
                 tid=None, overrun=0, errno=0, band=None, fd=0):
        self.signo, self.code, self.errno, self.pid, self.uid = signo, code, errno, pid, uid
        self.addr, self.status, self.value, self.tid, self.overrun = addr, status, value, tid, overrun
        self.band, self.fd = band, fd  # SIGIO and F_SETSIG signals: si_band, si_fd

    def pack(self, abi):
        """siginfo_t as the guest's kernel fills it: three ints (MIPS swaps code and
        errno), then the union at the first word-aligned offset."""
        wb = abi.word_bytes
        if abi.layout_flavours.get("siginfo") == "mips":
            head = abi.pack("iii", self.signo, self.code, self.errno)
        else:
            head = abi.pack("iii", self.signo, self.errno, self.code)
        union_at = _union_offset(abi)
        body = bytearray(SIGINFO_SIZE - union_at)
        if self.addr is not None:  # SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE
            body[0:wb] = abi.pack("W", self.addr & abi.word_mask)
        elif self.band is not None:  # SIGIO: si_band (a long), si_fd
            body[0:wb] = abi.pack("W", self.band & abi.word_mask)
            body[wb:wb + 4] = abi.pack("i", self.fd)
        elif self.tid is not None:  # POSIX timers
            body[0:8] = abi.pack("ii", self.tid, self.overrun)
            at = _align(8, abi.align(wb))
            body[at:at + wb] = abi.pack("W", (self.value or 0) & abi.word_mask)  # si_value after two ints
        else:  # kill, sigqueue, SIGCHLD
            body[0:8] = abi.pack("iI", self.pid, self.uid)
            if self.status is not None:
                body[8:12] = abi.pack("i", self.status)
            elif self.value is not None:
                at = _align(8, abi.align(wb))
                body[at:at + wb] = abi.pack("W", self.value & abi.word_mask)
        return head + bytes(union_at - len(head)) + bytes(body)

    @classmethod
    def unpack(cls, abi, data):
        if abi.layout_flavours.get("siginfo") == "mips":
            signo, code, err = abi.unpack("iii", data)
        else:
            signo, err, code = abi.unpack("iii", data)
        union_at = _union_offset(abi)
        pid, uid = abi.unpack("iI", data[union_at:])
        value = abi.unpack("W", data[union_at + _align(8, abi.align(abi.word_bytes)):])[0]
        return cls(signo, code, pid=pid, uid=uid, value=value, errno=err)


def _align(offset, alignment):
    return offset + (-offset % alignment)


def _union_offset(abi):
    """siginfo's union follows three ints, aligned for its pointer and long members."""
    return _align(12, abi.align(abi.word_bytes))


class ProcessSignals:
    def __init__(self, process):
        self.process = process
        self.abi = process.abi
        self.actions = [Action() for _ in range(self.abi.nsig + 1)]
        self.shared = collections.deque()  # process-directed: (sig, SigInfo)
        self.mutex = threading.Lock()
        self.host = HostSignals(process)
        self.watchers = []  # signalfds, told when a signal is queued
        self.timers = PosixTimers()  # overrun counts, and periodic timers held until dequeue
        # signals the CPU raises itself: a handler for them needs no stop from outside
        self.synchronous = {self.number(n) for n in ("SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE", "SIGTRAP")}

    def install_host(self):
        self.host.install()
        for host in self.host.inherited_ignored:
            guest = numbers.to_guest(self.abi, host)
            if guest is not None:
                self.actions[guest].handler = SIG_IGN

    def const(self, name):
        return self.abi.tables.SIGNAL_FLAGS[name]

    def number(self, name):
        return self.abi.tables.SIGNALS[name]

    # ---- dispositions ----------------------------------------------------------

    def set_action(self, sig, action):
        self.actions[sig] = action
        if action.handler not in (SIG_DFL, SIG_IGN) and sig not in self.synchronous:
            self.process.enable_async_stops()  # it may arrive while guest code runs
        self.refresh_host_disposition(sig)
        if action.handler == SIG_IGN or (action.handler == SIG_DFL and
                                         numbers.default_action(self.abi, sig) == "ignore"):
            self.discard(sig)  # POSIX: setting SIG_IGN discards what is pending

    def refresh_host_disposition(self, sig):
        """The host catches sig when the guest has a handler for it, and also when a
        signalfd watches it: then it reaches our queues even while every guest thread
        blocks it (and a default action still happens, at delivery)."""
        host = numbers.to_host(self.abi, sig)
        if host is None:
            return
        handler = self.actions[sig].handler
        watched = any(w.mask & numbers.bit(sig) for w in self.watchers)
        if handler not in (SIG_DFL, SIG_IGN) or (watched and handler != SIG_IGN):
            kind = "catch"
        else:
            kind = "default" if handler == SIG_DFL else "ignore"
        self.host.set_disposition(host, kind)

    def reset_for_exec(self):
        """Caught signals go back to their default; ignored ones stay ignored."""
        for sig in range(1, self.abi.nsig + 1):
            if self.actions[sig].handler not in (SIG_DFL, SIG_IGN):
                self.set_action(sig, Action())

    def ignored(self, sig):
        handler = self.actions[sig].handler
        return handler == SIG_IGN or (handler == SIG_DFL and numbers.default_action(self.abi, sig) == "ignore")

    # ---- queues ------------------------------------------------------------------

    def _timer_of(self, info):
        """The timer id of a timer's signal, else None."""
        if info is not None and info.tid is not None and info.code == self.const("SI_TIMER"):
            return info.tid
        return None

    def taken(self, info):
        """A signal left a queue for the guest (a handler, sigwaitinfo, a signalfd read):
        a held timer is armed again, and its overrun count becomes timer_getoverrun's."""
        timer = self._timer_of(info)
        if timer is not None:
            self.timers.release(timer, info)

    def post(self, sig, info=None, thread=None, origin="guest"):
        """Queue `sig` for the process (thread None) or one thread, and wake who can take it."""
        # a host timer's signal: the timer is held until the guest takes it (posix_timers.py),
        # and released at once when the signal is not queued after all
        timer = self._timer_of(info) if origin == "host" else None
        if timer is not None and self.timers.hold(timer):
            if not self._post(sig, info, thread, origin):
                self.timers.release(timer)
        else:
            self._post(sig, info, thread, origin)

    def _post(self, sig, info, thread, origin):
        """post(); False when the signal was not queued."""
        if not 1 <= sig <= self.abi.nsig:
            return False
        if self.ignored(sig) and not self._held(sig, thread):
            return False  # an ignored signal is dropped at once, unless blocked or awaited (then it waits)
        info = info or SigInfo(sig, self.const("SI_KERNEL") if origin == "host" else 0)
        with self.mutex:
            queue = thread.signals.pending if thread is not None else self.shared
            if info.tid is not None and info.code == self.const("SI_TIMER"):
                for s, queued in queue:  # a timer never queues twice: its pending signal counts overruns
                    if s == sig and queued.tid == info.tid and queued.code == info.code:
                        queued.overrun = min(queued.overrun + 1 + info.overrun, DELAYTIMER_MAX)
                        return True
            elif sig < 32 and any(s == sig for s, _ in queue):
                # standard signals do not queue twice; a timer's does (its own queue entry
                # in the kernel), so that its re-arm at dequeue is not lost
                return False
            queue.append((sig, info))
        for watcher in self.watchers:
            watcher.refresh()
        target = thread or self._pick_thread(sig)
        if target is not None:
            target.signals.pending_flag = True
            current = threading.get_ident()
            if target.host_ident != current:
                self.host.kick(target)
        return True

    def _held(self, sig, thread):
        """Whether the kernel would keep an ignored sig: the target (for the process,
        its main thread) blocks it or waits for it in sigwaitinfo."""
        if thread is None:
            thread = self.process.threads.get(os.getpid())
        return thread is not None and bool((thread.signals.blocked | thread.signals.waiting_for)
                                           & numbers.bit(sig))

    def _pick_thread(self, sig):
        threads = list(self.process.threads.values())
        for t in threads:  # a thread in sigwaitinfo for it takes it first, as the kernel's wants_signal
            if t.signals.waiting_for & numbers.bit(sig):
                return t
        for t in threads:
            if not t.signals.blocked & numbers.bit(sig):
                return t
        return None

    def discard(self, sig):
        with self.mutex:
            queues = [self.shared] + [t.signals.pending for t in self.process.threads.values()]
            for q in queues:
                kept = [(s, i) for s, i in q if s != sig]
                for s, info in q:
                    if s == sig and self._timer_of(info) is not None:
                        self.timers.release(info.tid)  # ignored now: its host timer ticks on
                q.clear()
                q.extend(kept)

    def undelivered(self):
        return any(t.signals.pending_flag for t in list(self.process.threads.values()))

    def kick_waiting(self):
        """Re-kick threads that still have a deliverable signal (the watcher, every few ms)."""
        for t in list(self.process.threads.values()):
            if t.signals.pending_flag and t.signals.deliverable():
                self.host.kick(t)


class SignalDelivery:
    """Per-thread signal state and the delivery into the guest."""

    def __init__(self, thread, parent=None):
        self.thread = thread
        self.process = thread.process
        self.shared = thread.process.signals
        self.abi = thread.abi
        self.blocked = parent.blocked if parent else 0
        self.pending = collections.deque()
        self.pending_flag = False
        self.altstack = (0, self.shared.const("SS_DISABLE"), 0)  # ss_sp, ss_flags, ss_size
        self.saved_mask = None  # rt_sigsuspend: the mask the handler's sigreturn restores
        self.waiting_for = 0  # rt_sigtimedwait's set while the thread waits in it
        self.timers_seen = 0  # the host's timer_records when this thread last set its host mask

    # ---- masks -------------------------------------------------------------------

    def set_blocked(self, mask):
        never = numbers.bit(self.shared.number("SIGKILL")) | numbers.bit(self.shared.number("SIGSTOP"))
        unblocked = self.blocked & ~mask
        self.blocked = mask & ~never & ((1 << self.abi.nsig) - 1)
        self._set_host_mask()
        if unblocked:  # what the host kept pending ran its handler just now: queue it before returning
            self.shared.host.drain()
        if self.deliverable():
            self.pending_flag = True

    def _set_host_mask(self):
        self.timers_seen = self.shared.host.timer_records
        hosts = [numbers.to_host(self.abi, g) for g in numbers.members(self.blocked)]
        HostSignals.set_thread_mask([h for h in hosts if h is not None])

    def host_mask_after_drain(self):
        """In this thread, after a drain: a POSIX timer's signal the native handler left
        blocked here (raw.py) is the guest mask's again once its timer is held."""
        if self.timers_seen != self.shared.host.timer_records:
            self._set_host_mask()

    def deliverable(self):
        with self.shared.mutex:
            for sig, _ in self.pending:
                if not self.blocked & numbers.bit(sig):
                    return True
            for sig, _ in self.shared.shared:
                if not self.blocked & numbers.bit(sig):
                    return True
        return False

    def deliverable_action(self):
        """The action of the signal delivery would pick next, or None."""
        with self.shared.mutex:
            for queue in (self.pending, self.shared.shared):
                for sig, _ in queue:
                    if not self.blocked & numbers.bit(sig):
                        return sig, self.shared.actions[sig]
        return None

    def _take(self):
        with self.shared.mutex:
            for queue in (self.pending, self.shared.shared):
                for i, (sig, info) in enumerate(queue):
                    if not self.blocked & numbers.bit(sig):
                        del queue[i]
                        self.shared.taken(info)
                        return sig, info
        return None

    # ---- delivery ----------------------------------------------------------------

    def deliver(self):
        """At the safe point: act on pending signals until one runs a guest handler."""
        self.shared.host.drain()
        self.host_mask_after_drain()
        while True:
            taken = self._take()
            if taken is None:
                break
            sig, info = taken
            if self.thread.debug is not None and not self.thread.debug.report_signal(sig):
                continue  # gdb saw it and cancelled it
            action = self.shared.actions[sig]
            if action.handler == SIG_IGN:
                continue
            if action.handler == SIG_DFL:
                self._default_action(sig)
                continue
            self._run_handler(sig, info, action)
            break
        self.pending_flag = self.deliverable()

    def _default_action(self, sig):
        kind = numbers.default_action(self.abi, sig)
        if kind in ("ignore", "continue"):
            return
        if kind == "stop":
            os.kill(os.getpid(), numbers.to_host(self.abi, self.shared.number("SIGSTOP")))
            return
        self.process.die_of_signal(sig)

    def force_synchronous(self, fault):
        """A CPU fault: run the guest's handler if it has one it can take, else False
        (the kernel then kills the process with that signal, and so do we)."""
        sig = self.shared.number(fault.signal)
        action = self.shared.actions[sig]
        if action.handler in (SIG_DFL, SIG_IGN) or self.blocked & numbers.bit(sig):
            return False
        code = fault.code or {"SIGSEGV": "SEGV_MAPERR", "SIGILL": "ILL_ILLOPC",
                              "SIGTRAP": "TRAP_BRKPT", "SIGBUS": "BUS_ADRERR"}.get(fault.signal)
        address = fault.address or 0
        if fault.signal in ("SIGSEGV", "SIGBUS") and self.thread.arch.FAULT_ADDRESS_MASK is not None:
            address &= self.thread.arch.FAULT_ADDRESS_MASK  # s390x: only the page is known
        info = SigInfo(sig, self.shared.const(code) if code else 0, addr=address)
        # (the PC the frame holds: s390x's SIGILL and SIGFPE resume past the instruction)
        self._run_handler(sig, info, action, pc=getattr(fault, "resume_pc", fault.pc))
        return True

    def _on_altstack(self, sp):
        ss_sp, ss_flags, ss_size = self.altstack
        return ss_flags != self.shared.const("SS_DISABLE") and ss_sp < sp <= ss_sp + ss_size

    def altstack_flags(self, sp):
        if self.altstack[1] == self.shared.const("SS_DISABLE"):
            return self.shared.const("SS_DISABLE")
        return self.shared.const("SS_ONSTACK") if self._on_altstack(sp) else 0

    def _run_handler(self, sig, info, action, pc=None):
        thread, arch = self.thread, self.thread.arch
        uc = thread.uc
        if pc is not None:
            arch.set_resume_address(uc, pc)
        sp = uc.reg_read(arch.REG_SP)
        if action.flags & self.shared.const("SA_ONSTACK") and \
                self.altstack[1] != self.shared.const("SS_DISABLE") and not self._on_altstack(sp):
            top = self.altstack[0] + self.altstack[2]
        else:
            top = sp - arch.SIGNAL_REDZONE
        old_mask = self.saved_mask if self.saved_mask is not None else self.blocked
        self.saved_mask = None
        restorer = action.restorer if action.flags & self.abi.tables.KSIGNAL.get("SA_RESTORER", 0) else None
        frame = FrameContext(thread, sig, info, action, bool(action.flags & self.shared.const("SA_SIGINFO")),
                             top, old_mask, restorer, self.altstack, self.altstack_flags(sp))
        try:
            arch.setup_frame(frame)
        except FrameFault:  # no room for the frame: the kernel kills with SIGSEGV
            # (with the one line of a guest fault: else a run could not tell it from a crash of ours)
            where = "alternate stack" if top != sp - arch.SIGNAL_REDZONE else "stack"
            self.process.warn(f"guest SIGSEGV: cannot write the frame of {self.abi.signals.name(sig) or sig} "
                              f"on its {where} below {top:#x}")
            self.process.die_of_signal(self.shared.number("SIGSEGV"))
        mask = self.blocked | action.mask
        if not action.flags & self.shared.const("SA_NODEFER"):
            mask |= numbers.bit(sig)
        self.set_blocked(mask)
        if action.flags & self.shared.const("SA_RESETHAND"):  # the kernel resets the handler alone
            self.shared.set_action(sig, Action(SIG_DFL, action.flags, action.restorer, action.mask))

    def sigreturn(self, rt=True):
        """sigreturn/rt_sigreturn: registers and mask back from the frame at sp (the
        altstack stays as it is: the kernel's restore fails while on it)."""
        try:
            mask = self.thread.arch.restore_frame(self.thread, rt)
        except FrameFault:  # a frame it cannot read: the kernel's SIGSEGV, and our one line
            self.process.warn("guest SIGSEGV: cannot read the signal frame at sigreturn")
            self.process.die_of_signal(self.shared.number("SIGSEGV"))
        self.set_blocked(mask)
