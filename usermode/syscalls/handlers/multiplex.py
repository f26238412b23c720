"""The multiplexers older ABIs route whole families through: socketcall (i386,
s390x, m68k, mips o32, ppc32...: `socket(...)` is socketcall(SYS_SOCKET, args)
with the arguments as an array of longs in memory) and ipc (SysV IPC, the same
way). Each call is the registry's own handler for the direct call, with its
arguments decoded exactly as the direct call's are."""
import errno

from ...errors import GuestError
from ..argtypes import Arg, Int, Ptr, UInt
from ..registry import lookup, syscall

# socketcall's call numbers (linux/net.h SYS_*) -> the direct call and its argument count
SOCKETCALLS = {
    "SYS_SOCKET": ("socket", 3), "SYS_BIND": ("bind", 3), "SYS_CONNECT": ("connect", 3),
    "SYS_LISTEN": ("listen", 2), "SYS_ACCEPT": ("accept", 3), "SYS_GETSOCKNAME": ("getsockname", 3),
    "SYS_GETPEERNAME": ("getpeername", 3), "SYS_SOCKETPAIR": ("socketpair", 4), "SYS_SEND": ("send", 4),
    "SYS_RECV": ("recv", 4), "SYS_SENDTO": ("sendto", 6), "SYS_RECVFROM": ("recvfrom", 6),
    "SYS_SHUTDOWN": ("shutdown", 2), "SYS_SETSOCKOPT": ("setsockopt", 5), "SYS_GETSOCKOPT": ("getsockopt", 5),
    "SYS_SENDMSG": ("sendmsg", 3), "SYS_RECVMSG": ("recvmsg", 3), "SYS_ACCEPT4": ("accept4", 4),
    "SYS_RECVMMSG": ("recvmmsg", 5), "SYS_SENDMMSG": ("sendmmsg", 4),
}


def _callers(abi, table, key):
    """number -> (name, call(t, words)) for one multiplexer on this ABI, made once."""
    cache = abi.__dict__.setdefault("_multiplex", {})
    if key not in cache:
        from ..dispatch import general_call  # dispatch imports the handlers: import when first used
        out = {}
        for sys_name, (name, count) in table.items():
            number = abi.tables.MULTIPLEX.get(sys_name)
            decl = lookup(name, abi)
            if number is not None and decl is not None:
                out[number] = (name, count, general_call(decl, abi))
        cache[key] = out
    return cache[key]


@syscall
def socketcall(t, call: Int, args: Ptr):
    entry = _callers(t.abi, SOCKETCALLS, "socketcall").get(call)
    if entry is None:
        raise GuestError(errno.EINVAL)  # the kernel's answer for a call number it does not know
    _name, count, fn = entry
    words = list(t.abi.unpack(f"{count}W", t.space.read(args, t.abi.size(f"{count}W"))))
    return fn(t, words)


def _trace_socketcall(t, raw):
    """-strace shows socketcall(SYS_SOCKET, args) as the socket(...) it stands for
    (the name, declaration and argument words of the direct call), as strace does."""
    call, args = raw
    entry = _callers(t.abi, SOCKETCALLS, "socketcall").get(call & 0xFFFFFFFF)
    if entry is None:
        return None
    name, count, _fn = entry
    words = list(t.abi.unpack(f"{count}W", t.space.read(args, t.abi.size(f"{count}W"))))
    return name, lookup(name, t.abi), words


socketcall.trace_as = _trace_socketcall


# ipc's call numbers (linux/ipc.h) -> the direct call; the words each takes are
# ipc's own arguments rearranged as the kernel's ksys_ipc rearranges them
IPCCALLS = {
    "SEMOP": ("semtimedop", 4), "SEMTIMEDOP": ("semtimedop", 4), "SEMGET": ("semget", 3),
    "SEMCTL": ("semctl", 4), "MSGSND": ("msgsnd", 4), "MSGRCV": ("msgrcv", 5),
    "MSGGET": ("msgget", 2), "MSGCTL": ("msgctl", 3), "SHMAT": ("shmat", 3),
    "SHMDT": ("shmdt", 1), "SHMGET": ("shmget", 3), "SHMCTL": ("shmctl", 3),
}


@syscall
def ipc(t, call: UInt, first: Arg, second: Arg, third: Arg, ptr: Ptr, fifth: Arg):
    version, number = call >> 16, call & 0xFFFF
    if t.abi.has("ipc5"):  # s390_ipc: the generic one with `third` for the fifth argument
        if version:
            raise GuestError(errno.EINVAL)
        fifth = third
    entry = _callers(t.abi, IPCCALLS, "ipc").get(number)
    if entry is None:
        raise GuestError(errno.ENOSYS)  # as ksys_ipc for a call it does not know
    name, _, fn = entry
    abi = t.abi
    if name == "semtimedop":
        timeout = fifth if number == abi.tables.MULTIPLEX["SEMTIMEDOP"] else 0
        return fn(t, [first, ptr, second, timeout])
    if name == "semctl":
        if not ptr:
            raise GuestError(errno.EINVAL)
        arg = abi.unpack("W", t.space.read(ptr, abi.word_bytes))[0]  # union semun, by reference here
        return fn(t, [first, second, third, arg])
    if name == "msgrcv":
        if version == 0:  # struct ipc_kludge { void *msgp; long msgtyp; }
            if not ptr:
                raise GuestError(errno.EINVAL)
            ptr, fifth = abi.unpack("WW", t.space.read(ptr, abi.size("WW")))
        return fn(t, [first, ptr, second, fifth, third])
    if name == "shmat":
        if version == 1:
            raise GuestError(errno.EINVAL)  # the iBCS2 entry point, which Linux refuses
        address = fn(t, [first, ptr, second])
        t.space.write(third, abi.pack("W", address))  # the address comes back through *third
        return 0
    words = {"semget": [first, second, third], "msgsnd": [first, ptr, second, third],
             "msgget": [first, second], "msgctl": [first, second, ptr], "shmdt": [ptr],
             "shmget": [first, second, third], "shmctl": [first, second, ptr]}[name]
    return fn(t, words)
