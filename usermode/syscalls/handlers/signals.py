"""Signal syscalls: dispositions, masks, waiting, the alternate stack, sending.

Signals between the emulated process's own threads never leave the emulator
(they are queued and the target thread is woken); signals to other processes
are the host's kill/tgkill with the host number; signals the guest sends to
its own process by number of a foreign process group go through the host and
come back in (signals/host.py).
"""
import ctypes
import errno
import os
import time

from ...errors import GuestError
from ...signals import hostinfo, numbers
from ...signals.delivery import Action, SigInfo
from ..argtypes import Arg, Int, Ptr, Size
from ..registry import KEEP_REGISTERS, syscall
from .hostcall import call
from .hosttypes import HOST_SIGSET_BYTES, Timespec, read_timespec


class GuestSignal(Int):
    """A guest signal number, passed as the guest's (the emulator routes it)."""

    def show(self, t, raw, args):
        value = raw & 0xFFFFFFFF
        return numbers.name(t.abi, value) if 1 <= value <= numbers.NSIG else str(value)


class SigHow(Arg):
    def show(self, t, raw, args):
        names = {t.abi.tables.SIGNAL_FLAGS[n]: n for n in ("SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK")}
        return names.get(raw & 0xFFFFFFFF, str(raw))


def _sigset_size(t, size):
    if size != t.abi.tables.KSIGNAL["_NSIG"] // 8:
        raise GuestError(errno.EINVAL)


def _read_set(t, addr):
    return int.from_bytes(t.space.read(addr, 8), t.abi.endian)


def _write_set(t, addr, mask):
    t.space.write(addr, mask.to_bytes(8, t.abi.endian))


def _check_sig(sig):
    if not 1 <= sig <= numbers.NSIG:
        raise GuestError(errno.EINVAL)


def _has_restorer(t):
    return "SA_RESTORER" in t.abi.tables.KSIGNAL


# ---- dispositions -------------------------------------------------------------------

@syscall
def rt_sigaction(t, sig: GuestSignal, act: Ptr, oact: Ptr, sigsetsize: Size):
    _sigset_size(t, sigsetsize)
    _check_sig(sig)
    shared = t.process.signals
    fmt = "QQQQ" if _has_restorer(t) else "QQQ"  # struct sigaction: restorer only where the kernel has one
    size = 8 * len(fmt)
    new = None
    if act:
        fields = t.abi.unpack(fmt, t.space.read(act, size))
        if _has_restorer(t):
            new = Action(fields[0], fields[1] & 0xFFFFFFFF, fields[2], fields[3])
        else:
            new = Action(fields[0], fields[1] & 0xFFFFFFFF, 0, fields[2])
        if sig in (shared.number("SIGKILL"), shared.number("SIGSTOP")):
            raise GuestError(errno.EINVAL)
    if oact:
        old = shared.actions[sig]
        values = (old.handler, old.flags, old.restorer, old.mask) if _has_restorer(t) else \
            (old.handler, old.flags, old.mask)
        t.space.write(oact, t.abi.pack(fmt, *values))
    if new is not None:
        shared.set_action(sig, new)


# ---- masks ----------------------------------------------------------------------------

@syscall
def rt_sigprocmask(t, how: SigHow, nset: Ptr, oset: Ptr, sigsetsize: Size):
    _sigset_size(t, sigsetsize)
    flags = t.abi.tables.SIGNAL_FLAGS
    sigs = t.signals
    old = sigs.blocked
    if nset:
        new = _read_set(t, nset)
        if how == flags["SIG_BLOCK"]:
            mask = old | new
        elif how == flags["SIG_UNBLOCK"]:
            mask = old & ~new
        elif how == flags["SIG_SETMASK"]:
            mask = new
        else:
            raise GuestError(errno.EINVAL)
    if oset:
        _write_set(t, oset, old)
    if nset:
        sigs.set_blocked(mask)


@syscall
def rt_sigpending(t, uset: Ptr, sigsetsize: Size):
    if sigsetsize > 8:
        raise GuestError(errno.EINVAL)
    sigs = t.signals
    with sigs.shared.mutex:
        pending = 0
        for sig, _ in list(sigs.pending) + list(sigs.shared.shared):
            pending |= numbers.bit(sig)
    _write_set(t, uset, pending & sigs.blocked)


def _host_set(t, guest_mask, with_kick=False):
    bits = 0
    for g in numbers.members(guest_mask):
        h = numbers.to_host(t.abi, g)
        if h is not None:
            bits |= 1 << (h - 1)
    if with_kick:
        bits |= 1 << (numbers.KICK - 1)
    return ctypes.create_string_buffer(bits.to_bytes(HOST_SIGSET_BYTES, "little"), HOST_SIGSET_BYTES)


@syscall
def rt_sigsuspend(t, uset: Ptr, sigsetsize: Size):
    _sigset_size(t, sigsetsize)
    sigs = t.signals
    saved = sigs.blocked
    sigs.set_blocked(_read_set(t, uset))
    while not sigs.deliverable():
        host_mask = _host_set(t, sigs.blocked)
        try:
            with t.unlocked():
                call("rt_sigsuspend", host_mask, HOST_SIGSET_BYTES)
        except OSError:
            pass
        sigs.shared.host.drain()
    sigs.saved_mask = saved  # the handler's frame records it; its sigreturn restores it
    sigs.pending_flag = True
    raise GuestError(errno.EINTR)


@syscall
def rt_sigtimedwait(t, uset: Ptr, uinfo: Ptr, uts: Ptr, sigsetsize: Size):
    _sigset_size(t, sigsetsize)
    sigs = t.signals
    wanted = _read_set(t, uset)
    ts = read_timespec(t, uts)
    deadline = None if ts is None else time.monotonic() + ts.tv_sec + ts.tv_nsec / 1e9
    sigs.waiting_for = wanted  # a signal for the process comes to this thread first (post)
    try:
        return _timedwait(t, sigs, wanted, uinfo, deadline)
    finally:
        sigs.waiting_for = 0


def _timedwait(t, sigs, wanted, uinfo, deadline):
    while True:
        taken = _take_from(sigs, wanted)
        if taken is not None:
            sig, info = taken
            if uinfo:
                t.space.write(uinfo, info.pack(t.abi))
            return sig
        other = sigs.deliverable_action()  # a signal it does not wait for, with a handler: EINTR
        if other is not None and not sigs.shared.ignored(other[0]):
            raise GuestError(errno.EINTR)
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        host_info = ctypes.create_string_buffer(128)
        wait = None if remaining is None else Timespec(int(remaining), int((remaining % 1) * 1e9))
        try:  # also with no time left: a signal the host holds pending (blocked everywhere) counts
            with t.unlocked():
                host = call("rt_sigtimedwait", _host_set(t, wanted, with_kick=True), host_info,
                            None if wait is None else ctypes.byref(wait), HOST_SIGSET_BYTES)
        except OSError as e:
            if e.errno not in (errno.EINTR, errno.EAGAIN):
                raise
            sigs.shared.host.drain()
            if remaining == 0.0 and e.errno == errno.EAGAIN:
                taken = _take_from(sigs, wanted)
                if taken is None:
                    raise GuestError(errno.EAGAIN) from None
                if uinfo:
                    t.space.write(uinfo, taken[1].pack(t.abi))
                return taken[0]
            continue
        if host == numbers.KICK:
            continue
        converted = hostinfo.to_guest(t.abi, host_info.raw)
        if converted is None:
            continue
        guest, info = converted
        if uinfo:
            t.space.write(uinfo, info.pack(t.abi))
        return guest


def _take_from(sigs, wanted):
    with sigs.shared.mutex:
        for queue in (sigs.pending, sigs.shared.shared):
            for i, (sig, info) in enumerate(queue):
                if wanted & numbers.bit(sig):
                    del queue[i]
                    return sig, info
    return None


@syscall
def sigaltstack(t, uss: Ptr, uoss: Ptr):
    sigs = t.signals
    flags = t.abi.tables.SIGNAL_FLAGS
    sp = t.uc.reg_read(t.arch.REG_SP)
    if uoss:
        ss_sp, ss_flags, ss_size = sigs.altstack
        t.space.write(uoss, t.abi.pack("QiiQ", ss_sp, sigs.altstack_flags(sp), 0, ss_size))
    if uss:
        ss_sp, ss_flags, _, ss_size = t.abi.unpack("QiiQ", t.space.read(uss, 24))
        if sigs.altstack_flags(sp) == flags["SS_ONSTACK"]:
            raise GuestError(errno.EPERM)
        if ss_flags & ~(flags["SS_DISABLE"] | flags["SS_ONSTACK"] | flags.get("SS_AUTODISARM", 0)):
            raise GuestError(errno.EINVAL)
        if ss_flags & flags["SS_DISABLE"]:
            sigs.altstack = (0, flags["SS_DISABLE"], 0)
        else:
            if ss_size < t.abi.tables.KSIGNAL["MINSIGSTKSZ"]:
                raise GuestError(errno.ENOMEM)
            sigs.altstack = (ss_sp, 0, ss_size)


@syscall
def rt_sigreturn(t):
    t.defer(t.signals.sigreturn)  # it sets every register, the PC too: not inside the hook
    return KEEP_REGISTERS


# ---- sending ------------------------------------------------------------------------------

def _host_signal(t, sig):
    host = numbers.to_host(t.abi, sig)
    if host is None:
        raise GuestError(errno.EINVAL)
    return host


def _user_info(sig, code=0):
    return SigInfo(sig, code, pid=os.getpid(), uid=os.getuid())


def _room_for(t, sig, code):
    """A real-time signal sent with a siginfo the kernel must allocate (any code but
    SI_USER) fails with EAGAIN once RLIMIT_SIGPENDING signals are queued."""
    if sig < 32 or code == 0:
        return
    import resource
    limit = resource.getrlimit(resource.RLIMIT_SIGPENDING)[0]
    shared = t.process.signals
    with shared.mutex:
        queued = len(shared.shared) + sum(len(th.signals.pending) for th in list(t.process.threads.values()))
    if limit != resource.RLIM_INFINITY and queued >= limit:
        raise GuestError(errno.EAGAIN)


@syscall
def kill(t, pid: Int, sig: GuestSignal):
    if sig and not 1 <= sig <= numbers.NSIG:
        raise GuestError(errno.EINVAL)
    if pid == os.getpid():
        if sig:
            t.process.signals.post(sig, _user_info(sig))
        return
    os.kill(pid, _host_signal(t, sig) if sig else 0)


@syscall
def tgkill(t, tgid: Int, tid: Int, sig: GuestSignal):
    if tgid <= 0 or tid <= 0 or (sig and not 1 <= sig <= numbers.NSIG):
        raise GuestError(errno.EINVAL)
    if tgid == os.getpid():
        target = t.process.threads.get(tid)
        if target is None:
            raise GuestError(errno.ESRCH)
        if sig:
            _room_for(t, sig, t.abi.tables.SIGNAL_FLAGS["SI_TKILL"])
            t.process.signals.post(sig, _user_info(sig, t.abi.tables.SIGNAL_FLAGS["SI_TKILL"]), thread=target)
        return
    call("tgkill", tgid, tid, _host_signal(t, sig) if sig else 0)


@syscall
def tkill(t, tid: Int, sig: GuestSignal):
    if tid <= 0 or (sig and not 1 <= sig <= numbers.NSIG):
        raise GuestError(errno.EINVAL)
    target = t.process.threads.get(tid)
    if target is None:
        call("tkill", tid, _host_signal(t, sig) if sig else 0)
        return
    if sig:
        _room_for(t, sig, t.abi.tables.SIGNAL_FLAGS["SI_TKILL"])
        t.process.signals.post(sig, _user_info(sig, t.abi.tables.SIGNAL_FLAGS["SI_TKILL"]), thread=target)


def _queued_info(t, sig, uinfo):
    info = SigInfo.unpack(t.abi, t.space.read(uinfo, 128))
    if info.code >= 0:
        raise GuestError(errno.EPERM)  # only SI_QUEUE-like codes may be forged, as the kernel says
    info.signo = sig
    return info


@syscall
def rt_sigqueueinfo(t, pid: Int, sig: GuestSignal, uinfo: Ptr):
    _check_sig(sig)
    info = _queued_info(t, sig, uinfo)
    if pid == os.getpid():
        _room_for(t, sig, info.code)
        t.process.signals.post(sig, info)
        return
    host = ctypes.create_string_buffer(info.pack(t.abi), 128)
    call("rt_sigqueueinfo", pid, _host_signal(t, sig), host)


@syscall
def rt_tgsigqueueinfo(t, tgid: Int, tid: Int, sig: GuestSignal, uinfo: Ptr):
    _check_sig(sig)
    info = _queued_info(t, sig, uinfo)
    if tgid == os.getpid():
        target = t.process.threads.get(tid)
        if target is None:
            raise GuestError(errno.ESRCH)
        _room_for(t, sig, info.code)
        t.process.signals.post(sig, info, thread=target)
        return
    host = ctypes.create_string_buffer(info.pack(t.abi), 128)
    call("rt_tgsigqueueinfo", tgid, tid, _host_signal(t, sig), host)

