"""System administration: mount, umount2, pivot_root, unshare, setns, chroot,
sethostname, setdomainname, settimeofday, clock_settime, adjtimex,
clock_adjtime, acct, syslog, swapon, swapoff, vhangup, reboot.

Each does what the host kernel does for the user pyqemu runs as: the raw host
call with the guest's paths resolved (-L, --rootfs) and its structs repacked,
so an unprivileged user gets EPERM and root really changes the system, as
under qemu-user. Two are the emulator's own business:

- chroot moves the guest's root inside the emulator (paths.py's rootfs mode):
  the host process keeps its root, so pyqemu can still run, and the guest
  can never see past its new root;
- unshare and setns act on the host process, which has helper threads: the
  host kernel then refuses what needs a single-threaded caller (CLONE_NEWUSER,
  CLONE_FS, ...) with EINVAL, where the guest alone might have been allowed.
"""
import ctypes
import errno
import os
import stat

from ...errors import GuestError
from ..argtypes import Fd, Int, Path, Ptr, Size, UInt
from ..registry import syscall
from .clock import host_clock
from .hostcall import HOST_LAYOUTS, call, guest_buffer
from .hosttypes import PROT_READ, PROT_WRITE, Timeval, read_timespec

CAP_SYS_CHROOT = 18
PAGE = 4096


def _source(t, addr):
    """mount's source: a path when it starts with '/', else a name (tmpfs, none, ...)."""
    if not addr:
        return None
    name = t.space.cstring(addr)
    return t.process.host_path(name) if name.startswith(b"/") else name


def _data_pointer(t, addr):
    """mount's data, a page at most: the guest's own bytes, in place."""
    if not addr:
        return None
    length = t.space.accessible(addr, PAGE, PROT_READ)
    if not length:
        raise GuestError(errno.EFAULT)
    return guest_buffer(t, addr, length, PROT_READ)


@syscall
def mount(t, source: Ptr, target: Path, fstype: Ptr, flags: UInt, data: Ptr):
    fs = t.space.cstring(fstype) if fstype else None
    call("mount", _source(t, source), target, fs, flags, _data_pointer(t, data))


@syscall
def umount2(t, target: Path(nofollow=("flags", lambda abi: lambda raw: bool(raw & 8))), flags: Int):
    call("umount2", target, flags)  # UMOUNT_NOFOLLOW (8) leaves a final link alone


@syscall
def pivot_root(t, new_root: Path, put_old: Path):
    call("pivot_root", new_root, put_old)


@syscall
def unshare(t, flags: UInt):
    call("unshare", flags)


@syscall
def setns(t, fd: Fd, nstype: Int):
    call("setns", fd, nstype)


def has_capability(cap):
    """Whether the calling host thread has `cap` in its effective set."""
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)()
    call("capget", header, data)
    return bool(data[3 * (cap // 32)] >> (cap % 32) & 1)


@syscall
def chroot(t, path: Path):
    try:
        st = os.stat(path)
    except OSError as e:
        raise GuestError(e.errno) from None
    if not stat.S_ISDIR(st.st_mode):
        raise GuestError(errno.ENOTDIR)
    if not os.access(path, os.X_OK):
        raise GuestError(errno.EACCES)
    if not has_capability(CAP_SYS_CHROOT):
        raise GuestError(errno.EPERM)
    paths = t.process.paths
    binds = [os.fsdecode(h) for h in paths.binds.values()] if paths.is_rootfs else ["/proc", "/dev", "/sys"]
    paths.set_rootfs(os.fsdecode(path), binds=binds)


@syscall
def sethostname(t, name: Ptr, length: Size):
    if length > 64:
        raise GuestError(errno.EINVAL)
    call("sethostname", guest_buffer(t, name, length, PROT_READ) if length else name, length)


@syscall
def setdomainname(t, name: Ptr, length: Size):
    if length > 64:
        raise GuestError(errno.EINVAL)
    call("setdomainname", guest_buffer(t, name, length, PROT_READ) if length else name, length)


# ---- time ------------------------------------------------------------------------------

@syscall
def settimeofday(t, tv: Ptr, tz: Ptr):
    htv = None
    if tv:
        v = t.layouts.timeval.unpack(t.space.read(tv, t.layouts.timeval.size))
        htv = ctypes.byref(Timeval(v["tv_sec"], v["tv_usec"]))
    htz = None
    if tz:
        z = t.layouts.timezone.unpack(t.space.read(tz, t.layouts.timezone.size))
        htz = ctypes.create_string_buffer(HOST_LAYOUTS.timezone.pack(**z), HOST_LAYOUTS.timezone.size)
    call("settimeofday", htv, htz)


@syscall(twins={"clock_settime64": {"tsl": "timespec64"}})
def clock_settime(t, clk: Int, tp: Ptr, *, tsl="timespec"):
    ts = read_timespec(t, tp, tsl)
    if ts is None:
        raise GuestError(errno.EFAULT)
    call("clock_settime", host_clock(t, clk), ctypes.byref(ts))


def _timex_call(t, name, args, buf, layout="timex"):
    guest = getattr(t.layouts, layout)
    fields = guest.unpack(t.space.read(buf, guest.size))
    t.space.check(buf, guest.size, PROT_WRITE)
    host = ctypes.create_string_buffer(HOST_LAYOUTS.timex.pack(**fields), HOST_LAYOUTS.timex.size)
    state = call(name, *args, host)
    t.space.write(buf, guest.pack(**HOST_LAYOUTS.timex.unpack(host.raw)))
    return state


@syscall
def adjtimex(t, buf: Ptr):
    return _timex_call(t, "adjtimex", (), buf)


@syscall(twins={"clock_adjtime64": {"layout": "timex64"}})
def clock_adjtime(t, clk: Int, buf: Ptr, *, layout="timex"):
    return _timex_call(t, "clock_adjtime", (host_clock(t, clk),), buf, layout)


# ---- accounting, kernel log, swap, terminal, reboot ---------------------------------------

@syscall
def acct(t, path: Path(optional=True)):
    call("acct", path)


SYSLOG_READS = {2, 3, 4}  # SYSLOG_ACTION_READ, READ_ALL, READ_CLEAR: they fill buf


@syscall
def syslog(t, kind: Int, buf: Ptr, length: Int):
    if kind in SYSLOG_READS and length > 0:
        return call("syslog", kind, guest_buffer(t, buf, length, PROT_WRITE), length)
    return call("syslog", kind, buf, length)


@syscall
def swapon(t, path: Path, flags: Int):
    call("swapon", path, flags)


@syscall
def swapoff(t, path: Path):
    call("swapoff", path)


@syscall
def vhangup(t):
    call("vhangup")


LINUX_REBOOT_CMD_RESTART2 = 0xA1B2C3D4


@syscall
def reboot(t, magic1: Int, magic2: Int, cmd: UInt, arg: Ptr):
    if cmd == LINUX_REBOOT_CMD_RESTART2 and arg:
        arg = t.space.cstring(arg, 256)  # the kernel copies at most 256 bytes of the command
    call("reboot", magic1, magic2, cmd, arg)
