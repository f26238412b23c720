"""Syscall dispatch: a table indexed by the guest's syscall number.

Each entry is a small function made once per (syscall, arch), on the first
call, that reads just the argument registers its handler takes, decodes only
those whose type needs it, and calls the handler: no per-call introspection.
Registers are read and written in place in the CPU state (usermode/regfile.py),
or where that is not possible in a shadow array filled by one batched read.
Errors come back as GuestError or OSError with a host errno and are translated
to the guest's errno here, once.
"""
import errno as host_errno
import os

from .. import raw, regfile
from ..errors import GuestError
from . import handlers  # noqa: F401  (fills the registry)
from .argtypes import RetPtr
from .registry import ALIASES, KEEP_REGISTERS, REGISTRY


def _identity(t, raw):
    return raw


# Call stubs by arity: r is the register array, A..F the indices of the
# argument registers in it; without decoders (the common case) and with them.
# Closures instead of generated source, so start-up compiles nothing.
_RAW_STUBS = (
    lambda h, A, B, C, D, E, F: lambda t, r: h(t),
    lambda h, A, B, C, D, E, F: lambda t, r: h(t, r[A]),
    lambda h, A, B, C, D, E, F: lambda t, r: h(t, r[A], r[B]),
    lambda h, A, B, C, D, E, F: lambda t, r: h(t, r[A], r[B], r[C]),
    lambda h, A, B, C, D, E, F: lambda t, r: h(t, r[A], r[B], r[C], r[D]),
    lambda h, A, B, C, D, E, F: lambda t, r: h(t, r[A], r[B], r[C], r[D], r[E]),
    lambda h, A, B, C, D, E, F: lambda t, r: h(t, r[A], r[B], r[C], r[D], r[E], r[F]),
)
_DECODING_STUBS = (
    None,
    lambda h, x, y, z, u, v, w, A, B, C, D, E, F: lambda t, r: h(t, x(t, r[A])),
    lambda h, x, y, z, u, v, w, A, B, C, D, E, F: lambda t, r: h(t, x(t, r[A]), y(t, r[B])),
    lambda h, x, y, z, u, v, w, A, B, C, D, E, F: lambda t, r: h(t, x(t, r[A]), y(t, r[B]), z(t, r[C])),
    lambda h, x, y, z, u, v, w, A, B, C, D, E, F: lambda t, r: h(t, x(t, r[A]), y(t, r[B]), z(t, r[C]),
                                                                 u(t, r[D])),
    lambda h, x, y, z, u, v, w, A, B, C, D, E, F: lambda t, r: h(t, x(t, r[A]), y(t, r[B]), z(t, r[C]),
                                                                 u(t, r[D]), v(t, r[E])),
    lambda h, x, y, z, u, v, w, A, B, C, D, E, F: lambda t, r: h(t, x(t, r[A]), y(t, r[B]), z(t, r[C]),
                                                                 u(t, r[D]), v(t, r[E]), w(t, r[F])),
)


def _bind(decl, abi, arg_index):
    """fn(t, r) calling decl.fn with its arguments read from r and decoded."""
    if any(getattr(p.type, "wants_args", False) for p in decl.params):
        return _bind_with_args(decl, abi, arg_index)
    decoders = [p.type.decoder(abi) for p in decl.params]
    if not any(decoders):
        return _RAW_STUBS[len(decoders)](decl.fn, *arg_index)
    padded = [d or _identity for d in decoders] + [_identity] * (6 - len(decoders))
    return _DECODING_STUBS[len(decoders)](decl.fn, *padded, *arg_index)


def _bind_with_args(decl, abi, arg_index):
    """The slower stub for calls with an argument decoded in the light of the others
    (a path and its dirfd and flags): every decoder gets the raw arguments too."""
    steps = []
    for i, p in enumerate(decl.params):
        if getattr(p.type, "wants_args", False):
            steps.append((i, p.type.args_decoder(abi), True))
        else:
            steps.append((i, p.type.decoder(abi) or _identity, False))
    fn = decl.fn

    def call(t, r):
        raws = [r[i] for i in arg_index]
        return fn(t, *[dec(t, raws[i], raws) if whole else dec(t, raws[i]) for i, dec, whole in steps])
    return call


def _unimplemented(name):
    def call(t, r):
        process = t.process
        if name not in process.warned:
            process.warned.add(name)
            process.warn(f"unsupported syscall {name}: returning ENOSYS")
        raise GuestError(host_errno.ENOSYS)
    return call


def _unknown(nr):
    def call(t, r):
        key = f"#{nr}"
        if key not in t.process.warned:
            t.process.warned.add(key)
            t.process.warn(f"unknown syscall number {nr}: returning ENOSYS")
        raise GuestError(host_errno.ENOSYS)
    return call


class SyscallTable:
    """Per-ABI table: number -> name and declaration; the calls themselves are
    made per arch (where its registers are) and per syscall, when first used."""

    def __init__(self, abi):
        self.abi = abi
        numbers = abi.tables.SYSCALLS
        self.size = max(numbers.values()) + 1
        self.names = [None] * self.size
        self.decls = [None] * self.size
        for name, nr in numbers.items():
            if nr >= 0:
                self.names[nr] = name
                self.decls[nr] = REGISTRY.get(ALIASES.get(name, name))
        self._calls = {}

    def number(self, name):
        return self.abi.tables.SYSCALLS.get(name)

    def calls_for(self, layout):
        """The list of calls fn(t, r) for one register layout, shared by its threads."""
        calls = self._calls.get(layout.key)
        if calls is None:
            calls = self._calls[layout.key] = [self._first_call(layout)] * self.size
        return calls

    def _first_call(self, layout):
        """Every entry starts as this: it makes the syscall's real call, puts it in
        the table and runs it."""
        nr_index, arg_index = layout.nr_index, layout.arg_index

        def first_call(t, r):
            nr = r[nr_index]
            calls = self._calls[layout.key]
            calls[nr] = call = self._make_call(nr, arg_index)
            return call(t, r)
        return first_call

    def _make_call(self, nr, arg_index):
        decl, name = self.decls[nr], self.names[nr]
        if decl is not None:
            return _bind(decl, self.abi, arg_index)
        return _unimplemented(name) if name else _unknown(nr)


class RegisterLayout:
    """Where one arch keeps its syscall number, arguments and result, as indices
    into its integer register array (cpu module's GPR_IDS)."""

    def __init__(self, arch):
        index = {reg: i for i, reg in enumerate(arch.GPR_IDS)}
        self.reg_ids = arch.GPR_IDS
        self.nr_index = index[arch.SYSCALL_REGS[0]]
        self.arg_index = tuple(index[reg] for reg in arch.SYSCALL_REGS[1:7])
        self.result_index = index[arch.RETURN_REG]
        self.key = arch.NAME


def make_syscall_entry(thread, table, read_regs=None, write_ret=None, strace_log=None):
    """The function the thread's syscall hook calls: run the handler on the
    registers in place, write the guest's return value. (read_regs and
    write_ret, the caller's batched register access, are no longer needed.)"""
    layout = RegisterLayout(thread.arch)
    view = regfile.locate(thread.handle, layout.reg_ids)
    if view is not None:
        load = store = None
    else:
        shadow = raw.ShadowRegisters(thread.handle, layout.reg_ids, (layout.nr_index,) + layout.arg_index,
                                     layout.result_index)
        view, load, store = shadow.view, shadow.load, shadow.store
    run = _make_runner(thread, table, layout, view)
    if strace_log is not None:
        return _make_tracing_entry(thread, table, layout, view, run, load, store, strace_log)
    if load is None:
        return run

    def on_syscall_shadowed():
        load()
        if run():
            store()
    return on_syscall_shadowed


def _make_runner(thread, table, layout, r):
    """on_syscall(): run the call the registers ask for; True if it wrote a result."""
    calls = table.calls_for(layout)
    ncalls = len(calls)
    errno_to_guest = table.abi.errno.to_guest
    mask = table.abi.word_mask
    nr_index, result_index = layout.nr_index, layout.result_index
    unknown = _unknown

    def on_syscall():
        nr = r[nr_index]
        try:
            ret = calls[nr](thread, r) if nr < ncalls else unknown(nr)(thread, r)
        except GuestError as e:
            ret = -errno_to_guest(e.errno)
        except OSError as e:
            if e.errno == host_errno.EINTR:
                ret = _interrupted(thread, table, nr, calls, r)
            else:
                ret = -errno_to_guest(e.errno or host_errno.EIO)
        except Exception as e:  # a bug of ours: say so in one line, the guest gets ENOSYS
            ret = _internal_error(thread, table.names[nr], e)
        if ret is None:
            ret = 0
        elif ret is KEEP_REGISTERS:
            return False
        r[result_index] = ret & mask
        return True
    return on_syscall


# Interrupted by a handled signal, these fail with EINTR even under SA_RESTART
# (the kernel's ERESTARTNOHAND and restart-block cases).
NO_RESTART = frozenset(("nanosleep", "clock_nanosleep", "ppoll", "pselect6", "epoll_pwait", "epoll_pwait2",
                        "rt_sigsuspend", "rt_sigtimedwait", "io_getevents", "semtimedop", "recvmmsg",
                        "semop", "msgrcv", "msgsnd"))  # signal(7): never restarted, SA_RESTART or not


def _interrupted(thread, table, nr, calls, r):
    """A host call came back with EINTR. If no guest signal is waiting, nothing
    the guest should see happened: call again, as the kernel restarts it. Else
    restart under SA_RESTART (rewind to the syscall instruction, the arguments
    still in place), or fail with EINTR; the handler runs right after."""
    signals = thread.signals
    restart_flag = signals.shared.const("SA_RESTART")
    while True:
        signals.shared.host.drain()
        pending = signals.deliverable_action()
        if pending is not None and not signals.shared.ignored(pending[0]):
            sig, action = pending
            signals.pending_flag = True
            if action.handler > 1 and action.flags & restart_flag and table.names[nr] not in NO_RESTART:
                arch = thread.arch
                pc = thread.pc() - arch.SYSCALL_INSN_SIZE
                thread.defer(lambda: thread.uc.reg_write(arch.REG_PC, pc))
                return KEEP_REGISTERS
            return -table.abi.errno.to_guest(host_errno.EINTR)
        try:
            return calls[nr](thread, r)  # the argument registers are still as the guest set them
        except GuestError as e:  # the call again, failing otherwise (a futex value that changed)
            return -table.abi.errno.to_guest(e.errno)
        except OSError as e:
            if e.errno != host_errno.EINTR:
                return -table.abi.errno.to_guest(e.errno or host_errno.EIO)


def _internal_error(thread, name, exc):
    thread.process.warn(f"internal error in syscall {name}: {type(exc).__name__}: {exc} "
                        "(returning ENOSYS; please report)")
    if thread.process.options.debug_items and "traceback" in thread.process.options.debug_items:
        import traceback
        traceback.print_exc()
    return -thread.abi.errno.to_guest(host_errno.ENOSYS)


def format_result(thread, decl, ret):
    abi = thread.abi
    value = abi.signed(ret)
    if -4096 < value < 0:
        guest_errno = -value
        host = abi.errno.to_host(guest_errno)
        name = abi.errno.name(guest_errno) or str(guest_errno)
        return f"-1 {name} ({os.strerror(host)})"
    if decl is not None and isinstance(decl.ret, RetPtr):
        return hex(ret)
    return str(value)


def _make_tracing_entry(thread, table, layout, r, run, load, store, log):
    def on_syscall():
        if load is not None:
            load()
        nr = r[layout.nr_index]
        args = [r[i] for i in layout.arg_index]
        decl = table.decls[nr] if nr < len(table.decls) else None
        name = table.names[nr] if nr < len(table.names) and table.names[nr] else f"syscall_{nr}"
        text = f"{os.getpid()} {name}({format_args(thread, decl, args)})"
        if name in ("execve", "execveat"):  # a successful one never returns to be shown
            log.write(text + "\n")
            log.flush()
        if name in ("exit", "exit_group", "rt_sigreturn"):
            log.write(text + " = ?\n")  # no result comes back to show
            log.flush()
            if run() and store is not None:
                store()
            return
        if not run():  # registers kept (a restarted call)
            log.write(text + " = ? (restarted)\n")
            log.flush()
            return
        if store is not None:
            store()
        log.write(f"{text} = {format_result(thread, decl, r[layout.result_index])}\n")
        log.flush()
    return on_syscall


def format_args(thread, decl, raw_args):
    if decl is None:
        return ", ".join(hex(x) for x in raw_args)
    by_name = {p.name: raw_args[i] for i, p in enumerate(decl.params)}
    shown = []
    for i, p in enumerate(decl.params):
        try:
            text = p.type.show(thread, raw_args[i], by_name)
        except Exception:
            text = hex(raw_args[i])
        if text is not None:
            shown.append(text)
    return ", ".join(shown)
