"""Threads: clone and clone3 (new threads, or a fork), futex, robust lists, membarrier.

A new guest thread is a new Unicorn instance (its own CPU) on a new host
thread, sharing the process's address space; it gets every register of its
parent, then the kernel's changes (return value 0, the new stack and TLS).
It waits for the emulator lock, which its parent holds until it blocks or its
time slice ends. Its tid is its host thread's tid, so tgkill, PI futexes and
/proc/<pid>/task/<tid> mean the same on both sides.
"""
import errno
import sys
import threading

from ... import raw
from ...errors import GuestError
from ...memory import limits
from ...threads import private_futex
from ...threads.futex import host_address
from ...threads.private_futex import ANY, monotonic_deadline
from ..argtypes import Arg, Flags, Int, Ptr, Size, UInt
from ..registry import syscall
from .hostcall import call
from .hosttypes import PROT_WRITE, Timespec, address, read_timespec, valid_timespec

CloneFlags = Flags("PROC", "CLONE_", translate=False)


class FutexOp(Arg):
    def decoder(self, abi):
        return lambda t, raw: raw & 0xFFFFFFFF

    def show(self, t, raw, args):
        table = t.abi.tables.PROC
        op = raw & 0xFFFFFFFF
        names = {v: k for k, v in sorted(table.items(), reverse=True)
                 if k.startswith("FUTEX_") and not k.endswith("_PRIVATE") and not k.startswith("FUTEX_OP_") and k not in
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
    return _clone(t, flags, newsp, ptid, tls, ctid)


@syscall(name="clone", when="clone_tls_last")
def clone_tls_last(t, flags: CloneFlags, newsp: Ptr, ptid: Ptr, ctid: Ptr, tls: Ptr):
    return _clone(t, flags, newsp, ptid, tls, ctid)


@syscall(name="clone", when="clone_backwards2")
def clone_backwards2(t, newsp: Ptr, flags: CloneFlags, ptid: Ptr, ctid: Ptr, tls: Ptr):
    return _clone(t, flags, newsp, ptid, tls, ctid)


def _clone(t, flags, newsp, ptid, tls, ctid):
    flags &= 0xFFFFFFFF
    if flags & t.abi.tables.PROC["CLONE_PIDFD"] and flags & t.abi.tables.PROC["CLONE_PARENT_SETTID"]:
        raise GuestError(errno.EINVAL)  # clone() puts the pidfd where the parent's tid would go
    return do_clone(t, flags, newsp, ptid, tls, ctid, ptid)


CLONE_ARGS_SIZE = 88  # struct clone_args up to cgroup (CLONE_ARGS_SIZE_VER2)


@syscall
def clone3(t, args: Ptr, size: Size):
    if size < 64:
        raise GuestError(errno.EINVAL)
    if size > 4096:
        raise GuestError(errno.E2BIG)
    fields = t.abi.unpack("8Q", t.space.read(args, 64))
    flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls = fields
    if size > CLONE_ARGS_SIZE and any(t.space.read(args + CLONE_ARGS_SIZE, size - CLONE_ARGS_SIZE)):
        raise GuestError(errno.E2BIG)  # fields this kernel does not know, not zero: as the kernel
    if size > 64 and any(t.space.read(args + 64, min(size, 80) - 64)):
        raise GuestError(errno.EINVAL)  # set_tid: choosing pids is not for us
    if exit_signal & ~0xFF or (stack == 0) != (stack_size == 0):
        raise GuestError(errno.EINVAL)  # CSIGNAL; a stack is an address and a size, or neither
    sp = stack + stack_size if stack else 0
    return do_clone(t, flags | exit_signal, sp, parent_tid, tls, child_tid, pidfd)


@syscall
def fork(t):
    return do_clone(t, t.abi.tables.SIGNALS["SIGCHLD"], 0, 0, 0, 0)


@syscall
def vfork(t):
    c = t.abi.tables.PROC
    return do_clone(t, c["CLONE_VM"] | c["CLONE_VFORK"] | t.abi.tables.SIGNALS["SIGCHLD"], 0, 0, 0, 0)


def do_clone(t, flags, newsp, ptid, tls, ctid, pidfd_addr=None):
    c = t.abi.tables.PROC
    # copy_process's checks on the combination, in its order
    if flags & c["CLONE_FS"] and flags & (c["CLONE_NEWNS"] | c["CLONE_NEWUSER"]):
        raise GuestError(errno.EINVAL)
    if flags & c["CLONE_THREAD"] and not flags & c["CLONE_SIGHAND"]:
        raise GuestError(errno.EINVAL)
    if flags & c["CLONE_SIGHAND"] and not flags & c["CLONE_VM"]:
        raise GuestError(errno.EINVAL)
    if flags & c["CLONE_PIDFD"]:
        if flags & c["CLONE_THREAD"] or pidfd_addr is None:
            raise GuestError(errno.EINVAL)  # clone() would put it in ptid: not done here
        t.space.check(pidfd_addr, 4, PROT_WRITE)
    if flags & c["CLONE_THREAD"]:
        if not flags & c["CLONE_VM"] or not flags & c["CLONE_SIGHAND"]:
            raise GuestError(errno.EINVAL)
        return new_thread(t, flags, newsp, ptid, tls, ctid)
    if flags & c["CLONE_VM"] and not flags & c["CLONE_VFORK"]:
        t.process.warn("clone with CLONE_VM but neither CLONE_THREAD nor CLONE_VFORK is not "
                       "supported: returning ENOSYS")
        raise GuestError(errno.ENOSYS)
    from .spawn import fork
    pid = fork(t, flags, newsp, ptid, tls, ctid)
    if pid and flags & c["CLONE_PIDFD"]:  # the parent: a descriptor for the child
        t.space.write(pidfd_addr, t.abi.pack("i", call("pidfd_open", pid, 0)))
    return pid


def new_thread(t, flags, newsp, ptid, tls, ctid):
    c = t.abi.tables.PROC
    process, arch = t.process, t.arch
    if not process.spare_threads or process.debugger is not None:  # (reusing a spare CPU needs no more room)
        limits.check_thread_room(process)  # EAGAIN rather than Unicorn's exit when out of address space
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
    comm = getattr(t, "comm", None)  # PR_SET_NAME's name: a new task inherits it
    if comm is not None:
        child.comm = comm
    started = threading.Event()

    def host_main():
        child.tid = threading.get_native_id()
        child.signals.set_blocked(child.signals.blocked)
        started.set()
        child.run()
        if not process.threads:
            # the last guest thread ended with exit(): the process ends with its status.
            # The runner's main thread would see it, but a fork made on this thread has
            # no such thread, and its signal watcher would keep the process alive.
            process.exit_group(process.exit_status)

    child.start_gate = process.lock.reserve_first()
    try:
        threading.Thread(target=host_main, name="pyqemu-guest", daemon=True).start()
    except RuntimeError:  # "can't start new thread": no memory or no threads left, as clone's EAGAIN
        process.lock.cancel(child.start_gate)
        process.space.detach(child.uc)
        raise GuestError(errno.EAGAIN) from None
    t.yield_to_new = True  # the child runs first, from the parent's next safe point
    raw.emu_stop(t.handle)
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


class _FutexOps:
    """One ABI's futex command numbers, worked out once (they were two set
    comprehensions at every call)."""

    def __init__(self, abi):
        c = abi.tables.PROC
        self.flags = c["FUTEX_PRIVATE_FLAG"] | c["FUTEX_CLOCK_REALTIME"]
        self.realtime = c["FUTEX_CLOCK_REALTIME"]
        self.waits = frozenset(c[n] for n in _WAITS if n in c)
        self.val2 = frozenset(c[n] for n in _VAL2 if n in c)
        self.wait, self.wait_bitset = c["FUTEX_WAIT"], c.get("FUTEX_WAIT_BITSET")
        self.requeue_pi = c.get("FUTEX_WAIT_REQUEUE_PI")
        self.compares_val3 = frozenset(c[n] for n in ("FUTEX_CMP_REQUEUE", "FUTEX_CMP_REQUEUE_PI") if n in c)
        # the host kernel reads the futex word in its own byte order: the value it is
        # compared with goes in the same order (a big-endian guest's, turned around)
        self.swap = abi.endian != _HOST_ORDER
        # the calls whose private form waits in the process's own queues (private_futex.py)
        self.private = c["FUTEX_PRIVATE_FLAG"]
        self.wake, self.wake_bitset = c["FUTEX_WAKE"], c["FUTEX_WAKE_BITSET"]
        self.requeue, self.cmp_requeue, self.wake_op = c["FUTEX_REQUEUE"], c["FUTEX_CMP_REQUEUE"], c["FUTEX_WAKE_OP"]
        self.queued = frozenset((self.wait, self.wait_bitset, self.wake, self.wake_bitset, self.requeue,
                                 self.cmp_requeue, self.wake_op))


def _swap32(value):
    return int.from_bytes((value & 0xFFFFFFFF).to_bytes(4, "little"), "big")


_futex_ops = {}  # Abi -> _FutexOps


@syscall(twins={"futex_time64": {"tsl": "timespec64"}})
def futex(t, uaddr: Ptr, op: FutexOp, val: UInt, timeout: Ptr, uaddr2: Ptr, val3: UInt, *, tsl="timespec"):
    ops = _futex_ops.get(t.abi) or _futex_ops.setdefault(t.abi, _FutexOps(t.abi))
    cmd = op & ~ops.flags
    queues = t.process.futexes
    if queues is not None and op & ops.private and cmd in ops.queued:
        ts = read_timespec(t, timeout, tsl) if cmd == ops.wait or cmd == ops.wait_bitset else None
        if not valid_timespec(ts):
            raise GuestError(errno.EINVAL)  # the kernel's first check
        return _private(t, queues, ops, cmd, op, uaddr, val, ts, timeout, uaddr2, val3)
    haddr = host_address(t, uaddr)
    if cmd in ops.waits:
        ts = read_timespec(t, timeout, tsl)
        if ops.swap:
            val = _swap32(val)
        if _changed_already(t, ops, cmd, op, uaddr, val, ts, val3):
            raise GuestError(errno.EAGAIN)
        second = host_address(t, uaddr2) if uaddr2 and ops.requeue_pi == cmd else None
        with t.unlocked():
            return call("futex", haddr, op, val, address(ts), second, val3)
    if cmd in ops.val2:
        if ops.swap and cmd in ops.compares_val3:
            val3 = _swap32(val3)
        return call("futex", haddr, op, val, timeout, host_address(t, uaddr2), val3)
    return call("futex", haddr, op, val, None, None, val3)


def _private(t, queues, ops, cmd, op, uaddr, val, ts, val2, uaddr2, val3):
    """A private futex call on the process's own queues (threads/private_futex.py),
    with the kernel's checks in its order. val2 is the timeout argument, which the
    requeue and wake-op calls read as a second count."""
    if cmd == ops.wake or cmd == ops.wake_bitset:
        bitset = ANY if cmd == ops.wake else val3 & 0xFFFFFFFF
        if not bitset:
            raise GuestError(errno.EINVAL)
        host_address(t, uaddr)
        return queues.wake(uaddr, _int(val), bitset)
    if cmd == ops.wait or cmd == ops.wait_bitset:
        if cmd == ops.wait:
            if op & ops.realtime:
                raise GuestError(errno.ENOSYS)  # the realtime clock is for the bitset wait only
            bitset, realtime = ANY, False
            deadline = None if ts is None else monotonic_deadline(ts)
        else:
            bitset, realtime = val3 & 0xFFFFFFFF, bool(op & ops.realtime)
            if not bitset:
                raise GuestError(errno.EINVAL)
            deadline = None if ts is None else Timespec(ts.tv_sec, ts.tv_nsec)  # absolute already
        host_address(t, uaddr)
        if _word(t, uaddr) != val & 0xFFFFFFFF:
            raise GuestError(errno.EAGAIN)
        return queues.wait(t, uaddr, bitset, deadline, realtime)
    nr_wake, count2 = _int(val), _int(val2)
    host_address(t, uaddr2)
    if cmd == ops.wake_op:
        host_address(t, uaddr)
        t.space.check(uaddr2, 4, PROT_WRITE)
        second = private_futex.wake_op_update(t.space.mem, uaddr2, t.abi.endian, val3)
        woken = queues.wake(uaddr, nr_wake)
        return woken + queues.wake(uaddr2, count2) if second else woken
    if nr_wake < 0 or count2 < 0:
        raise GuestError(errno.EINVAL)
    host_address(t, uaddr)
    if cmd == ops.cmp_requeue and _word(t, uaddr) != val3 & 0xFFFFFFFF:
        raise GuestError(errno.EAGAIN)
    return queues.requeue(uaddr, uaddr2, nr_wake, count2)


def _int(value):
    """A 32-bit argument as the kernel's int."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def _word(t, uaddr):
    """The futex word as the guest sees it (its byte order)."""
    return int.from_bytes(t.space.mem[uaddr:uaddr + 4], t.abi.endian)


def _changed_already(t, ops, cmd, op, uaddr, val, ts, val3):
    """A FUTEX_WAIT whose word no longer holds val fails with EAGAIN at once: said
    here, without handing the emulator lock around (while this thread holds it no
    other guest thread of the process can change the word; another process's store
    could come just after the host's own check as well). Only where the host would
    get that far: no invalid timeout, no realtime clock for a plain wait, a bitset.
    The word is compared as the host kernel reads it (host byte order)."""
    if cmd == ops.wait:
        if op & ops.realtime:
            return False
    elif cmd != ops.wait_bitset or not val3 & 0xFFFFFFFF:
        return False
    if not valid_timespec(ts):
        return False
    return int.from_bytes(t.space.mem[uaddr:uaddr + 4], _HOST_ORDER) != val & 0xFFFFFFFF


_HOST_ORDER = sys.byteorder


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
    # the private commands need the process to have registered for them first (EPERM);
    # registration belongs to the address space, so a fork's child starts without it
    registered = t.process.__dict__.setdefault("membarrier_registered", set())
    name = next(k for k, v in m.items() if v == cmd)
    if name.startswith("MEMBARRIER_CMD_REGISTER_"):
        registered.add(name.replace("REGISTER_", ""))
    elif name.startswith("MEMBARRIER_CMD_PRIVATE_EXPEDITED") and name not in registered:
        raise GuestError(errno.EPERM)
    return 0
