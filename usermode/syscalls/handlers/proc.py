"""Process and thread identity, exit, limits, and the calls glibc makes at start-up."""
import ctypes
import errno
import os

from ...errors import GuestError
from ..argtypes import Enum, Int, Ptr
from ..registry import syscall
from .hostcall import call



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


@syscall
def getuid(t):
    return os.getuid()


@syscall
def geteuid(t):
    return os.geteuid()


@syscall
def getgid(t):
    return os.getgid()


@syscall
def getegid(t):
    return os.getegid()


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


@syscall
def prlimit64(t, pid: Int, res: Resource, new: Ptr, old: Ptr):
    # struct rlimit64 is two u64s on every ABI, RLIM64_INFINITY all ones: the host's own
    # call with the values as they are, so the kernel judges the pid (ESRCH, EPERM) and them
    try:
        host_res = t.abi.const_map("RESOURCE", "RLIMIT_").to_host(res)
    except (KeyError, ValueError):
        raise GuestError(errno.EINVAL) from None
    hnew = (ctypes.c_uint64 * 2)(*t.abi.unpack("QQ", t.space.read(new, 16))) if new else None
    if old:
        t.space.check(old, 16, 2)
    hold = (ctypes.c_uint64 * 2)() if old else None
    call("prlimit64", pid, host_res, hnew, hold)
    if old:
        t.space.write(old, t.abi.pack("QQ", hold[0], hold[1]))


@syscall
def getrlimit(t, res: Resource, old: Ptr):
    return prlimit64(t, 0, res, 0, old)


@syscall
def setrlimit(t, res: Resource, new: Ptr):
    return prlimit64(t, 0, res, new, 0)


@syscall
def uname(t, buf: Ptr):
    u = os.uname()
    fields = [u.sysname, u.nodename, u.release, u.version, t.arch.UNAME_MACHINE, "(none)"]
    data = b"".join(f.encode()[:64].ljust(65, b"\0") for f in fields)
    t.space.write(buf, data)
