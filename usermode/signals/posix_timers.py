"""What the emulator keeps of a process's POSIX timers (timer_create ...).

The timers are the host's; two things of the kernel's are not:

- the overrun count timer_getoverrun reports: that of the timer's signal the
  guest took last (the kernel's it_overrun_last), where the host's counts on
  from when the emulator took the host's signal;
- the re-arm at dequeue. The kernel queues a timer's signal once and arms a
  periodic timer again only when the signal is dequeued (posixtimer_rearm):
  the expiries in between become that signal's overrun. The host does so too,
  but its dequeue is the emulator's own handler, long before the guest takes
  its copy, so a timer with an interval of a few nanoseconds fired again at
  once, every time: a storm of host signals in which the guest made no
  progress (LTP timer_settime03). So a periodic timer whose signal came in is
  *held*: disarmed, its next expiry and interval kept; when the guest takes
  the signal it is armed again at the first expiry still to come, and the
  ones it missed are added to the signal's overrun, as the kernel counts them.

Locking: `lock` guards the holds and is never held while taking the signal
queues' mutex; release() runs under that mutex (a signal leaves a queue).
"""
import ctypes
import threading
import time

DELAYTIMER_MAX = 0x7FFFFFFF  # a timer's overrun count saturates there
NSEC = 1_000_000_000
TIMER_ABSTIME = 1  # the host's


def _host_call(name, *args):
    from ..syscalls.handlers.hostcall import call
    return call(name, *args)


def _spec(values):
    """A host struct itimerspec from [interval s, interval ns, value s, value ns]."""
    return (ctypes.c_long * 4)(*values)


def _ns(sec, nsec):
    return sec * NSEC + nsec


def _split(ns):
    return [ns // NSEC, ns % NSEC]


class _Hold:
    """A disarmed periodic timer: its clock, interval and first expiry still to come (ns)."""
    __slots__ = ("clock", "interval", "next")

    def __init__(self, clock, interval, next_expiry):
        self.clock, self.interval, self.next = clock, interval, next_expiry

    def forward(self, now):
        """Expiries due by `now` from `next` on (counted, and `next` moved past them)."""
        if now < self.next:
            return 0
        missed = (now - self.next) // self.interval + 1
        self.next += missed * self.interval
        return missed


class PosixTimers:
    def __init__(self):
        self.lock = threading.Lock()
        self.clocks = {}  # timer id -> its host clock
        self.overruns = {}  # timer id -> the overrun of its signal the guest took last
        self.held = {}  # timer id -> _Hold

    def ids(self):
        return list(self.clocks)

    def created(self, timer, clock):
        self.clocks[timer] = clock

    def deleted(self, timer):
        with self.lock:
            self.clocks.pop(timer, None)
            self.overruns.pop(timer, None)
            self.held.pop(timer, None)

    def forget_all(self):
        """In a fork's child, which has no timers. A new lock: another thread of the
        parent (the signal watcher) may have held the old one at the fork."""
        self.lock = threading.Lock()
        self.clocks, self.overruns, self.held = {}, {}, {}

    # ---- the guest's calls -------------------------------------------------------

    def settime(self, timer, flags, value):
        """The host's timer_settime with `value` ([4 ints]); the previous setting, a held
        timer's as the kernel would tell it."""
        prev = _spec([0] * 4)
        with self.lock:
            _host_call("timer_settime", timer, flags, _spec(value), prev)
            hold = self.held.pop(timer, None)
            self.overruns.pop(timer, None)  # set anew: the kernel's count starts at 0
            return self._setting(hold) if hold is not None else list(prev)

    def gettime(self, timer):
        out = _spec([0] * 4)
        with self.lock:
            _host_call("timer_gettime", timer, out)  # a bad id fails here, held or not
            hold = self.held.get(timer)
            return self._setting(hold) if hold is not None else list(out)

    @staticmethod
    def _setting(hold):
        """A held timer's [interval, time to the next expiry], as the kernel's timer_gettime
        tells a timer whose signal is pending: forwarded past now, never 0."""
        probe = _Hold(hold.clock, hold.interval, hold.next)
        now = time.clock_gettime_ns(hold.clock)
        probe.forward(now)
        return _split(hold.interval) + _split(max(probe.next - now, 1))

    def overrun(self, timer):
        return self.overruns.get(timer, 0)

    # ---- the timer's signal ------------------------------------------------------

    def hold(self, timer):
        """A host signal of `timer` came in, to be queued for the guest: disarm the timer
        when it is periodic (before the signal can be taken). True when it is held now."""
        with self.lock:
            if timer in self.held:
                return True  # a second signal from before the hold: nothing left to disarm
            clock = self.clocks.get(timer)
            if clock is None:
                return False
            cur = _spec([0] * 4)
            try:
                _host_call("timer_gettime", timer, cur)
                if not cur[0] and not cur[1]:
                    return False  # one-shot: it cannot fire again by itself
                _host_call("timer_settime", timer, 0, _spec([0] * 4), cur)
                now = time.clock_gettime_ns(clock)
            except OSError:
                return False
            interval, remaining = _ns(cur[0], cur[1]), _ns(cur[2], cur[3])
            if not interval:
                return False
            self.held[timer] = _Hold(clock, interval, now + remaining)
            return True

    def release(self, timer, info=None):
        """The guest took (or lost) the timer's signal: arm a held timer again at its next
        expiry still to come, the missed ones added to `info`'s overrun."""
        with self.lock:
            hold = self.held.pop(timer, None)
            if hold is not None:
                try:
                    missed = hold.forward(time.clock_gettime_ns(hold.clock))
                    _host_call("timer_settime", timer, TIMER_ABSTIME,
                               _spec(_split(hold.interval) + _split(hold.next)), None)
                except OSError:
                    missed = 0  # deleted under us
                if info is not None:
                    info.overrun = min(info.overrun + missed, DELAYTIMER_MAX)
            if info is not None:
                self.overruns[timer] = info.overrun
