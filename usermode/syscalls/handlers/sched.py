"""Scheduling: policies and parameters, sched_attr, round-robin interval, I/O
priorities, personality.

Guest threads are host threads, so these are the host's answers for the same
pid or tid (raw calls); policies (SCHED_*) and I/O priority classes are the
same numbers on every Linux ABI. Structs are repacked for the guest's byte
order and word size.
"""
import ctypes
import errno

from ...errors import GuestError
from ..argtypes import Int, Ptr, UInt
from ..registry import syscall
from .hostcall import HOST_LAYOUTS, call
from .hosttypes import Timespec, write_timespec

SCHED_ATTR_SIZE_VER0 = 48
PAGE = 4096


@syscall
def sched_getscheduler(t, pid: Int):
    return call("sched_getscheduler", pid)


def _host_param(t, param):
    if not param:
        raise GuestError(errno.EINVAL)  # the kernel's answer to a NULL param
    fields = t.layouts.sched_param.unpack(t.space.read(param, t.layouts.sched_param.size))
    return ctypes.create_string_buffer(HOST_LAYOUTS.sched_param.pack(**fields), HOST_LAYOUTS.sched_param.size)


@syscall
def sched_setscheduler(t, pid: Int, policy: Int, param: Ptr):
    if pid < 0:
        raise GuestError(errno.EINVAL)
    call("sched_setscheduler", pid, policy, _host_param(t, param))


@syscall
def sched_setparam(t, pid: Int, param: Ptr):
    if pid < 0:
        raise GuestError(errno.EINVAL)
    call("sched_setparam", pid, _host_param(t, param))


@syscall
def sched_getparam(t, pid: Int, param: Ptr):
    if not param or pid < 0:
        raise GuestError(errno.EINVAL)
    host = ctypes.create_string_buffer(HOST_LAYOUTS.sched_param.size)
    call("sched_getparam", pid, host)
    t.space.write(param, t.layouts.sched_param.pack(**HOST_LAYOUTS.sched_param.unpack(host.raw)))


@syscall
def sched_get_priority_max(t, policy: Int):
    return call("sched_get_priority_max", policy)


@syscall
def sched_get_priority_min(t, policy: Int):
    return call("sched_get_priority_min", policy)


@syscall(twins={"sched_rr_get_interval_time64": {"tsl": "timespec64"}})
def sched_rr_get_interval(t, pid: Int, interval: Ptr, *, tsl="timespec"):
    ts = Timespec()
    call("sched_rr_get_interval", pid, ctypes.byref(ts))
    write_timespec(t, interval, ts, tsl)


def _attr_to_host(t, data):
    """The guest's struct sched_attr (its first len(data) bytes) in the host's layout;
    bytes past the struct we know go on as they are (the kernel wants them zero)."""
    guest, host = t.layouts.sched_attr, HOST_LAYOUTS.sched_attr
    known = host.pack(**guest.unpack(data[:guest.size].ljust(guest.size, b"\0")))
    return known[:min(len(data), host.size)] + data[guest.size:]


@syscall
def sched_setattr(t, pid: Int, attr: Ptr, flags: UInt):
    if not attr or pid < 0:
        raise GuestError(errno.EINVAL)
    size = t.layouts.sched_attr.unpack(t.space.read(attr, 4).ljust(t.layouts.sched_attr.size, b"\0"))["size"]
    length = size or SCHED_ATTR_SIZE_VER0
    if length > PAGE:
        length = PAGE  # the kernel only checks the tail up to a page for zeros
    data = t.space.read(attr, max(length, 4)) if length >= SCHED_ATTR_SIZE_VER0 else t.space.read(attr, 4)
    host = _attr_to_host(t, data)
    buf = ctypes.create_string_buffer(host, max(len(host), 4))
    try:
        call("sched_setattr", pid, buf, flags)
    except OSError as e:
        if e.errno == errno.E2BIG:  # the kernel writes the size it wants into attr->size
            t.space.write(attr, t.layouts.sched_attr.pack(
                size=HOST_LAYOUTS.sched_attr.unpack(buf.raw.ljust(HOST_LAYOUTS.sched_attr.size, b"\0"))["size"]
            )[:4])
        raise


@syscall
def sched_getattr(t, pid: Int, attr: Ptr, size: UInt, flags: UInt):
    if not attr or pid < 0 or size > PAGE or size < SCHED_ATTR_SIZE_VER0 or flags:
        raise GuestError(errno.EINVAL)
    host = ctypes.create_string_buffer(max(size, HOST_LAYOUTS.sched_attr.size))
    call("sched_getattr", pid, host, size, flags)
    fields = HOST_LAYOUTS.sched_attr.unpack(host.raw)
    t.space.write(attr, t.layouts.sched_attr.pack(**fields)[:min(size, fields["size"])])


# ---- I/O priorities and personality ------------------------------------------------------

@syscall
def ioprio_get(t, which: Int, who: Int):
    return call("ioprio_get", which, who)


@syscall
def ioprio_set(t, which: Int, who: Int, ioprio: Int):
    call("ioprio_set", which, who, ioprio)


@syscall
def personality(t, persona: UInt):
    # the host's own persona is the guest's: flags such as ADDR_NO_RANDOMIZE follow
    # it through execve, and 0xffffffff only asks; qemu-user passes it on the same way
    return call("personality", persona & 0xFFFFFFFF)
