"""Waiting for descriptors: ppoll, pselect6, epoll, and eventfd.

Every wait is the host kernel's own raw call (hostcall.call) on host copies of
the guest's structures, made with the emulator lock released: the timeout's
write-back (time left), the atomically applied signal mask, the EINTR and the
result are then exactly the kernel's. What differs between guest and host is
repacked: pollfd and epoll_event event bits (by name), the epoll_event layout
(x86-64 packs it into 12 bytes, the guests align it to 16), fd_set words (the
guest's word size and byte order), signal sets (signal numbers by name).
"""
import ctypes
import errno
import resource

from ...errors import GuestError
from ...translate import FlagMap
from ..argtypes import Enum, Fd, Flags, Int, Ptr, Size, UInt
from ..registry import syscall
from . import counterfd
from .hostcall import ppoll as ppoll_call
from .sigmask import temporary_mask
from .hosttypes import (HOST, HOST_SIGSET_BYTES, PROT_READ, PROT_WRITE, Timespec, address, bits_from_guest,
                      bits_to_guest, call, host_bits, host_sigset, read_timespec,
                      write_back_timespec)

INT_MAX = (1 << 31) - 1
EPOLL_BATCH = 1024  # the least the host fills at once
EPOLL_MOST = 1 << 20  # the most (a 12 MiB host array)


def _named_flags(abi, key, keep):
    """A FlagMap over the names of group POLL that `keep` accepts, cached on the ABI."""
    cache = abi.__dict__.setdefault("_poll_flag_cache", {})
    if key not in cache:
        cache[key] = FlagMap({k: v for k, v in abi.tables.POLL.items() if keep(k)},
                             {k: v for k, v in HOST.POLL.items() if keep(k)})
    return cache[key]


def poll_events(abi):
    return _named_flags(abi, "POLL", lambda n: n.startswith("POLL"))


def epoll_events(abi):
    # EPOLLIN, EPOLLET, ... but not the EPOLL_CTL_* operations or EPOLL_CLOEXEC
    return _named_flags(abi, "EPOLL", lambda n: n.startswith("EPOLL") and not n.startswith("EPOLL_"))


# ---- ppoll -----------------------------------------------------------------

class HostPollfd(ctypes.Structure):
    _fields_ = [("fd", ctypes.c_int), ("events", ctypes.c_short), ("revents", ctypes.c_short)]


@syscall(twins={"ppoll_time64": {"tsl": "timespec64"}})
def ppoll(t, fds: Ptr, nfds: UInt, tsp: Ptr, sigmask: Ptr, sigsetsize: Size, *, tsl="timespec"):
    ts = read_timespec(t, tsp, tsl)
    if not sigmask:  # (temporary_mask's NULL case, without a generator's context manager)
        try:
            return _poll_fds(t, fds, nfds, ts, None)
        finally:
            write_back_timespec(t, tsp, ts, tsl)
    mask = host_sigset(t, sigmask, sigsetsize)
    with temporary_mask(t, sigmask, sigsetsize):
        try:
            return _poll_fds(t, fds, nfds, ts, mask)
        finally:
            write_back_timespec(t, tsp, ts, tsl)


def _poll_fds(t, fds, nfds, ts, mask):
    limit = t.process.nofile_limit()  # the guest's (fdlimit.py)
    if limit != resource.RLIM_INFINITY and nfds > limit:
        raise GuestError(errno.EINVAL)
    layout = t.layouts.pollfd
    view = t.space.view(fds, nfds * layout.size, PROT_READ | PROT_WRITE)
    return _ppoll(t, fds, nfds, ts, mask, view, layout)


def _ppoll(t, fds, nfds, ts, mask, view, layout):
    evmap = poll_events(t.abi)
    reserved = t.process.reserved_fds
    if evmap.identity and layout.struct.format == "<ihh" and reserved.isdisjoint(view.cast("i")[::2]):
        # the guest's array is the host's, byte for byte: the kernel works on it in place
        with t.unlocked():
            return ppoll_call(t.space.base + fds, nfds, address(ts), address(mask), HOST_SIGSET_BYTES)
    host = (HostPollfd * nfds)()
    unpack = layout.struct.unpack_from
    hidden = []  # entries naming the emulator's own descriptors: POLLNVAL, as a closed one
    for i in range(nfds):
        fd, events, _ = unpack(view, i * layout.size)
        if fd in reserved:
            hidden.append(i)
            fd = -1  # the host skips it
        host[i].fd = fd
        host[i].events = _short(evmap.to_host(events & 0xFFFF))
    now = Timespec(0, 0) if hidden else ts  # POLLNVAL is ready at once: no wait
    with t.unlocked():
        n = call("ppoll", host, nfds, address(now), address(mask), HOST_SIGSET_BYTES)
    for i in hidden:
        host[i].revents = HOST.POLL["POLLNVAL"]
    n += len(hidden)
    pack = layout.struct.pack_into
    for i in range(nfds):
        fd, events, _ = unpack(view, i * layout.size)
        pack(view, i * layout.size, fd, events, _short(evmap.to_guest(host[i].revents & 0xFFFF)))
    return n


def _short(v):
    return v - 0x10000 if v & 0x8000 else v


# ---- pselect6 ----------------------------------------------------------------

@syscall(twins={"pselect6_time64": {"tsl": "timespec64"}})
def pselect6(t, nfds: Int, readfds: Ptr, writefds: Ptr, exceptfds: Ptr, tsp: Ptr, sig: Ptr, *, tsl="timespec"):
    abi = t.abi
    ts = read_timespec(t, tsp, tsl)
    mask = None
    ss = ss_len = 0
    if sig:
        # struct { const sigset_t *ss; size_t ss_len; } in guest words
        ss, ss_len = abi.unpack("WW", t.space.read(sig, abi.size("WW")))
        mask = host_sigset(t, ss, ss_len)
    with temporary_mask(t, ss, ss_len):
        try:
            return _pselect(t, nfds, readfds, writefds, exceptfds, ts, mask)
        finally:
            write_back_timespec(t, tsp, ts, tsl)


def _pselect(t, nfds, readfds, writefds, exceptfds, ts, mask):
    """The host's pselect6 on the guest's fd sets (arrays of guest longs); ts is updated."""
    if nfds < 0:
        raise GuestError(errno.EINVAL)
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nfds = min(nfds, hard if hard != resource.RLIM_INFINITY else 1 << 20)
    abi = t.abi
    glen = (nfds + abi.bits - 1) // abi.bits * abi.word_bytes
    sets = []
    own = sum(1 << fd for fd in t.process.reserved_fds if fd < nfds)  # the emulator's: EBADF
    for addr in (readfds, writefds, exceptfds):
        if addr:
            t.space.check(addr, glen, PROT_READ | PROT_WRITE)
            bits = bits_from_guest(abi, t.space.read(addr, glen))
            if bits & own:
                raise GuestError(errno.EBADF)
            sets.append((addr, host_bits(bits, nfds)))
        else:
            sets.append((0, None))
    mask_arg = None if mask is None else (ctypes.c_ulong * 2)(address(mask) or 0, HOST_SIGSET_BYTES)
    with t.unlocked():
        n = call("pselect6", nfds, *[address(buf) for _, buf in sets], address(ts), address(mask_arg))
    for addr, buf in sets:
        if addr:
            value = int.from_bytes(buf.raw, "little")
            t.space.write(addr, bits_to_guest(abi, value, glen))
    return n


# ---- epoll -------------------------------------------------------------------

class HostEpollEvent(ctypes.Structure):
    _pack_ = 1  # x86-64's struct epoll_event is __attribute__((packed)): 12 bytes
    _fields_ = [("events", ctypes.c_uint32), ("data", ctypes.c_uint64)]


@syscall
def epoll_create1(t, flags: Flags("POLL", "EPOLL_CLOEXEC")) -> Fd:
    return call("epoll_create1", flags)


EpollOp = Enum("POLL", "EPOLL_CTL_")


@syscall
def epoll_ctl(t, epfd: Fd, op: EpollOp, fd: Fd, event: Ptr):
    ops = t.abi.const_map("POLL", "EPOLL_CTL_")
    host_event = None
    if op != t.abi.const("POLL", "EPOLL_CTL_DEL"):  # DEL ignores the event
        layout = t.layouts.epoll_event
        v = layout.unpack(t.space.read(event, layout.size))
        host_event = HostEpollEvent(epoll_events(t.abi).to_host(v["events"]), v["data"])
    return call("epoll_ctl", epfd, ops.to_host(op), fd, address(host_event))


def _epoll_wait(t, epfd, events, maxevents, timeout_arg, sigmask, sigsetsize, name):
    layout = t.layouts.epoll_event
    if maxevents <= 0 or maxevents > INT_MAX // layout.size:
        raise GuestError(errno.EINVAL)
    view = t.space.view(events, maxevents * layout.size, PROT_WRITE)
    mask = host_sigset(t, sigmask, sigsetsize)
    # the host fills at most as many per call as the process may have descriptors (each
    # ready item is one: they all fit, as the kernel's one call gives them; CPython's
    # test_selectors waits for 9984) and the rest stay ready for the next call, so a
    # huge maxevents costs no huge host array
    soft = t.process.nofile_limit()
    maxevents = min(maxevents, max(EPOLL_BATCH, EPOLL_MOST if soft == resource.RLIM_INFINITY else min(soft, EPOLL_MOST)))
    host = (HostEpollEvent * maxevents)()
    with temporary_mask(t, sigmask, sigsetsize), t.unlocked():
        n = call(name, epfd, host, maxevents, timeout_arg, address(mask), HOST_SIGSET_BYTES)
    evmap = epoll_events(t.abi)
    for i in range(n):
        view[i * layout.size:(i + 1) * layout.size] = layout.pack(
            events=evmap.to_guest(host[i].events), data=host[i].data)
    return n


@syscall
def epoll_pwait(t, epfd: Fd, events: Ptr, maxevents: Int, timeout: Int, sigmask: Ptr, sigsetsize: Size):
    return _epoll_wait(t, epfd, events, maxevents, timeout, sigmask, sigsetsize, "epoll_pwait")


@syscall
def epoll_wait(t, epfd: Fd, events: Ptr, maxevents: Int, timeout: Int):
    return _epoll_wait(t, epfd, events, maxevents, timeout, 0, 0, "epoll_pwait")


@syscall
def epoll_create(t, size: Int) -> Fd:
    if size <= 0:  # the size is a hint, but must be positive
        raise GuestError(errno.EINVAL)
    return call("epoll_create1", 0)


@syscall
def epoll_pwait2(t, epfd: Fd, events: Ptr, maxevents: Int, timeout: Ptr, sigmask: Ptr, sigsetsize: Size):
    # struct __kernel_timespec on every ABI; not written back: epoll_pwait2 leaves it alone
    ts = read_timespec(t, timeout, "timespec64")
    return _epoll_wait(t, epfd, events, maxevents, address(ts), sigmask, sigsetsize, "epoll_pwait2")


# ---- eventfd -----------------------------------------------------------------

@syscall
def eventfd2(t, initval: UInt, flags: Flags("POLL", "EFD_")) -> Fd:
    return counterfd.track(t, call("eventfd2", initval, flags))


@syscall
def eventfd(t, initval: UInt) -> Fd:
    return counterfd.track(t, call("eventfd2", initval, 0))


# ---- the older waits: poll (milliseconds), select (a timeval written back) ----

@syscall
def poll(t, fds: Ptr, nfds: UInt, timeout: Int):
    """ppoll with a timeout in milliseconds (negative: none)."""
    ts = None if timeout < 0 else Timespec(timeout // 1000, (timeout % 1000) * 1_000_000)
    return _poll_fds(t, fds, nfds, ts, None)


@syscall(twins={"_newselect": {}})
def select(t, nfds: Int, readfds: Ptr, writefds: Ptr, exceptfds: Ptr, tvp: Ptr):
    """pselect6 with a struct timeval, which the kernel writes back with the time left."""
    tv = None
    if tvp:
        v = t.layouts.timeval.unpack(t.space.read(tvp, t.layouts.timeval.size))
        if v["tv_sec"] < 0 or not 0 <= v["tv_usec"] < 1_000_000:
            raise GuestError(errno.EINVAL)
        tv = Timespec(v["tv_sec"], v["tv_usec"] * 1000)
    try:
        return _pselect(t, nfds, readfds, writefds, exceptfds, tv, None)
    finally:
        if tv is not None:
            try:
                t.space.write(tvp, t.layouts.timeval.pack(tv_sec=tv.tv_sec, tv_usec=tv.tv_nsec // 1000))
            except GuestError:
                pass


@syscall(name="select", when="old_select")
def old_select(t, args: Ptr):
    """i386's select(82): one pointer to the five arguments."""
    nfds, r, w, e, tvp = t.abi.unpack("5W", t.space.read(args, t.abi.size("5W")))
    return select(t, t.abi.signed(nfds), r, w, e, tvp)
