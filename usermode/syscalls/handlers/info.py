"""Process and system information: sysinfo, getrusage, prctl (the common
options), scheduler affinity and yield, priorities, groups, real/effective/saved
ids, getcpu.

The guest process is the host process and guest threads are host threads, so
these are the host kernel's answers (raw calls), repacked for the guest's word
size and translated by name where a value is an ABI constant.
"""
import ctypes
import errno
import os

from ...errors import GuestError
from ..argtypes import Arg, Enum, Int, Ptr, UInt
from ..registry import syscall
from .fs import OVERFLOW_ID
from .hosttypes import (HOST, HOST_LAYOUTS, PROT_READ, PROT_WRITE, bits_from_guest, bits_to_guest,
                      call, host_bits, repack)


_MEMORY_FIELDS = ("totalram", "freeram", "sharedram", "bufferram", "totalswap", "freeswap",
                  "totalhigh", "freehigh")
PAGE_SIZE = 4096


@syscall
def sysinfo(t, info: Ptr):
    hlay, layout = HOST_LAYOUTS.sysinfo, t.layouts.sysinfo
    t.space.check(info, layout.size, PROT_WRITE)
    host = ctypes.create_string_buffer(hlay.size)
    call("sysinfo", host)
    values = hlay.unpack(host.raw)
    # The kernel's compat_sysinfo: when the total memory or swap is too big for a
    # 32-bit long, every size is given in pages (mem_unit 4096).
    top = layout.limits["totalram"][1]
    if values["totalram"] > top or values["totalswap"] > top:
        while values["mem_unit"] < PAGE_SIZE:
            values["mem_unit"] <<= 1
            for f in _MEMORY_FIELDS:
                values[f] >>= 1
    for f in _MEMORY_FIELDS:
        values[f] = min(values[f], top)
    t.space.write(info, layout.pack(**values))


Who = Enum("RESOURCE", "RUSAGE_")


@syscall
def getrusage(t, who: Who, usage: Ptr):
    hlay = HOST_LAYOUTS.rusage
    host = ctypes.create_string_buffer(hlay.size)
    call("getrusage", t.abi.const_map("RESOURCE", "RUSAGE_").to_host(who), host)
    t.space.write(usage, repack(hlay, t.layouts.rusage, host.raw))


# ---- prctl -------------------------------------------------------------------

TASK_COMM_LEN = 16

# Options passed to the host as they are: integer arguments only, about the
# process or the calling thread, which are the host's own.
_PRCTL_PASS = (
    "PR_GET_DUMPABLE", "PR_SET_DUMPABLE", "PR_SET_NO_NEW_PRIVS", "PR_GET_NO_NEW_PRIVS",
    "PR_SET_TIMERSLACK", "PR_GET_TIMERSLACK", "PR_GET_KEEPCAPS", "PR_SET_KEEPCAPS",
    "PR_SET_CHILD_SUBREAPER", "PR_CAPBSET_READ", "PR_GET_THP_DISABLE", "PR_SET_THP_DISABLE",
    "PR_GET_SECUREBITS", "PR_GET_SECCOMP", "PR_MCE_KILL_GET", "PR_GET_IO_FLUSHER",
    "PR_CAP_AMBIENT", "PR_CAPBSET_DROP", "PR_SET_SECUREBITS", "PR_GET_TIMING", "PR_SET_TIMING",
    "PR_MCE_KILL", "PR_SET_IO_FLUSHER",
)
# Options with a guest pointer or a translated value: handled below.
_PRCTL_OWN = ("PR_SET_NAME", "PR_GET_NAME", "PR_SET_PDEATHSIG", "PR_GET_PDEATHSIG",
              "PR_GET_CHILD_SUBREAPER", "PR_GET_TID_ADDRESS")


def _prctl_names(abi):
    cache = abi.__dict__.setdefault("_info_cache", {})
    if "prctl" not in cache:
        table = abi.tables.PROC
        cache["prctl"] = {table[n]: n for n in _PRCTL_PASS + _PRCTL_OWN if n in table and n in HOST.PROC}
    return cache["prctl"]


def _thread_name(t):
    name = getattr(t, "comm", None)
    if name is None:
        exe = t.process.exe or (t.process.argv[0] if t.process.argv else "")
        name = os.path.basename(os.fsencode(exe))[:TASK_COMM_LEN - 1]
    return name


@syscall
def prctl(t, option: Int, arg2: Arg, arg3: Arg, arg4: Arg, arg5: Arg):
    name = _prctl_names(t.abi).get(option)
    if name is None:
        key = f"prctl {option}"
        if key not in t.process.warned:
            t.process.warned.add(key)
            t.process.warn(f"unsupported prctl option {option}: returning EINVAL")
        raise GuestError(errno.EINVAL)
    host_option = HOST.PROC[name]
    if name == "PR_SET_NAME":
        avail = t.space.accessible(arg2, TASK_COMM_LEN, PROT_READ)
        if not avail:
            raise GuestError(errno.EFAULT)
        data = t.space.read(arg2, avail)
        if b"\0" not in data and avail < TASK_COMM_LEN:
            raise GuestError(errno.EFAULT)
        comm = data.split(b"\0", 1)[0][:TASK_COMM_LEN - 1]
        t.comm = comm
        # the host thread's name too, so /proc/<pid>/task/<tid>/comm and ps agree
        call("prctl", host_option, ctypes.create_string_buffer(comm, TASK_COMM_LEN), 0, 0, 0)
        return 0
    if name == "PR_GET_NAME":
        t.space.write(arg2, _thread_name(t).ljust(TASK_COMM_LEN, b"\0"))
        return 0
    if name == "PR_SET_PDEATHSIG":
        sig = arg2 & t.abi.word_mask
        if sig >= 0x10000:  # not a signal: let the host say EINVAL
            return call("prctl", host_option, sig, 0, 0, 0)
        return call("prctl", host_option, t.abi.signals.to_host(sig) if sig else 0, 0, 0, 0)
    if name in ("PR_GET_PDEATHSIG", "PR_GET_CHILD_SUBREAPER"):
        value = ctypes.c_int()
        call("prctl", host_option, ctypes.byref(value), 0, 0, 0)
        v = value.value
        if name == "PR_GET_PDEATHSIG" and v:
            v = t.abi.signals.to_guest(v)
        t.space.write(arg2, t.abi.pack("i", v))
        return 0
    if name == "PR_GET_TID_ADDRESS":
        t.space.write(arg2, t.abi.pack_words([t.clear_child_tid]))
        return 0
    return call("prctl", host_option, arg2, arg3, arg4, arg5)


# ---- scheduler ---------------------------------------------------------------

_CPUMASK_ROOM = 4096  # bytes: 32768 CPUs, four times the kernel's largest NR_CPUS


def _cpumask_size():
    """The host kernel's cpumask_size(): what sched_getaffinity fills, at most."""
    global _CPUMASK_SIZE
    if _CPUMASK_SIZE is None:
        _CPUMASK_SIZE = call("sched_getaffinity", 0, _CPUMASK_ROOM, ctypes.create_string_buffer(_CPUMASK_ROOM))
    return _CPUMASK_SIZE


_CPUMASK_SIZE = None


@syscall
def sched_getaffinity(t, pid: Int, size: UInt, mask: Ptr):
    # size is the kernel's unsigned int; only the bytes the host fills (cpumask_size)
    # are copied, however large the guest says its buffer is
    wb = t.abi.word_bytes
    if size % wb:
        raise GuestError(errno.EINVAL)
    hsize = min((size + 7) // 8 * 8, _cpumask_size())
    host = ctypes.create_string_buffer(max(hsize, 8))
    got = call("sched_getaffinity", pid, hsize, host)  # EINVAL when size is too small for the CPUs
    got = min(got, size)
    value = int.from_bytes(host.raw[:got], "little")
    t.space.write(mask, bits_to_guest(t.abi, value, got))
    return got


@syscall
def sched_setaffinity(t, pid: Int, size: UInt, mask: Ptr):
    # the kernel reads min(size, cpumask_size) bytes (a shorter mask is zero-extended)
    size = min(size, _cpumask_size())
    value = bits_from_guest(t.abi, t.space.read(mask, size))
    host = host_bits(value, 8 * _cpumask_size())
    call("sched_setaffinity", pid, len(host), host)


@syscall
def nice(t, inc: Int):
    """The old nice: the new nice value is not returned (0 on success), as the kernel's."""
    current = call("getpriority", 0, 0)  # PRIO_PROCESS, self: 20 - nice
    call("setpriority", 0, 0, max(-20, min(19, 20 - current + inc)))
    return 0


@syscall
def sched_yield(t):
    with t.unlocked():
        os.sched_yield()


Which = Enum("RESOURCE", "PRIO_")


@syscall
def getpriority(t, which: Which, who: Int):
    # the raw call's answer, 20 - nice (1..40), as the guest's glibc expects
    return call("getpriority", t.abi.const_map("RESOURCE", "PRIO_").to_host(which), who)


@syscall
def setpriority(t, which: Which, who: Int, prio: Int):
    call("setpriority", t.abi.const_map("RESOURCE", "PRIO_").to_host(which), who, prio)


# ---- credentials -------------------------------------------------------------

NGROUPS_MAX = 65536  # the kernel's

# The id calls come in two widths where an ABI kept the 16-bit ones (the uid16 quirk:
# arm, i386, m68k): getgroups and getgroups32... The plain names are the 16-bit ones
# there; elsewhere they are 32-bit like the *32 twins. A 16-bit call reports an id it
# cannot hold as the overflow id (fs.OVERFLOW_ID), as the kernel's high2lowuid.
_ID_CODE = {32: "I", 16: "H"}


def _id16(value, bits):
    return value if bits == 32 or value <= 0xFFFF else OVERFLOW_ID


@syscall(twins={"getgroups32": {}})
def getgroups(t, size: Int, groups: Ptr, *, bits=32):
    if size < 0:
        raise GuestError(errno.EINVAL)
    size = min(size, NGROUPS_MAX)  # no process has more: a larger buffer is never filled
    host = (ctypes.c_uint32 * max(size, 1))()
    n = call("getgroups", size, host if size else None)
    if size and n:
        t.space.write(groups, t.abi.pack(f"{n}{_ID_CODE[bits]}", *[_id16(g, bits) for g in host[:n]]))
    return n


@syscall(twins={"setgroups32": {}})
def setgroups(t, size: Int, groups: Ptr, *, bits=32):
    if size < 0 or size > NGROUPS_MAX:
        raise GuestError(errno.EINVAL)
    code = _ID_CODE[bits]
    values = t.abi.unpack(f"{size}{code}", t.space.read(groups, t.abi.size(f"{size}{code}"))) if size else ()
    host = (ctypes.c_uint32 * max(size, 1))(*values)
    # per thread, as the kernel's: the guest's glibc makes every thread call it
    call("setgroups", size, host)


def _write_ids(t, ptrs, ids, bits):
    for ptr, value in zip(ptrs, ids):
        t.space.write(ptr, t.abi.pack(_ID_CODE[bits], _id16(value, bits)))


@syscall(twins={"getresuid32": {}})
def getresuid(t, ruid: Ptr, euid: Ptr, suid: Ptr, *, bits=32):
    _write_ids(t, (ruid, euid, suid), os.getresuid(), bits)


@syscall(twins={"getresgid32": {}})
def getresgid(t, rgid: Ptr, egid: Ptr, sgid: Ptr, *, bits=32):
    _write_ids(t, (rgid, egid, sgid), os.getresgid(), bits)


for _fn in (getgroups, setgroups, getresuid, getresgid):
    syscall(_fn, name=_fn.__name__, when="uid16", bound={"bits": 16})


@syscall
def getcpu(t, cpu: Ptr, node: Ptr, cache: Ptr):
    hcpu, hnode = ctypes.c_uint(), ctypes.c_uint()
    call("getcpu", ctypes.byref(hcpu), ctypes.byref(hnode), None)
    if cpu:
        t.space.write(cpu, t.abi.pack("I", hcpu.value))
    if node:
        t.space.write(node, t.abi.pack("I", hnode.value))

