"""Syscall dispatch: a table indexed by the guest's syscall number.

Each entry is a small function generated once per (syscall, ABI) that decodes
only the arguments whose type needs it and calls the handler: no per-call
introspection. Errors come back as GuestError or OSError with a host errno and
are translated to the guest's errno here, once.
"""
import errno as host_errno
import os

from ..errors import GuestError
from . import handlers  # noqa: F401  (fills the registry)
from .argtypes import RetPtr
from .registry import ALIASES, KEEP_REGISTERS, REGISTRY

def _identity(t, raw):
    return raw


# Call stubs by arity, without decoding (the common case) and with decoders:
# closures instead of generated source, so start-up compiles nothing.
_RAW_STUBS = (
    lambda h: lambda t, a, b, c, d, e, f: h(t),
    lambda h: lambda t, a, b, c, d, e, f: h(t, a),
    lambda h: lambda t, a, b, c, d, e, f: h(t, a, b),
    lambda h: lambda t, a, b, c, d, e, f: h(t, a, b, c),
    lambda h: lambda t, a, b, c, d, e, f: h(t, a, b, c, d),
    lambda h: lambda t, a, b, c, d, e, f: h(t, a, b, c, d, e),
    lambda h: lambda t, a, b, c, d, e, f: h(t, a, b, c, d, e, f),
)
_DECODING_STUBS = (
    None,
    lambda h, x, y, z, u, v, w: lambda t, a, b, c, d, e, f: h(t, x(t, a)),
    lambda h, x, y, z, u, v, w: lambda t, a, b, c, d, e, f: h(t, x(t, a), y(t, b)),
    lambda h, x, y, z, u, v, w: lambda t, a, b, c, d, e, f: h(t, x(t, a), y(t, b), z(t, c)),
    lambda h, x, y, z, u, v, w: lambda t, a, b, c, d, e, f: h(t, x(t, a), y(t, b), z(t, c), u(t, d)),
    lambda h, x, y, z, u, v, w: lambda t, a, b, c, d, e, f: h(t, x(t, a), y(t, b), z(t, c), u(t, d),
                                                               v(t, e)),
    lambda h, x, y, z, u, v, w: lambda t, a, b, c, d, e, f: h(t, x(t, a), y(t, b), z(t, c), u(t, d),
                                                               v(t, e), w(t, f)),
)


def _bind(decl, abi):
    """fn(t, a, b, c, d, e, f) calling decl.fn with its arguments decoded."""
    if any(getattr(p.type, "wants_args", False) for p in decl.params):
        return _bind_with_args(decl, abi)
    decoders = [p.type.decoder(abi) for p in decl.params]
    if not any(decoders):
        return _RAW_STUBS[len(decoders)](decl.fn)
    padded = [d or _identity for d in decoders] + [_identity] * (6 - len(decoders))
    return _DECODING_STUBS[len(decoders)](decl.fn, *padded)


def _bind_with_args(decl, abi):
    """The slower stub for calls with an argument decoded in the light of the others
    (a path and its dirfd and flags): every decoder gets the raw arguments too."""
    steps = []
    for i, p in enumerate(decl.params):
        if getattr(p.type, "wants_args", False):
            steps.append((i, p.type.args_decoder(abi), True))
        else:
            steps.append((i, p.type.decoder(abi) or _identity, False))
    fn = decl.fn

    def call(t, a, b, c, d, e, f):
        raws = (a, b, c, d, e, f)
        return fn(t, *[dec(t, raws[i], raws) if whole else dec(t, raws[i]) for i, dec, whole in steps])
    return call


def _unimplemented(name):
    def call(t, a, b, c, d, e, f):
        process = t.process
        if name not in process.warned:
            process.warned.add(name)
            process.warn(f"unsupported syscall {name}: returning ENOSYS")
        raise GuestError(host_errno.ENOSYS)
    return call


def _unknown(t, nr):
    key = f"#{nr}"
    if key not in t.process.warned:
        t.process.warned.add(key)
        t.process.warn(f"unknown syscall number {nr}: returning ENOSYS")
    return -t.abi.errno.to_guest(host_errno.ENOSYS)


class SyscallTable:
    """Per-ABI table: number -> (name, declaration or None, bound call)."""

    def __init__(self, abi):
        self.abi = abi
        numbers = abi.tables.SYSCALLS
        size = max(numbers.values()) + 1
        self.calls = [None] * size
        self.names = [None] * size
        self.decls = [None] * size
        for name, nr in numbers.items():
            if nr < 0:
                continue
            decl = REGISTRY.get(ALIASES.get(name, name))
            self.names[nr] = name
            self.decls[nr] = decl
            self.calls[nr] = _bind(decl, abi) if decl else _unimplemented(name)

    def number(self, name):
        return self.abi.tables.SYSCALLS.get(name)


def make_syscall_entry(thread, table, read_regs, write_ret, strace_log=None):
    """The function the thread's syscall hook calls: read the number and six
    arguments in one batch, run the handler, write the guest's return value."""
    calls = table.calls
    ncalls = len(calls)
    errno_to_guest = table.abi.errno.to_guest
    mask = table.abi.word_mask
    if strace_log is not None:
        return _make_tracing_entry(thread, table, read_regs, write_ret, strace_log)

    def on_syscall():
        v = read_regs()
        nr = v[0]
        if nr >= ncalls or calls[nr] is None:
            write_ret(_unknown(thread, nr) & mask)
            return
        try:
            ret = calls[nr](thread, v[1], v[2], v[3], v[4], v[5], v[6])
        except GuestError as e:
            ret = -errno_to_guest(e.errno)
        except OSError as e:
            if e.errno == host_errno.EINTR:
                ret = _interrupted(thread, table, nr, v)
                if ret is KEEP_REGISTERS:
                    return
            else:
                ret = -errno_to_guest(e.errno or host_errno.EIO)
        except Exception as e:  # a bug of ours: say so in one line, the guest gets ENOSYS
            ret = _internal_error(thread, table.names[nr], e)
        if ret is None:
            ret = 0
        elif ret is KEEP_REGISTERS:
            return
        write_ret(ret & mask)
    return on_syscall


# Interrupted by a handled signal, these fail with EINTR even under SA_RESTART
# (the kernel's ERESTARTNOHAND and restart-block cases).
NO_RESTART = frozenset(("nanosleep", "clock_nanosleep", "ppoll", "pselect6", "epoll_pwait", "epoll_pwait2",
                        "rt_sigsuspend", "rt_sigtimedwait", "io_getevents", "semtimedop", "recvmmsg"))


def _interrupted(thread, table, nr, v):
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
            return table.calls[nr](thread, v[1], v[2], v[3], v[4], v[5], v[6])
        except OSError as e:
            if e.errno != host_errno.EINTR:
                raise


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


def _make_tracing_entry(thread, table, read_regs, write_ret, log):
    result = []
    plain = make_syscall_entry(thread, table, read_regs, result.append)

    def on_syscall():
        v = read_regs()
        nr = v[0]
        decl = table.decls[nr] if nr < len(table.decls) else None
        name = table.names[nr] if nr < len(table.names) and table.names[nr] else f"syscall_{nr}"
        text = f"{os.getpid()} {name}({format_args(thread, decl, v[1:7])})"
        if name in ("execve", "execveat"):  # a successful one never returns to be shown
            log.write(text + "\n")
            log.flush()
        if name in ("exit", "exit_group", "rt_sigreturn"):
            log.write(text + " = ?\n")  # no result comes back to show
            log.flush()
            plain()
            if result:
                write_ret(result.pop())
            return
        plain()
        if not result:  # registers kept (a restarted call)
            log.write(text + " = ? (restarted)\n")
            log.flush()
            return
        ret = result.pop()
        write_ret(ret)
        log.write(f"{text} = {format_result(thread, decl, ret)}\n")
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
