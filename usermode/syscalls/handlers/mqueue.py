"""POSIX message queues: mq_open, mq_unlink, mq_timedsend, mq_timedreceive,
mq_getsetattr.

Queues are the host kernel's (their names live in its mqueue file system, not
in the guest's root), so emulated and native processes share them; a queue
descriptor is a host descriptor. struct mq_attr is repacked for the guest;
sending and receiving release the emulator lock, they can block.
"""
import ctypes
import errno

from ...errors import GuestError
from ..argtypes import CStr, Fd, Mode, Ptr, Size, UInt
from ..registry import syscall
from .fs import OpenFlags
from .hostcall import HOST_ABI, HOST_LAYOUTS, call, guest_buffer
from .hosttypes import PROT_READ, PROT_WRITE, read_timespec


HOST_O_NONBLOCK = HOST_ABI.tables.OPEN["O_NONBLOCK"]


def _attr_in(t, addr):
    if not addr:
        return None
    guest, host = t.layouts.mq_attr, HOST_LAYOUTS.mq_attr
    return ctypes.create_string_buffer(host.pack(**guest.unpack(t.space.read(addr, guest.size))), host.size)



@syscall
def mq_open(t, name: CStr, oflag: OpenFlags, mode: Mode, attr: Ptr) -> Fd:
    if name is None:
        raise GuestError(errno.EFAULT)
    return call("mq_open", name, oflag, mode, _attr_in(t, attr))


@syscall
def mq_unlink(t, name: CStr):
    if name is None:
        raise GuestError(errno.EFAULT)
    call("mq_unlink", name)


def _timeout(t, addr, tsl):
    ts = read_timespec(t, addr, tsl)
    return ctypes.byref(ts) if ts is not None else None


@syscall(twins={"mq_timedsend_time64": {"tsl": "timespec64"}})
def mq_timedsend(t, mqdes: Fd, msg: Ptr, length: Size, prio: UInt, timeout: Ptr, *, tsl="timespec"):
    buf = guest_buffer(t, msg, length, PROT_READ) if length else msg
    when = _timeout(t, timeout, tsl)
    with t.unlocked():
        call("mq_timedsend", mqdes, buf, length, prio, when)


@syscall(twins={"mq_timedreceive_time64": {"tsl": "timespec64"}})
def mq_timedreceive(t, mqdes: Fd, msg: Ptr, length: Size, prio: Ptr, timeout: Ptr, *, tsl="timespec"):
    buf = guest_buffer(t, msg, length, PROT_WRITE) if length else msg
    when = _timeout(t, timeout, tsl)
    if prio:
        t.space.check(prio, 4, PROT_WRITE)
    hprio = ctypes.c_uint()
    with t.unlocked():
        got = call("mq_timedreceive", mqdes, buf, length, ctypes.byref(hprio), when)
    if prio:
        t.space.write(prio, t.abi.pack("I", hprio.value))
    return got


@syscall
def mq_getsetattr(t, mqdes: Fd, new: Ptr, old: Ptr):
    hold = ctypes.create_string_buffer(HOST_LAYOUTS.mq_attr.size) if old else None
    if old:
        t.space.check(old, t.layouts.mq_attr.size, PROT_WRITE)
    hnew = _attr_in(t, new)
    if hnew is not None:  # only O_NONBLOCK may change: the guest's bit in the host's
        fields = HOST_LAYOUTS.mq_attr.unpack(hnew.raw)
        fields["mq_flags"] = HOST_O_NONBLOCK if fields["mq_flags"] & t.abi.tables.OPEN["O_NONBLOCK"] else 0
        hnew = ctypes.create_string_buffer(HOST_LAYOUTS.mq_attr.pack(**fields), HOST_LAYOUTS.mq_attr.size)
    call("mq_getsetattr", mqdes, hnew, hold)
    if old:
        fields = HOST_LAYOUTS.mq_attr.unpack(hold.raw)
        fields["mq_flags"] = t.abi.tables.OPEN["O_NONBLOCK"] if fields["mq_flags"] & HOST_O_NONBLOCK else 0
        t.space.write(old, t.layouts.mq_attr.pack(**fields))

