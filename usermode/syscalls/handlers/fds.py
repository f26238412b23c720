"""Descriptors as such: dup, dup3, fcntl, pipe2, close_range, flock, the sync
family, fadvise64, sendfile, copy_file_range.

Guest descriptors are host descriptors; the emulator's own (process.reserved_fds)
can be neither closed nor replaced by the guest.
"""
import ctypes
import errno
import functools
import os

from ...errors import GuestError
from ...memory.space import PROT_READ, PROT_WRITE
from ..argtypes import Arg, Enum, Fd, Flags, Long, Off64, Ptr, Size, UInt
from ..registry import syscall
from .fs import OpenFlags
from .hostcall import HOST_ABI, HOST_LAYOUTS, call


@syscall
def dup(t, fd: Fd) -> Fd:
    return t.process.dup_fd(fd, call("dup", fd))  # not os.dup: that one makes the copy close-on-exec


@syscall
def dup3(t, oldfd: Fd, newfd: Fd, flags: OpenFlags) -> Fd:
    t.process.check_fd_owned(newfd)
    if newfd >= t.process.nofile_limit():  # the host's limit has room for ours above (fdlimit.py)
        if flags & ~os.O_CLOEXEC or oldfd == newfd:
            raise GuestError(errno.EINVAL)  # the kernel's checks before the limit's
        raise GuestError(errno.EBADF)
    return t.process.dup_fd(oldfd, call("dup3", oldfd, newfd, flags))


@syscall
def pipe2(t, fds: Ptr, flags: OpenFlags):
    t.space.check(fds, 8, PROT_WRITE)
    pair = (ctypes.c_int * 2)()
    call("pipe2", pair, flags)  # the kernel's own check of the flags (os.pipe2 overflows on some)
    t.space.write(fds, t.abi.pack("ii", pair[0], pair[1]))


@syscall
def pipe(t, fds: Ptr):
    pipe2(t, fds, 0)


@syscall
def dup2(t, oldfd: Fd, newfd: Fd) -> Fd:
    if oldfd == newfd:  # dup3 refuses this; dup2 checks the descriptor and returns it
        call("fcntl", oldfd, 1, 0)  # F_GETFD: EBADF if closed
        return newfd
    return dup3(t, oldfd, newfd, 0)


@syscall
def sync_file_range(t, fd: Fd, offset: Off64, nbytes: Off64, flags: UInt):
    with t.unlocked():
        call("sync_file_range", fd, offset, nbytes, flags)


@syscall(twins={"arm_sync_file_range": {}})
def sync_file_range2(t, fd: Fd, flags: UInt, offset: Off64, nbytes: Off64):
    """ARM's and PowerPC's order: flags second, so the 64-bit values sit in aligned pairs."""
    sync_file_range(t, fd, offset, nbytes, flags)


@syscall
def readahead(t, fd: Fd, offset: Off64, count: Size):
    with t.unlocked():
        call("readahead", fd, offset, count)


@syscall
def close_range(t, first: UInt, last: UInt, flags: Flags("FILE", "CLOSE_RANGE_", zero="0")):
    if first > last:
        raise GuestError(errno.EINVAL)
    # the emulator's own descriptors stay open: close the ranges around them
    start = first
    for fd in sorted(fd for fd in t.process.reserved_fds if first <= fd <= last):
        if start < fd:
            call("close_range", start, fd - 1, flags)
        start = fd + 1
    if start <= last:
        call("close_range", start, last, flags)
    if not flags & CLOSE_RANGE_CLOEXEC:  # closed: emulated files behind them too
        t.process.forget_fds(first, last)


CLOSE_RANGE_CLOEXEC = 4  # the same on every ABI (linux/close_range.h)


# ---- fcntl -------------------------------------------------------------------

# commands whose argument and result are plain ints, the same on every ABI
_INT_COMMANDS = ("F_DUPFD", "F_DUPFD_CLOEXEC", "F_GETFD", "F_SETFD", "F_SETOWN", "F_GETOWN",
                 "F_SETLEASE", "F_GETLEASE", "F_NOTIFY", "F_SETPIPE_SZ", "F_GETPIPE_SZ",
                 "F_ADD_SEALS", "F_GET_SEALS")
_LOCK_COMMANDS = ("F_GETLK", "F_SETLK", "F_SETLKW", "F_OFD_GETLK", "F_OFD_SETLK", "F_OFD_SETLKW",
                  "F_GETLK64", "F_SETLK64", "F_SETLKW64")  # (the same values as F_GETLK... on 64-bit ABIs)
_BLOCKING = ("F_SETLKW", "F_OFD_SETLKW", "F_SETLKW64")
_WIDE_LOCKS = ("F_OFD_GETLK", "F_OFD_SETLK", "F_OFD_SETLKW", "F_GETLK64", "F_SETLK64", "F_SETLKW64")
_OWNER_COMMANDS = ("F_GETOWN_EX", "F_SETOWN_EX")


@functools.lru_cache(maxsize=None)
def _commands(abi):
    """guest command value -> (name, host command value), for this ABI."""
    out = {}
    for name in _INT_COMMANDS + _LOCK_COMMANDS + _OWNER_COMMANDS + ("F_GETFL", "F_SETFL", "F_SETSIG", "F_GETSIG"):
        guest, host = abi.tables.FILE.get(name), abi.host.FILE.get(name)
        if guest is not None and host is not None:
            out.setdefault(guest, (name, host))
    return out


class FcntlCmd(Enum):
    def __init__(self):
        super().__init__("FILE", "F_")

    def show(self, t, raw, args):
        entry = _commands(t.abi).get(raw & 0xFFFFFFFF)
        return entry[0] if entry else str(raw & 0xFFFFFFFF)


@syscall(twins={"fcntl64": {"wide": True}})
def fcntl(t, fd: Fd, cmd: FcntlCmd(), arg: Arg, *, wide=False):
    """fcntl64 (32-bit ABIs) takes struct flock64 for the *64 and OFD lock commands;
    fcntl there knows neither (EINVAL, as the kernel); on 64-bit ABIs they are one."""
    entry = _commands(t.abi).get(cmd & 0xFFFFFFFF)
    if entry is None:
        raise GuestError(errno.EINVAL)
    name, host_cmd = entry
    if name in _WIDE_LOCKS and t.abi.bits == 32 and not wide:
        raise GuestError(errno.EINVAL)
    if name in ("F_DUPFD", "F_DUPFD_CLOEXEC"):
        if arg & 0xFFFFFFFF >= t.process.nofile_limit():  # as the kernel's (the host's limit is higher)
            call("fcntl", fd, 1, 0)
            raise GuestError(errno.EINVAL)
        return t.process.dup_fd(fd, call("fcntl", fd, host_cmd, arg & 0xFFFFFFFF))
    if name in _INT_COMMANDS:
        return call("fcntl", fd, host_cmd, arg & 0xFFFFFFFF if name != "F_SETOWN" else t.abi.signed(arg))
    special = t.process.special_fds.get(fd)
    if name == "F_GETFL":
        flags = t.abi.flags("OPEN", "").to_guest(call("fcntl", fd, host_cmd, 0))
        if hasattr(special, "nonblocking"):  # an emulated descriptor: its host one is always non-blocking
            nonblock = t.abi.tables.OPEN["O_NONBLOCK"]
            flags = flags | nonblock if special.nonblocking else flags & ~nonblock
        return flags
    if name == "F_SETFL":
        host_flags = t.abi.flags("OPEN", "").to_host(arg & 0xFFFFFFFF)
        if hasattr(special, "nonblocking"):
            special.nonblocking = bool(host_flags & os.O_NONBLOCK)
            host_flags |= os.O_NONBLOCK
        return call("fcntl", fd, host_cmd, host_flags)
    if name == "F_SETSIG":
        return call("fcntl", fd, host_cmd, t.abi.signals.to_host(arg & 0xFFFFFFFF) if arg else 0)
    if name == "F_GETSIG":
        return t.abi.signals.to_guest(call("fcntl", fd, host_cmd, 0))
    if name in _OWNER_COMMANDS:
        return _fcntl_struct(t, fd, name, host_cmd, arg, "f_owner_ex", name == "F_GETOWN_EX")
    return _fcntl_lock(t, fd, name, host_cmd, arg)


def _fcntl_struct(t, fd, name, host_cmd, addr, layout, out):
    guest, host = getattr(t.layouts, layout), getattr(HOST_LAYOUTS, layout)
    if out:
        t.space.check(addr, guest.size, PROT_WRITE)
        buf = ctypes.create_string_buffer(host.size)
    else:
        buf = ctypes.create_string_buffer(host.pack(**guest.unpack(t.space.read(addr, guest.size))), host.size)
    ret = call("fcntl", fd, host_cmd, buf)
    if out:
        t.space.write(addr, guest.pack(**host.unpack(buf.raw)))
    return ret


def _fcntl_lock(t, fd, name, host_cmd, addr):
    guest, host = (t.layouts.flock64 if name in _WIDE_LOCKS else t.layouts.flock), HOST_LAYOUTS.flock
    lock = guest.unpack(t.space.read(addr, guest.size))  # F_RDLCK/F_WRLCK/F_UNLCK, SEEK_*: generic values
    buf = ctypes.create_string_buffer(host.pack(**lock), host.size)
    if name in _BLOCKING:
        with t.unlocked():
            call("fcntl", fd, host_cmd, buf)
    else:
        call("fcntl", fd, host_cmd, buf)
    if "GETLK" in name:
        values = host.unpack(buf.raw)
        if not guest.fits(**values):  # a lock beyond a 32-bit off_t (the kernel: EOVERFLOW)
            raise GuestError(errno.EOVERFLOW)
        t.space.write(addr, guest.pack(**values))


# ---- flock, sync, advice ---------------------------------------------------------

LockOp = Flags("FILEOPS", "LOCK_")


@syscall
def flock(t, fd: Fd, operation: LockOp):
    if operation & HOST_ABI.tables.FILEOPS["LOCK_NB"]:
        return call("flock", fd, operation)
    with t.unlocked():
        return call("flock", fd, operation)


@syscall
def fsync(t, fd: Fd):
    with t.unlocked():
        call("fsync", fd)  # the raw call: a negative fd is the kernel's EBADF


@syscall
def fdatasync(t, fd: Fd):
    with t.unlocked():
        call("fdatasync", fd)


@syscall
def sync(t):
    with t.unlocked():
        os.sync()


@syscall
def syncfs(t, fd: Fd):
    with t.unlocked():
        call("syncfs", fd)


Advice = Enum("FILEOPS", "POSIX_FADV_")


@syscall
def fadvise64(t, fd: Fd, offset: Off64, length: Long, advice: Advice):
    call("fadvise64", fd, offset, length, t.abi.const_map("FILEOPS", "POSIX_FADV_").to_host(advice))


@syscall
def fadvise64_64(t, fd: Fd, offset: Off64, length: Off64, advice: Advice):
    call("fadvise64", fd, offset, length, t.abi.const_map("FILEOPS", "POSIX_FADV_").to_host(advice))


@syscall
def arm_fadvise64_64(t, fd: Fd, advice: Advice, offset: Off64, length: Off64):
    """ARM's order: the advice second, so that both 64-bit values sit in aligned pairs."""
    fadvise64_64(t, fd, offset, length, advice)


# ---- copies between descriptors --------------------------------------------------

def _offset_cell(t, addr, fmt="q"):
    """An in/out offset argument (loff_t "q", or sendfile's off_t "w"): a host
    cell holding the guest's value, or None."""
    if not addr:
        return None
    t.space.check(addr, t.abi.size(fmt), PROT_READ | PROT_WRITE)
    return ctypes.c_int64(t.abi.unpack(fmt, t.space.read(addr, t.abi.size(fmt)))[0])


def _offset_back(t, addr, cell, fmt="q"):
    if cell is not None:
        t.space.write(addr, t.abi.pack(fmt, cell.value))


@syscall(twins={"sendfile64": {"fmt": "q"}})
def sendfile(t, out_fd: Fd, in_fd: Fd, offset: Ptr, count: Size, *, fmt="w"):
    cell = _offset_cell(t, offset, fmt)
    try:
        with t.unlocked():
            return call("sendfile", out_fd, in_fd, ctypes.byref(cell) if cell is not None else None, count)
    finally:
        _offset_back(t, offset, cell, fmt)


@syscall
def copy_file_range(t, fd_in: Fd, off_in: Ptr, fd_out: Fd, off_out: Ptr, length: Size, flags: UInt):
    cell_in, cell_out = _offset_cell(t, off_in), _offset_cell(t, off_out)
    try:
        with t.unlocked():
            return call("copy_file_range", fd_in, ctypes.byref(cell_in) if cell_in is not None else None,
                        fd_out, ctypes.byref(cell_out) if cell_out is not None else None, length, flags)
    finally:
        _offset_back(t, off_in, cell_in)
        _offset_back(t, off_out, cell_out)

