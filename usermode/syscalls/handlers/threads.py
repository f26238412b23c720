"""Threads: clone and clone3 (new threads, or a fork), futex, robust lists, membarrier.

A new guest thread is a new Unicorn instance (its own CPU) on a new host
thread, sharing the process's address space; it gets every register of its
parent, then the kernel's changes (return value 0, the new stack and TLS).
It waits for the emulator lock, which its parent holds until it blocks or its
time slice ends. Its tid is its host thread's tid, so tgkill, PI futexes and
/proc/<pid>/task/<tid> mean the same on both sides.
"""
import errno
import threading

from ...errors import GuestError
from ...threads.futex import host_address
from ..argtypes import Arg, Flags, Int, Ptr, Size, UInt
from ..registry import syscall
from .hostcall import call
from .hosttypes import address, read_timespec

CloneFlags = Flags("PROC", "CLONE_", translate=False)


class FutexOp(Arg):
    def decoder(self, abi):
        return lambda t, raw: raw & 0xFFFFFFFF

    def show(self, t, raw, args):
        table = t.abi.tables.PROC
        op = raw & 0xFFFFFFFF
        names = {v: k for k, v in sorted(table.items(), reverse=True)
                 if k.startswith("FUTEX_") and not k.endswith("_PRIVATE") and k not in
                 ("FUTEX_PRIVATE_FLAG", "FUTEX_CLOCK_REALTIME", "FUTEX_CMD_MASK") and v < 16}
        text = names.get(op & 0x7F, str(op & 0x7F))
        if op & table["FUTEX_PRIVATE_FLAG"]:
            text += "|FUTEX_PRIVATE_FLAG"
        if op & table["FUTEX_CLOCK_REALTIME"]:
            text += "|FUTEX_CLOCK_REALTIME"
        return text


def _const(t, name):
    return t.abi.tables.PROC[name]


# ---- clone ----------------------------------------------------------------------

# The order of most ABIs (riscv, aarch64, arm, mips, ppc: the kernel's
# CONFIG_CLONE_BACKWARDS), and the two others, chosen by the ABI's quirk.
@syscall
def clone(t, flags: CloneFlags, newsp: Ptr, ptid: Ptr, tls: Ptr, ctid: Ptr):
    return do_clone(t, flags & 0xFFFFFFFF, newsp, ptid, tls, ctid)


@syscall(name="clone", when="clone_tls_last")
def clone_tls_last(t, flags: CloneFlags, newsp: Ptr, ptid: Ptr, ctid: Ptr, tls: Ptr):
    return do_clone(t, flags & 0xFFFFFFFF, newsp, ptid, tls, ctid)


@syscall(name="clone", when="clone_backwards2")
def clone_backwards2(t, newsp: Ptr, flags: CloneFlags, ptid: Ptr, ctid: Ptr, tls: Ptr):
    return do_clone(t, flags & 0xFFFFFFFF, newsp, ptid, tls, ctid)


@syscall
def clone3(t, args: Ptr, size: Size):
    if size < 64 or size > 4096:
        raise GuestError(errno.EINVAL)
    fields = t.abi.unpack("8Q", t.space.read(args, 64))
    flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls = fields
    if size > 64 and any(t.space.read(args + 64, min(size, 88) - 64)):
        raise GuestError(errno.EINVAL)  # set_tid: choosing pids is not for us
    if flags & _const(t, "CLONE_PIDFD"):
        raise GuestError(errno.EINVAL)
    sp = stack + stack_size if stack else 0
    return do_clone(t, flags | (exit_signal & 0xFF), sp, parent_tid, tls, child_tid)


@syscall
def fork(t):
    return do_clone(t, t.abi.tables.SIGNALS["SIGCHLD"], 0, 0, 0, 0)


@syscall
def vfork(t):
    c = t.abi.tables.PROC
    return do_clone(t, c["CLONE_VM"] | c["CLONE_VFORK"] | t.abi.tables.SIGNALS["SIGCHLD"], 0, 0, 0, 0)


def do_clone(t, flags, newsp, ptid, tls, ctid):
    c = t.abi.tables.PROC
    if flags & c["CLONE_THREAD"]:
        if not flags & c["CLONE_VM"] or not flags & c["CLONE_SIGHAND"]:
            raise GuestError(errno.EINVAL)
        return new_thread(t, flags, newsp, ptid, tls, ctid)
    if flags & c["CLONE_VM"] and not flags & c["CLONE_VFORK"]:
        t.process.warn("clone with CLONE_VM but neither CLONE_THREAD nor CLONE_VFORK is not "
                       "supported: returning ENOSYS")
        raise GuestError(errno.ENOSYS)
    from .spawn import fork
    return fork(t, flags, newsp, ptid, tls, ctid)


def new_thread(t, flags, newsp, ptid, tls, ctid):
    c = t.abi.tables.PROC
    process, arch = t.process, t.arch
    process.enable_async_stops()  # before the child's CPU exists, so it is born with its switch
    child = process.new_thread(parent=t)
    child.copy_cpu_from(t)
    child.uc.reg_write(arch.CONVENTION.result, 0)
    if arch.CONVENTION.flag_register is not None:
        child.uc.reg_write(arch.CONVENTION.flag_register, 0)  # MIPS' a3: success
    if arch.CONVENTION.error == "hook":
        arch.CONVENTION.error_hook(child.uc, False)  # PowerPC's CR0.SO: success
    if newsp:
        child.uc.reg_write(arch.REG_SP, newsp)
    if flags & c["CLONE_SETTLS"]:
        arch.set_thread_pointer(child.uc, child, tls)
    if flags & c["CLONE_CHILD_CLEARTID"]:
        child.clear_child_tid = ctid
    started = threading.Event()

    def host_main():
        child.tid = threading.get_native_id()
        child.signals.set_blocked(child.signals.blocked)
        started.set()
        child.run()

    threading.Thread(target=host_main, name="pyqemu-guest", daemon=True).start()
    started.wait()
    process.add_thread(child)
    tid = child.tid
    for flag, address in (("CLONE_PARENT_SETTID", ptid), ("CLONE_CHILD_SETTID", ctid)):
        if flags & c[flag]:
            try:
                t.space.write(address, t.abi.pack("i", tid))
            except GuestError:
                pass  # as the kernel: the thread exists, the store is best effort
    return tid


# ---- futex ----------------------------------------------------------------------

_WAITS = ("FUTEX_WAIT", "FUTEX_WAIT_BITSET", "FUTEX_LOCK_PI", "FUTEX_LOCK_PI2", "FUTEX_WAIT_REQUEUE_PI")
_VAL2 = ("FUTEX_REQUEUE", "FUTEX_CMP_REQUEUE", "FUTEX_WAKE_OP", "FUTEX_CMP_REQUEUE_PI")


@syscall(twins={"futex_time64": {"tsl": "timespec64"}})
def futex(t, uaddr: Ptr, op: FutexOp, val: UInt, timeout: Ptr, uaddr2: Ptr, val3: UInt, *, tsl="timespec"):
    c = t.abi.tables.PROC
    cmd = op & ~(c["FUTEX_PRIVATE_FLAG"] | c["FUTEX_CLOCK_REALTIME"])
    haddr = host_address(t, uaddr)
    names = {c[n] for n in _WAITS if n in c}
    if cmd in names:
        ts = read_timespec(t, timeout, tsl)
        second = host_address(t, uaddr2) if uaddr2 and c.get("FUTEX_WAIT_REQUEUE_PI") == cmd else None
        with t.unlocked():
            return call("futex", haddr, op, val, address(ts), second, val3)
    if cmd in {c[n] for n in _VAL2 if n in c}:
        return call("futex", haddr, op, val, timeout, host_address(t, uaddr2), val3)
    return call("futex", haddr, op, val, None, None, val3)


@syscall
def get_robust_list(t, pid: Int, head_ptr: Ptr, len_ptr: Ptr):
    target = t if pid in (0, t.tid) else t.process.threads.get(pid)
    if target is None:
        raise GuestError(errno.ESRCH)
    t.space.write(head_ptr, t.abi.pack("W", target.robust_list))
    t.space.write(len_ptr, t.abi.pack("W", 3 * t.abi.word_bytes))


# ---- membarrier -------------------------------------------------------------------

@syscall
def membarrier(t, cmd: Int, flags: UInt, cpu_id: Int):
    # Every command's promise holds already: one guest thread runs at a time, and
    # handing the emulator lock over is a full barrier between them.
    m = t.abi.tables.MEMBARRIER
    if flags:
        raise GuestError(errno.EINVAL)
    if cmd == m["MEMBARRIER_CMD_QUERY"]:
        return sum(v for k, v in m.items() if k != "MEMBARRIER_CMD_QUERY")
    if cmd not in m.values():
        raise GuestError(errno.EINVAL)
    return 0
