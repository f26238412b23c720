"""System V IPC: message queues, semaphores, shared memory.

The objects are the host kernel's (so other processes, emulated or not, share
them), reached by the host's calls with the guest's structs repacked: mtype is
a long of the guest's size, msqid_ds/semid_ds/shmid_ds and the *info structs
are declared in structs.py. The IPC_64 bit some libcs add to a ctl command is
the host's default and is dropped. shmat attaches the host segment inside the
guest's address space (guest address A at host base+A, like any mapping), so
two processes that attach it share it, and shmdt or munmap detaches it.
"""
import ctypes
import errno

from ...errors import GuestError
from ...memory.space import PAGE, PROT_EXEC, PROT_READ, PROT_WRITE, page_ceil
from ..argtypes import Int, Long, Ptr, Size
from ..registry import syscall
from ...structs import HOST_X86_64_SEMID_DS, Layout
from .hostcall import HOST_ABI, HOST_LAYOUTS, call
from .hosttypes import read_timespec

IPC_64 = 0x100
IPC_RMID, IPC_SET, IPC_STAT, IPC_INFO = 0, 1, 2, 3
MSG_STAT, MSG_INFO, MSG_STAT_ANY = 11, 12, 13
SEM_STAT, SEM_INFO, SEM_STAT_ANY = 18, 19, 20
GETPID, GETVAL, GETALL, GETNCNT, GETZCNT, SETVAL, SETALL = 11, 12, 13, 14, 15, 16, 17
SHM_STAT, SHM_INFO, SHM_STAT_ANY, SHM_LOCK, SHM_UNLOCK = 13, 14, 15, 11, 12
SHM_RDONLY, SHM_RND, SHM_REMAP, SHM_EXEC = 0o10000, 0o20000, 0o40000, 0o100000
MSGMAX_BUFFER = 1 << 20


# host structs that are not the generic ones (x86-64's semid64_ds)
HOST_ONLY = {"semid_ds": Layout(HOST_ABI, "semid_ds", HOST_X86_64_SEMID_DS)}


def _host_layout(name):
    return HOST_ONLY.get(name) or getattr(HOST_LAYOUTS, name)


def _ctl(t, name, ident, cmd, buf, layouts, extra=()):
    """The *ctl calls' struct traffic: layouts maps a command to (struct name, direction)."""
    old_layout = not cmd & IPC_64
    cmd &= ~IPC_64
    struct_name, direction = layouts.get(cmd, (None, None))
    if struct_name is None:
        return call(name, ident, *extra, cmd, buf)
    if old_layout and t.abi.bits == 32 and struct_name.endswith("_ds"):
        # the pre-2.4 structs with 16-bit ids, which no glibc of these ABIs asks for
        t.process.warn(f"{name} without IPC_64 (the old 16-bit id structs): EINVAL")
        raise GuestError(errno.EINVAL)
    guest, host = getattr(t.layouts, struct_name), _host_layout(struct_name)
    hbuf = ctypes.create_string_buffer(host.size)
    if direction == "in":
        values = _join_high_words(guest.unpack(t.space.read(buf, guest.size)))
        hbuf = ctypes.create_string_buffer(host.pack(**values), host.size)
    else:
        t.space.check(buf, guest.size, PROT_WRITE)
    got = call(name, ident, *extra, cmd, hbuf)
    if direction == "out":
        values = host.unpack(hbuf.raw)
        if t.abi.bits == 32:
            values = _compat_values(values)
        t.space.write(buf, guest.pack(**_split_high_words(guest, values)))
    return got


def _compat_values(values):
    """What a 64-bit kernel gives a 32-bit process: shmmax held to INT_MAX, the other
    counts (shmall, shm_info's pages) cut to 32 bits (ipc/shm.c copy_compat_shminfo_to_user)."""
    if values.get("shmmax", 0) > 0x7FFFFFFF:
        values["shmmax"] = 0x7FFFFFFF
    return {k: v & 0xFFFFFFFF if isinstance(v, int) and v > 0xFFFFFFFF else v for k, v in values.items()}


def _join_high_words(values):
    """A 32-bit ABI's time and its _high word (structs._ipc_times) as one value."""
    for name in [n for n in values if n.endswith("_high")]:
        values[name[:-5]] |= values.pop(name) << 32
    return values


def _split_high_words(guest, values):
    for name in guest.fields:
        if name.endswith("_high"):
            low = name[:-5]
            values[low], values[name] = values[low] & 0xFFFFFFFF, (values[low] >> 32) & 0xFFFFFFFF
    return values


# ---- message queues -----------------------------------------------------------------------

@syscall
def msgget(t, key: Int, flags: Int):
    return call("msgget", key, flags)


def _long(t):
    return "q" if t.abi.word_bytes == 8 else "i"


@syscall
def msgsnd(t, msqid: Int, msgp: Ptr, size: Size, flags: Int):
    if size > MSGMAX_BUFFER:
        raise GuestError(errno.EINVAL)
    wb = t.abi.word_bytes
    mtype = t.abi.unpack(_long(t), t.space.read(msgp, wb))[0]
    text = t.space.read(msgp + wb, size)
    host = ctypes.create_string_buffer(ctypes.c_long(mtype).value.to_bytes(8, "little", signed=True) + text,
                                       8 + size)
    with t.unlocked():
        call("msgsnd", msqid, host, size, flags)


@syscall
def msgrcv(t, msqid: Int, msgp: Ptr, size: Size, msgtyp: Long, flags: Int):
    if size > MSGMAX_BUFFER:
        raise GuestError(errno.EINVAL)
    host = ctypes.create_string_buffer(8 + size)
    with t.unlocked():
        got = call("msgrcv", msqid, host, size, msgtyp, flags)
    # the buffer is written only now, as the kernel's: an empty queue is ENOMSG whatever
    # msgp is, and a message taken for a buffer that faults is lost with EFAULT
    mtype = int.from_bytes(host.raw[:8], "little", signed=True)
    t.space.write(msgp, t.abi.pack(_long(t), mtype) + host.raw[8:8 + got])
    return got


_MSG_STRUCTS = {IPC_STAT: ("msqid_ds", "out"), MSG_STAT: ("msqid_ds", "out"), MSG_STAT_ANY: ("msqid_ds", "out"),
                IPC_SET: ("msqid_ds", "in"), IPC_INFO: ("msginfo", "out"), MSG_INFO: ("msginfo", "out")}


@syscall
def msgctl(t, msqid: Int, cmd: Int, buf: Ptr):
    return _ctl(t, "msgctl", msqid, cmd, buf, _MSG_STRUCTS)


# ---- semaphores ---------------------------------------------------------------------------

@syscall
def semget(t, key: Int, nsems: Int, flags: Int):
    return call("semget", key, nsems, flags)


SEMOPM = 500  # the kernel's default limit; more is E2BIG


def _sembufs(t, sops, nsops):
    if nsops <= 0:
        raise GuestError(errno.EINVAL)
    if nsops > SEMOPM:
        raise GuestError(errno.E2BIG)
    guest, host = t.layouts.sembuf, HOST_LAYOUTS.sembuf
    data = t.space.read(sops, guest.size * nsops)
    out = b"".join(host.pack(**guest.unpack(data[i * guest.size:])) for i in range(nsops))
    return ctypes.create_string_buffer(out, len(out))


@syscall
def semop(t, semid: Int, sops: Ptr, nsops: Size):
    bufs = _sembufs(t, sops, nsops)
    with t.unlocked():
        call("semtimedop", semid, bufs, nsops, None)


@syscall(twins={"semtimedop_time64": {"tsl": "timespec64"}})
def semtimedop(t, semid: Int, sops: Ptr, nsops: Size, timeout: Ptr, *, tsl="timespec"):
    bufs = _sembufs(t, sops, nsops)
    ts = read_timespec(t, timeout, tsl)
    with t.unlocked():
        call("semtimedop", semid, bufs, nsops, ctypes.byref(ts) if ts is not None else None)


_SEM_STRUCTS = {IPC_STAT: ("semid_ds", "out"), SEM_STAT: ("semid_ds", "out"), SEM_STAT_ANY: ("semid_ds", "out"),
                IPC_SET: ("semid_ds", "in"), IPC_INFO: ("seminfo", "out"), SEM_INFO: ("seminfo", "out")}


@syscall
def semctl(t, semid: Int, semnum: Int, cmd: Int, arg: Ptr):
    if cmd & ~IPC_64 == SETVAL:  # union semun by value: its int is the word's first 4 bytes in memory
        word = arg >> 32 if t.abi.endian == "big" and t.abi.word_bytes == 8 else arg
        return call("semctl", semid, semnum, SETVAL, ctypes.c_int32(word & 0xFFFFFFFF).value)
    if cmd & ~IPC_64 in (GETALL, SETALL):
        cmd &= ~IPC_64
        info = ctypes.create_string_buffer(_host_layout("semid_ds").size)
        call("semctl", semid, 0, IPC_STAT, info)
        n = _host_layout("semid_ds").unpack(info.raw)["sem_nsems"]
        values = (ctypes.c_ushort * max(n, 1))()
        if cmd == SETALL:
            values[:n] = t.abi.unpack(f"{n}H", t.space.read(arg, 2 * n))
            return call("semctl", semid, semnum, cmd, values)
        t.space.check(arg, 2 * n, PROT_WRITE)
        got = call("semctl", semid, semnum, cmd, values)
        t.space.write(arg, t.abi.pack(f"{n}H", *values[:n]))
        return got
    return _ctl(t, "semctl", semid, cmd, arg, _SEM_STRUCTS, extra=(semnum,))


# ---- shared memory ------------------------------------------------------------------------

@syscall
def shmget(t, key: Int, size: Size, flags: Int):
    return call("shmget", key, size, flags)


def _segments(process):
    """Guest address -> length of each attached segment (shmdt's bookkeeping)."""
    return process.__dict__.setdefault("shm_segments", {})


@syscall
def shmat(t, shmid: Int, addr: Ptr, flags: Int):
    info = ctypes.create_string_buffer(HOST_LAYOUTS.shmid_ds.size)
    call("shmctl", shmid, IPC_STAT, info)  # EINVAL/EIDRM for a bad id, EACCES without read right
    length = page_ceil(HOST_LAYOUTS.shmid_ds.unpack(info.raw)["shm_segsz"])
    space = t.space
    shmlba = t.arch.SHMLBA
    if addr:
        if addr % shmlba:
            if not flags & SHM_RND:
                raise GuestError(errno.EINVAL)
            addr -= addr % shmlba
        if addr + length > space.user_top:
            raise GuestError(errno.EINVAL)
        if not flags & SHM_REMAP and space.overlapping(addr, addr + length):
            raise GuestError(errno.EINVAL)
    elif flags & SHM_REMAP:
        raise GuestError(errno.EINVAL)
    else:
        addr = space.find_free(length + shmlba - PAGE)
        addr += -addr % shmlba
    host_flags = SHM_REMAP | (flags & (SHM_RDONLY | SHM_EXEC))
    prot = PROT_READ | (0 if flags & SHM_RDONLY else PROT_WRITE) | (PROT_EXEC if flags & SHM_EXEC else 0)

    def attach(haddr, hlen):
        got = call("shmat", shmid, haddr, host_flags)
        if got != haddr:  # never: SHM_REMAP at a page-aligned address is exact
            raise GuestError(errno.EINVAL)
    space.map(addr, length, prot, kind="shared", name=f"/SYSV{shmid:08x} (deleted)", host_map=attach)
    _segments(t.process)[addr] = length
    return addr


@syscall
def shmdt(t, addr: Ptr):
    length = _segments(t.process).pop(addr, None)
    if length is None:
        raise GuestError(errno.EINVAL)
    t.space.unmap(addr, length)


_SHM_STRUCTS = {IPC_STAT: ("shmid_ds", "out"), SHM_STAT: ("shmid_ds", "out"), SHM_STAT_ANY: ("shmid_ds", "out"),
                IPC_SET: ("shmid_ds", "in"), IPC_INFO: ("shminfo", "out"), SHM_INFO: ("shm_info", "out")}


@syscall
def shmctl(t, shmid: Int, cmd: Int, buf: Ptr):
    return _ctl(t, "shmctl", shmid, cmd, buf, _SHM_STRUCTS)


