"""Timers that end in a signal or a readable descriptor: setitimer/getitimer,
POSIX timers (timer_create ...), timerfd, and signalfd.

Interval timers and POSIX timers are the host's: their expiry is a host
signal, which reaches the guest the way every host signal does
(signals/host.py). A timer aimed at one thread (SIGEV_THREAD_ID) names a guest
tid, which is the host tid. timerfd is a host descriptor as it is.

signalfd cannot be the host's: signals sent inside the emulator never become
host signals. A guest signalfd is a host eventfd (so poll, epoll and select
see it become readable) whose read() takes matching signals from the guest's
pending queues and returns them as struct signalfd_siginfo.
"""
import ctypes
import errno
import os
import select

from ...errors import GuestError
from ...memory.space import PROT_WRITE
from ...signals import numbers
from ...signals.frames import unpack_sigset
from ..argtypes import Enum, Fd, Flags, Int, Ptr, Size, UInt
from ..registry import syscall
from . import counterfd
from .hostcall import call
from .hosttypes import kernel_nsec

Which = Enum("TIME", "ITIMER_")
TimerFlags = Flags("TIME", "TIMER_", translate=False)
TfdFlags = Flags("TIME", "TFD_")


# itimerval and itimerspec are both two pairs of longs (itimerspec64: of 64-bit
# integers, for the *_time64 calls of 32-bit ABIs): one layout per width serves both.
_FIELDS = ("it_interval_sec", "it_interval_nsec", "it_value_sec", "it_value_nsec")


def _read_timer(t, addr, layout):
    if not addr:
        return None
    wide = layout.endswith("64")
    layout = getattr(t.layouts, layout)
    values = layout.unpack(t.space.read(addr, layout.size))
    if wide:  # the nanoseconds of a 32-bit task's __kernel_itimerspec: low half only
        for f in ("it_interval_nsec", "it_value_nsec"):
            values[f] = kernel_nsec(t.abi, values[f])
    return [values[f] for f in _FIELDS]


def _write_timer(t, addr, values, layout):
    if addr:
        layout = getattr(t.layouts, layout)
        if not layout.fits(**dict(zip(_FIELDS, values))):
            raise GuestError(errno.EOVERFLOW)
        t.space.write(addr, layout.pack(**dict(zip(_FIELDS, values))))


def _host_longs(values):
    return (ctypes.c_long * len(values))(*values)


def _settime(t, name, args, new, old, layout="itimerspec"):
    """The host's set-a-timer call `name`(*args, new, old) on a guest itimerval/itimerspec."""
    value = _read_timer(t, new, layout)
    if value is None:
        raise GuestError(errno.EFAULT)
    prev = _host_longs([0] * 4)
    call(name, *args, _host_longs(value), prev)
    _write_timer(t, old, list(prev), layout)


def _gettime(t, name, arg, cur, layout="itimerspec"):
    out = _host_longs([0] * 4)
    call(name, arg, out)  # first: a bad timer or descriptor is EINVAL or EBADF, before the copy
    if not cur:
        raise GuestError(errno.EFAULT)  # the kernel's copy_to_user of the result fails
    _write_timer(t, cur, list(out), layout)


# ---- interval timers ---------------------------------------------------------------

@syscall
def setitimer(t, which: Which, new: Ptr, old: Ptr):
    _settime(t, "setitimer", (which,), new, old)


@syscall
def getitimer(t, which: Which, cur: Ptr):
    _gettime(t, "getitimer", which, cur)


# ---- POSIX timers -----------------------------------------------------------------------

SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID = 0, 1, 4


@syscall
def timer_create(t, clock: Int, sevp: Ptr, timerid: Ptr):
    t.space.check(timerid, 4, PROT_WRITE)
    event = None
    if sevp:
        # struct sigevent: sigval (a word), signo, notify, then the thread id
        wb = t.abi.word_bytes
        data = t.space.read(sevp, 64)
        value = t.abi.unpack("W", data)[0]
        signo, notify, tid = t.abi.unpack("iii", data[wb:])
        host_signo = 0
        if notify != SIGEV_NONE:
            host_signo = numbers.to_host(t.abi, signo)
            if host_signo is None:
                raise GuestError(errno.EINVAL)
        event = ctypes.create_string_buffer(64)
        ctypes.memmove(event, (ctypes.c_uint64 * 1)(value), 8)
        ctypes.memmove(ctypes.addressof(event) + 8, (ctypes.c_int * 3)(host_signo, notify, tid), 12)
    out = ctypes.c_int(0)
    host_clock = t.abi.const_map("TIME", "CLOCK_").to_host(clock)
    call("timer_create", host_clock, event, ctypes.byref(out))
    # kept: an execve in place deletes the timers, as the kernel's does (exec_in_place.py), and
    # a periodic one is held while its signal waits (signals/posix_timers.py) on its clock
    t.process.signals.timers.created(out.value, _readable_clock(t, host_clock))
    t.space.write(timerid, t.abi.pack("i", out.value))


CLOCK_THREAD_CPUTIME_ID = 3  # the host's


def _readable_clock(t, host_clock):
    """A clock any of our threads can read that is the timer's: the creating thread's own
    CPU clock by its id (the kernel's CPUCLOCK_PERTHREAD | CPUCLOCK_SCHED encoding of a tid)."""
    if host_clock == CLOCK_THREAD_CPUTIME_ID:
        return (~t.tid << 3) | 6
    return host_clock


# timer_settime and timer_gettime go through signals/posix_timers.py: a periodic timer whose
# signal waits for the guest is disarmed on the host, and its setting is kept there

@syscall(twins={"timer_settime64": {"layout": "itimerspec64"}})
def timer_settime(t, timerid: Int, flags: TimerFlags, new: Ptr, old: Ptr, *, layout="itimerspec"):
    value = _read_timer(t, new, layout)
    if value is None:
        raise GuestError(errno.EINVAL)  # no new setting: the kernel's EINVAL, before any copy (LTP timer_settime02)
    _write_timer(t, old, t.process.signals.timers.settime(timerid, flags, value), layout)


@syscall(twins={"timer_gettime64": {"layout": "itimerspec64"}})
def timer_gettime(t, timerid: Int, cur: Ptr, *, layout="itimerspec"):
    setting = t.process.signals.timers.gettime(timerid)  # first: a bad id is EINVAL, before the copy
    if not cur:
        raise GuestError(errno.EFAULT)
    _write_timer(t, cur, setting, layout)


@syscall
def timer_getoverrun(t, timerid: Int):
    # the count of the timer's last signal the guest took (posix_timers.py), already
    # saturated at DELAYTIMER_MAX as the kernel's; the host judges the id
    call("timer_getoverrun", timerid)
    return t.process.signals.timers.overrun(timerid)


@syscall
def timer_delete(t, timerid: Int):
    call("timer_delete", timerid)
    t.process.signals.timers.deleted(timerid)


# ---- timerfd ------------------------------------------------------------------------------

@syscall
def timerfd_create(t, clock: Int, flags: TfdFlags) -> Fd:
    return counterfd.track(t, call("timerfd_create", t.abi.const_map("TIME", "CLOCK_").to_host(clock), flags))


@syscall(twins={"timerfd_settime64": {"layout": "itimerspec64"}})
def timerfd_settime(t, fd: Fd, flags: Int, new: Ptr, old: Ptr, *, layout="itimerspec"):
    _settime(t, "timerfd_settime", (fd, flags), new, old, layout)


@syscall(twins={"timerfd_gettime64": {"layout": "itimerspec64"}})
def timerfd_gettime(t, fd: Fd, cur: Ptr, *, layout="itimerspec"):
    _gettime(t, "timerfd_gettime", fd, cur, layout)


# ---- signalfd -------------------------------------------------------------------------------

SIGNALFD_SIGINFO_SIZE = 128


def _readable(fd, timeout_ms):
    """poll, not select: a guest's descriptor may be past select's 1024."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(timeout_ms))


class SignalFd:
    """A guest signalfd: readiness through a host eventfd, contents from our queues."""

    def __init__(self, process, fd, mask):
        self.process, self.fd, self.mask = process, fd, mask

    def refresh(self):
        """Make the eventfd readable exactly when a matching signal is pending. The
        guest may have made it blocking (fcntl F_SETFL): drain it only when readable."""
        ready = self._pending()
        try:
            if _readable(self.fd, 0):
                os.eventfd_read(self.fd)
            if ready:
                os.eventfd_write(self.fd, 1)
        except (OSError, ValueError):
            pass  # closed under us by the guest: nothing left to refresh

    def _pending(self):
        shared = self.process.signals
        with shared.mutex:
            queued = list(shared.shared)
            for thread in list(self.process.threads.values()):
                queued += list(thread.signals.pending)
        return any(self.mask & numbers.bit(s) for s, _ in queued)

    def read(self, t, buf, count):
        if count < SIGNALFD_SIGINFO_SIZE:
            raise GuestError(errno.EINVAL)
        t.space.check(buf, SIGNALFD_SIGINFO_SIZE, PROT_WRITE)
        from .signals import _take_from
        while True:
            out = []
            while len(out) + 1 <= count // SIGNALFD_SIGINFO_SIZE:
                taken = _take_from(t.signals, self.mask)
                if taken is None:
                    break
                out.append(taken)
            if out:
                for i, (sig, info) in enumerate(out):
                    t.space.write(buf + i * SIGNALFD_SIGINFO_SIZE, self._pack(t, sig, info))
                self.refresh()
                return len(out) * SIGNALFD_SIGINFO_SIZE
            if not os.get_blocking(self.fd):  # O_NONBLOCK now: from signalfd4, or since (fcntl)
                raise GuestError(errno.EAGAIN)
            other = t.signals.deliverable_action()
            if other is not None and not self.mask & numbers.bit(other[0]):
                # a signal the thread takes: the read is interrupted, as the kernel's (before,
                # it waited for ever in 50 ms steps: found by the syscall fuzzer)
                raise OSError(errno.EINTR, os.strerror(errno.EINTR))
            with t.unlocked():  # a posted signal makes the eventfd readable
                _readable(self.fd, 50)
            t.process.signals.host.drain()

    @staticmethod
    def _pack(t, sig, info):
        # struct signalfd_siginfo: fixed-size fields, the same on every ABI
        # signo errno code pid uid fd tid band overrun trapno status int ptr utime stime addr
        # each value cut to its field's width: a siginfo from rt_sigqueueinfo holds whatever
        # the sender put there (struct.error, an internal error, before: found by the fuzzer)
        value = info.value or 0
        # ssi_int is the sigval's int member: its first four bytes (a 64-bit big-endian
        # guest's high half)
        as_int = t.abi.unpack("i", t.abi.pack("W", value & t.abi.word_mask))[0]
        fields = "IiiIIiIIIIiiQQQQ"
        values = (sig, info.errno, info.code, info.pid, info.uid, info.fd, info.tid or 0, info.band or 0,
                  info.overrun, 0, info.status or 0, as_int, value, 0, 0, info.addr or 0)
        head = t.abi.pack(fields, *(_fit(kind, v or 0) for kind, v in zip(fields, values)))
        return head + bytes(SIGNALFD_SIGINFO_SIZE - len(head))


def _fit(kind, value):
    """value as struct's `kind` takes it: wrapped to 32 or 64 bits, signed for lower case."""
    bits = 64 if kind in "Qq" else 32
    value &= (1 << bits) - 1
    return value - (1 << bits) if kind.islower() and value >> (bits - 1) else value


@syscall
def signalfd4(t, fd: Fd, mask: Ptr, sizemask: Size, flags: UInt) -> Fd:
    table = t.abi.tables.OPEN  # SFD_CLOEXEC and SFD_NONBLOCK are the ABI's O_CLOEXEC and O_NONBLOCK
    if sizemask != t.abi.sigset_bytes or flags & ~(table["O_CLOEXEC"] | table["O_NONBLOCK"]):
        raise GuestError(errno.EINVAL)
    flags = (os.O_CLOEXEC if flags & table["O_CLOEXEC"] else 0) | (os.O_NONBLOCK if flags & table["O_NONBLOCK"] else 0)
    guest_mask = unpack_sigset(t.abi, t.space.read(mask, sizemask))
    guest_mask &= ~(numbers.bit(t.process.signals.number("SIGKILL")) | numbers.bit(t.process.signals.number("SIGSTOP")))
    process = t.process
    if fd != -1:
        existing = process.special_fds.get(fd)
        if not isinstance(existing, SignalFd):
            os.fstat(fd)  # EBADF when it is not open at all
            raise GuestError(errno.EINVAL)
        old = existing.mask
        existing.mask = guest_mask
        for sig in numbers.members(old | guest_mask):
            process.signals.refresh_host_disposition(sig)
        existing.refresh()
        return fd
    # the guest's O_NONBLOCK on the eventfd itself, where F_GETFL and F_SETFL see and change it
    host_flags = (os.EFD_NONBLOCK if flags & os.O_NONBLOCK else 0) | (os.EFD_CLOEXEC if flags & os.O_CLOEXEC else 0)
    new = os.eventfd(0, host_flags)
    sfd = SignalFd(process, new, guest_mask)
    process.special_fds[new] = sfd
    process.signals.watchers.append(sfd)
    for sig in numbers.members(guest_mask):
        process.signals.refresh_host_disposition(sig)
    sfd.refresh()
    return new


@syscall
def signalfd(t, fd: Fd, mask: Ptr, sizemask: Size) -> Fd:
    """The older call without flags (arm, i386, mips...)."""
    return signalfd4(t, fd, mask, sizemask, 0)
