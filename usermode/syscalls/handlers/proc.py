"""Process and thread identity, exit, limits, and the calls glibc makes at start-up."""
import ctypes
import errno
import os
import resource

from ...errors import GuestError
from ..argtypes import Enum, Int, Ptr
from ..registry import import_all, syscall
from .fs import OVERFLOW_ID
from .hostcall import call

RLIM_INFINITY_GUEST = (1 << 64) - 1  # struct rlimit64 is two u64 on every ABI


@syscall
def exit(t, status: Int):
    t.exit(status & 0xFF, group=False)


@syscall
def exit_group(t, status: Int):
    t.exit(status & 0xFF, group=True)


@syscall
def getpid(t):
    return os.getpid()


@syscall
def getppid(t):
    return os.getppid()


@syscall
def gettid(t):
    return t.tid


@syscall(twins={"getuid32": {}})
def getuid(t, *, bits=32):
    return id_for(os.getuid(), bits)


@syscall(twins={"geteuid32": {}})
def geteuid(t, *, bits=32):
    return id_for(os.geteuid(), bits)


@syscall(twins={"getgid32": {}})
def getgid(t, *, bits=32):
    return id_for(os.getgid(), bits)


@syscall(twins={"getegid32": {}})
def getegid(t, *, bits=32):
    return id_for(os.getegid(), bits)


def id_for(value, bits):
    """An id as a 16-bit call returns it: the overflow id when it does not fit (high2lowuid)."""
    return value if bits == 32 or value <= 0xFFFF else OVERFLOW_ID


# ABIs with the uid16 quirk: the plain calls are the 16-bit ones
for _fn in (getuid, geteuid, getgid, getegid):
    syscall(_fn, name=_fn.__name__, when="uid16", bound={"bits": 16})


@syscall
def set_tid_address(t, tidptr: Ptr):
    t.clear_child_tid = tidptr
    return t.tid


@syscall
def set_robust_list(t, head: Ptr, length: Int):
    if length != 3 * t.abi.word_bytes:  # sizeof(struct robust_list_head)
        raise GuestError(errno.EINVAL)
    t.robust_list = head


@syscall
def rseq(t, rseq: Ptr, length: Int, flags: Int, sig: Int):
    # Declined on purpose, as qemu-user does: glibc falls back silently, and
    # restartable sequences cannot be honoured while threads share one lock.
    raise GuestError(errno.ENOSYS)


Resource = Enum("RESOURCE", "RLIMIT_")
_EMULATED = {resource.RLIMIT_AS: "RLIMIT_AS", resource.RLIMIT_DATA: "RLIMIT_DATA"}


def _limits_now(t, host_res):
    """This process's (soft, hard) of a resource as unsigned 64-bit values
    (RLIM_INFINITY_GUEST for none): the guest's own for RLIMIT_AS, RLIMIT_DATA and
    RLIMIT_NOFILE (fdlimit.py: the host's has room for the emulator's descriptors)."""
    if host_res == resource.RLIMIT_NOFILE and t.process.fd_limit is not None:
        return t.process.fd_limit.get()
    emulated = _EMULATED.get(host_res)
    if emulated is not None:
        return tuple(RLIM_INFINITY_GUEST if v == resource.RLIM_INFINITY else v
                     for v in t.process.mem_limits.get(emulated))
    old = (ctypes.c_uint64 * 2)()
    call("prlimit64", 0, host_res, None, old)
    return tuple(old)


def _set_limits(t, host_res, soft, hard):
    if host_res == resource.RLIMIT_NOFILE:
        import_all()  # the modules not imported yet, while descriptors can still be opened for them
        if t.process.fd_limit is not None:
            t.process.fd_limit.set(soft, hard)
            return
    emulated = _EMULATED.get(host_res)
    if emulated is not None:
        # the guest's address-space and data limits are its own (memory/limits.py): on
        # the host they would limit the emulator
        t.process.mem_limits.set(emulated, *(resource.RLIM_INFINITY if v == RLIM_INFINITY_GUEST else v
                                             for v in (soft, hard)))
    else:
        # the host's own call: any 64-bit value, the kernel's checks and errors
        call("prlimit64", 0, host_res, (ctypes.c_uint64 * 2)(soft, hard), None)


@syscall
def prlimit64(t, pid: Int, res: Resource, new: Ptr, old: Ptr):
    # struct rlimit64 is two u64s on every ABI, RLIM64_INFINITY all ones: the host's own
    # call with the values as they are, so the kernel judges the pid (ESRCH, EPERM) and
    # them; this process's RLIMIT_AS and RLIMIT_DATA are the guest's own (_limits_now)
    try:
        host_res = t.abi.const_map("RESOURCE", "RLIMIT_").to_host(res)
    except (KeyError, ValueError):
        raise GuestError(errno.EINVAL) from None
    values = t.abi.unpack("QQ", t.space.read(new, 16)) if new else None
    if old:
        t.space.check(old, 16, 2)
    if (host_res in _EMULATED or host_res == resource.RLIMIT_NOFILE and t.process.fd_limit is not None) \
            and pid in (0, os.getpid()):
        previous = _limits_now(t, host_res)
        if values:
            _set_limits(t, host_res, *values)
    else:
        if values and host_res == resource.RLIMIT_NOFILE and pid in (0, os.getpid()):
            import_all()  # as _set_limits
        hold = (ctypes.c_uint64 * 2)()
        call("prlimit64", pid, host_res, (ctypes.c_uint64 * 2)(*values) if values else None, hold)
        previous = tuple(hold)
    if old:
        t.space.write(old, t.abi.pack("QQ", *previous))


def _rlimit_infinity(t, layout):
    """The guest's struct rlimit infinity: all ones, but MIPS o32's is 0x7fffffff."""
    return t.arch.RLIM_INFINITY or layout.limits["rlim_cur"][1]


def _rlimit_to_guest(top, value):
    """A host limit for a guest struct rlimit of longs: what does not fit is infinity
    (the kernel's compat getrlimit), as is the host's own infinity."""
    return top if value == resource.RLIM_INFINITY or value > top else value


@syscall(twins={"ugetrlimit": {}})
def getrlimit(t, res: Resource, old: Ptr):
    layout = t.layouts.rlimit
    t.space.check(old, layout.size, 2)
    try:
        host_res = t.abi.const_map("RESOURCE", "RLIMIT_").to_host(res)
    except (KeyError, ValueError):
        raise GuestError(errno.EINVAL) from None
    cur, mx = _limits_now(t, host_res)
    top = _rlimit_infinity(t, layout)
    t.space.write(old, layout.pack(rlim_cur=_rlimit_to_guest(top, cur), rlim_max=_rlimit_to_guest(top, mx)))


@syscall
def setrlimit(t, res: Resource, new: Ptr):
    layout = t.layouts.rlimit
    values = layout.unpack(t.space.read(new, layout.size))
    top = _rlimit_infinity(t, layout)
    soft, hard = (RLIM_INFINITY_GUEST if values[f] == top else values[f] for f in ("rlim_cur", "rlim_max"))
    try:
        host_res = t.abi.const_map("RESOURCE", "RLIMIT_").to_host(res)
    except (KeyError, ValueError):
        raise GuestError(errno.EINVAL) from None
    _set_limits(t, host_res, soft, hard)


@syscall
def uname(t, buf: Ptr):
    u = os.uname()
    fields = [u.sysname, u.nodename, u.release, u.version, t.arch.UNAME_MACHINE, "(none)"]
    data = b"".join(f.encode()[:64].ljust(65, b"\0") for f in fields)
    t.space.write(buf, data)
