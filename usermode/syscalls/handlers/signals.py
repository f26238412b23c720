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
from ...signals.frames import pack_sigset, unpack_sigset
from ..argtypes import Arg, Int, Ptr, Size
from ..registry import KEEP_REGISTERS, syscall
from .hostcall import HOST_ABI, call
from .hosttypes import HOST_SIGSET_BYTES, Timespec, read_timespec


class GuestSignal(Int):
    """A guest signal number, passed as the guest's (the emulator routes it)."""

    def show(self, t, raw, args):
        value = raw & 0xFFFFFFFF
        return numbers.name(t.abi, value) if 1 <= value <= t.abi.nsig else str(value)


class SigHow(Arg):
    def show(self, t, raw, args):
        names = {t.abi.tables.SIGNAL_FLAGS[n]: n for n in ("SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK")}
        return names.get(raw & 0xFFFFFFFF, str(raw))


def _sigset_size(t, size):
    if size != t.abi.sigset_bytes:
        raise GuestError(errno.EINVAL)


def _read_set(t, addr):
    return unpack_sigset(t.abi, t.space.read(addr, t.abi.sigset_bytes))


def _write_set(t, addr, mask):
    t.space.write(addr, pack_sigset(t.abi, mask))


def _check_sig(t, sig):
    if not 1 <= sig <= t.abi.nsig:
        raise GuestError(errno.EINVAL)


# ---- dispositions -------------------------------------------------------------------

@syscall
def rt_sigaction(t, sig: GuestSignal, act: Ptr, oact: Ptr, sigsetsize: Size):
    _sigset_size(t, sigsetsize)
    _check_sig(t, sig)
    shared = t.process.signals
    layout = t.layouts.sigaction  # the kernel's struct sigaction: the restorer only where it has one
    new = None
    if act:
        fields = layout.unpack(t.space.read(act, layout.size))
        new = Action(fields["handler"], fields["flags"] & 0xFFFFFFFF, fields.get("restorer", 0),
                     unpack_sigset(t.abi, fields["mask"]))
        if sig in (shared.number("SIGKILL"), shared.number("SIGSTOP")):
            raise GuestError(errno.EINVAL)
    if oact:
        old = shared.actions[sig]
        t.space.write(oact, layout.pack(handler=old.handler, flags=old.flags, restorer=old.restorer,
                                        mask=pack_sigset(t.abi, old.mask)))
    if new is not None:
        shared.set_action(sig, new)


# the old sigaction of the 32-bit ABIs: struct old_sigaction { handler; old_sigset_t
# mask (one long); flags; restorer } (MIPS, which has its own order, is its cpu module's)
@syscall
def sigaction(t, sig: GuestSignal, act: Ptr, oact: Ptr):
    _check_sig(t, sig)
    shared = t.process.signals
    layout = t.layouts.old_sigaction
    new = None
    if act:
        f = layout.unpack(t.space.read(act, layout.size))
        new = Action(f["handler"], f["flags"] & 0xFFFFFFFF, f["restorer"], f["mask"])
        if sig in (shared.number("SIGKILL"), shared.number("SIGSTOP")):
            raise GuestError(errno.EINVAL)
    if oact:
        old = shared.actions[sig]
        t.space.write(oact, layout.pack(handler=old.handler, mask=old.mask & t.abi.word_mask,
                                        flags=old.flags, restorer=old.restorer))
    if new is not None:
        shared.set_action(sig, new)


@syscall
def sigprocmask(t, how: SigHow, nset: Ptr, oset: Ptr):
    """The old sigprocmask: one long of mask (signals 1..32), the rest kept."""
    sigs, wb = t.signals, t.abi.word_bytes
    low = (1 << t.abi.bits) - 1
    old = sigs.blocked
    if oset:
        t.space.write(oset, t.abi.pack("W", old & low))
    if nset:
        new = t.abi.unpack("W", t.space.read(nset, wb))[0]
        flags = t.abi.tables.SIGNAL_FLAGS
        if how == flags["SIG_BLOCK"]:
            mask = old | new
        elif how == flags["SIG_UNBLOCK"]:
            mask = old & ~new
        elif how == flags["SIG_SETMASK"]:
            mask = (old & ~low) | new
        else:
            raise GuestError(errno.EINVAL)
        sigs.set_blocked(mask)


@syscall
def sigpending(t, uset: Ptr):
    sigs = t.signals
    with sigs.shared.mutex:
        pending = 0
        for sig, _ in list(sigs.pending) + list(sigs.shared.shared):
            pending |= numbers.bit(sig)
    t.space.write(uset, t.abi.pack("W", pending & sigs.blocked & t.abi.word_mask))


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
    if sigsetsize > t.abi.sigset_bytes:
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
    _suspend(t, _read_set(t, uset))


@syscall
def sigsuspend(t, unused1: Int, unused2: Int, mask: Arg):
    """The old call of arm and i386 (the kernel's OLD_SIGSUSPEND3): one long of mask,
    which is the whole new mask (signals past the word's are unblocked)."""
    _suspend(t, mask)


@syscall(name="sigsuspend", when="sigsuspend1")
def sigsuspend1(t, mask: Arg):
    _suspend(t, mask)


@syscall
def pause(t):
    _suspend(t, t.signals.blocked)


def _suspend(t, mask):
    """Wait with `mask` blocked until a signal is delivered; EINTR, and the handler's
    sigreturn puts the mask from before back."""
    sigs = t.signals
    saved = sigs.blocked
    sigs.set_blocked(mask)
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


@syscall(twins={"rt_sigtimedwait_time64": {"ts": "timespec64"}})
def rt_sigtimedwait(t, uset: Ptr, uinfo: Ptr, uts: Ptr, sigsetsize: Size, *, ts="timespec"):
    _sigset_size(t, sigsetsize)
    sigs = t.signals
    wanted = _read_set(t, uset)
    ts = read_timespec(t, uts, ts)
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
        sigs.shared.taken(info)  # taken straight from the host: a timer's count is timer_getoverrun's
        if uinfo:
            t.space.write(uinfo, info.pack(t.abi))
        return guest


def _take_from(sigs, wanted):
    with sigs.shared.mutex:
        for queue in (sigs.pending, sigs.shared.shared):
            for i, (sig, info) in enumerate(queue):
                if wanted & numbers.bit(sig):
                    del queue[i]
                    sigs.shared.taken(info)
                    return sig, info
    return None


@syscall
def sigaltstack(t, uss: Ptr, uoss: Ptr):
    sigs = t.signals
    flags = t.abi.tables.SIGNAL_FLAGS
    sp = t.uc.reg_read(t.arch.REG_SP)
    layout = t.layouts.stack_t
    if uoss:
        ss_sp, ss_flags, ss_size = sigs.altstack
        t.space.write(uoss, layout.pack(ss_sp=ss_sp, ss_flags=sigs.altstack_flags(sp), ss_size=ss_size))
    if uss:
        given = layout.unpack(t.space.read(uss, layout.size))
        ss_sp, ss_flags, ss_size = given["ss_sp"], given["ss_flags"], given["ss_size"]
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


@syscall
def sigreturn(t):
    """The return from a handler without SA_SIGINFO, on ABIs whose kernel builds
    the old sigframe for those (arm, i386, mips o32, ppc, s390x, m68k)."""
    t.defer(lambda: t.signals.sigreturn(rt=False))
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
    if sig and not 1 <= sig <= t.abi.nsig:
        raise GuestError(errno.EINVAL)
    if pid == os.getpid():
        if sig:
            t.process.signals.post(sig, _user_info(sig))
        return
    os.kill(pid, _host_signal(t, sig) if sig else 0)


@syscall
def tgkill(t, tgid: Int, tid: Int, sig: GuestSignal):
    if tgid <= 0 or tid <= 0 or (sig and not 1 <= sig <= t.abi.nsig):
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
    if tid <= 0 or (sig and not 1 <= sig <= t.abi.nsig):
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


def _host_info(t, sig, info):
    """A queued siginfo for another process: in the host's layout, with the host's
    signal number (its negative si_code travels as the guest gave it, as the kernel's)."""
    host = SigInfo(_host_signal(t, sig), info.code, pid=info.pid, uid=info.uid, value=info.value)
    return ctypes.create_string_buffer(host.pack(HOST_ABI), 128)


@syscall
def rt_sigqueueinfo(t, pid: Int, sig: GuestSignal, uinfo: Ptr):
    _check_sig(t, sig)
    info = _queued_info(t, sig, uinfo)
    if pid == os.getpid():
        _room_for(t, sig, info.code)
        t.process.signals.post(sig, info)
        return
    call("rt_sigqueueinfo", pid, _host_signal(t, sig), _host_info(t, sig, info))


@syscall
def rt_tgsigqueueinfo(t, tgid: Int, tid: Int, sig: GuestSignal, uinfo: Ptr):
    _check_sig(t, sig)
    info = _queued_info(t, sig, uinfo)
    if tgid == os.getpid():
        target = t.process.threads.get(tid)
        if target is None:
            raise GuestError(errno.ESRCH)
        _room_for(t, sig, info.code)
        t.process.signals.post(sig, info, thread=target)
        return
    call("rt_tgsigqueueinfo", tgid, tid, _host_signal(t, sig), _host_info(t, sig, info))

