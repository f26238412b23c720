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
from .registry import ALIASES, REGISTRY

_ARGNAMES = ("a", "b", "c", "d", "e", "f")


def _bind(decl, abi):
    """fn(t, a, b, c, d, e, f) calling decl.fn with decoded arguments."""
    namespace = {"handler": decl.fn}
    exprs = []
    for i, p in enumerate(decl.params):
        dec = p.type.decoder(abi)
        if dec is None:
            exprs.append(_ARGNAMES[i])
        else:
            namespace[f"dec{i}"] = dec
            exprs.append(f"dec{i}(t, {_ARGNAMES[i]})")
    src = f"def call(t, a, b, c, d, e, f):\n    return handler(t, {', '.join(exprs)})\n"
    exec(src, namespace)
    return namespace["call"]


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


def make_dispatcher(thread, table, strace_log=None):
    """The function the thread's syscall hook calls with the raw registers:
    values = (number, a0..a5); returns the raw value for the return register."""
    calls = table.calls
    ncalls = len(calls)
    errno_to_guest = table.abi.errno.to_guest
    mask = table.abi.word_mask
    if strace_log is not None:
        return _make_tracing_dispatcher(thread, table, strace_log)

    def dispatch(v):
        nr = v[0]
        if nr >= ncalls or calls[nr] is None:
            return _unknown(thread, nr) & mask
        try:
            ret = calls[nr](thread, v[1], v[2], v[3], v[4], v[5], v[6])
        except (GuestError, OSError) as e:
            return -errno_to_guest(e.errno or host_errno.EIO) & mask
        except Exception as e:  # a bug of ours: say so in one line, the guest gets ENOSYS
            return _internal_error(thread, table.names[nr], e) & mask
        return 0 if ret is None else ret & mask
    return dispatch


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


def _make_tracing_dispatcher(thread, table, log):
    plain = make_dispatcher(thread, table)
    pid = os.getpid()

    def dispatch(v):
        nr = v[0]
        decl = table.decls[nr] if nr < len(table.decls) else None
        name = table.names[nr] if nr < len(table.names) and table.names[nr] else f"syscall_{nr}"
        if decl is not None:
            args = list(v[1:7])
            shown = []
            for i, p in enumerate(decl.params):
                try:
                    shown.append(p.type.show(thread, args[i], {q.name: args[j] for j, q in enumerate(decl.params)}))
                except Exception:
                    shown.append(hex(args[i]))
            text = f"{pid} {name}({', '.join(shown)})"
        else:
            text = f"{pid} {name}({', '.join(hex(x) for x in v[1:7])})"
        ret = plain(v)
        if thread.exiting and name in ("exit", "exit_group"):
            log.write(text + " = ?\n")
        else:
            log.write(f"{text} = {format_result(thread, decl, ret)}\n")
        log.flush()
        return ret
    return dispatch
