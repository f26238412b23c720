"""The syscall registry, filled by the @syscall decorator.

One typed declaration per syscall drives dispatch, argument decoding and
-strace output:

    @syscall
    def openat(t, dirfd: DirFd, path: Path, flags: OpenFlags, mode: Mode) -> Fd: ...

Handlers are registered by kernel name; numbers come from the generated
per-ABI tables. Where ABIs differ, the difference is declared, never tested
for inside a handler:

- variants: `@syscall(name="mmap", when="old_mmap")` is the mmap of ABIs with
  that quirk (abi.QUIRKS); the declaration without `when` serves the others;
- twins: the same handler under another name with keyword-only arguments
  bound, for calls that differ only in a struct's layout:
  `@syscall(twins={"clock_gettime64": {"ts": "timespec64"}})` on
  `def clock_gettime(t, clk, tp, *, ts="timespec")`;
- private calls: a cpu module's own (ARM's set_tls, MIPS' sysmips) are
  declared with @arch_syscall(ITS_TABLE) and win over the registry's;
- a fast way for the hottest calls: `@syscall(fast=factory)`, where
  factory(handler, abi, registers, general) gives a call(t, r) that reads its
  arguments from the registers itself and hands what it does not cover to
  `general`, the declaration's own stub (or None: no fast way on that ABI).

The handler modules are imported when a syscall they declare is first looked
up, not at start-up (importing all of them took 10 ms of every start): the
handlers package gives the registry an index of which modules declare each
name (handlers/index.py), and lookup() imports them first.
"""
import sys
from functools import partial

from .argtypes import Arg, Ret

REGISTRY = {}  # name -> [Declaration], variants with a `when` first
# name -> the modules whose import declares its variants, until lookup() imported them
_pending = {}

# A handler's return value that leaves every register as the handler set it
# (rt_sigreturn, a restarted syscall) instead of writing the return register.
KEEP_REGISTERS = object()


class Param:
    __slots__ = ("name", "type")

    def __init__(self, name, type):
        self.name, self.type = name, type


class Declaration:
    """One handler under one name. Its parameters' types are made from the
    annotations when first asked for (binding, -strace): a program calls a few
    dozen of the 375 declarations, and making them all took 2-3 ms of every start-up."""

    def __init__(self, name, fn, when=None, handler=None, types=None, fast=None):
        self.name = name
        self.fn = handler or fn  # what dispatch calls (with twins' keyword arguments bound)
        self.when = when  # an ABI quirk this variant needs, or None
        self.fast = fast  # factory of a specialised call (the module's docstring), or None
        self.module = None  # the module whose import registered it (handlers/index.py)
        self._source = (fn, types)
        self._params = self._ret = None

    @property
    def params(self):
        if self._params is None:
            self._resolve()
        return self._params

    @property
    def ret(self):
        if self._params is None:
            self._resolve()
        return self._ret

    def _resolve(self):
        fn, types = self._source
        params_notes, ret_note = _signature(fn)
        params = [Param(n, _arg_type((types or {}).get(n, note))) for n, note in params_notes]
        names = [(p.name, type(p.type)) for p in params]
        for i, p in enumerate(params):
            if hasattr(p.type, "bind"):  # types that refer to other arguments (Path: its dirfd, its flags)
                p.type = p.type.bind(names, i)
        self._ret = _arg_type(ret_note, Ret())
        self._params = params


def _arg_type(annotation, default=None):
    """Annotations may be a type instance (InBuf("count")) or a plain type class (Fd)."""
    if isinstance(annotation, type) and issubclass(annotation, Arg):
        return annotation()
    if isinstance(annotation, Arg):
        return annotation
    return default or Arg()


def _signature(fn):
    """fn's parameters after the thread context as (name, annotation), and its
    return annotation. Read from the code object: inspect.signature would cost
    about 40 us per handler and the import of inspect at every start-up.
    Keyword-only parameters are not syscall arguments (twins bind them)."""
    code = fn.__code__
    if code.co_flags & 0x0C:  # CO_VARARGS | CO_VARKEYWORDS
        raise TypeError(f"{fn.__name__}: a syscall handler takes named arguments only")
    notes = fn.__annotations__
    names = code.co_varnames[1:code.co_argcount]
    return [(n, notes.get(n)) for n in names], notes.get("return")


def declare(fn, name=None, when=None, bound=None, types=None, fast=None):
    """A Declaration for fn (not registered); `types` overrides some arguments'
    annotations by name (the 16-bit uid calls: the 32-bit handler, Uid(16) arguments)."""
    code = fn.__code__
    if code.co_flags & 0x0C:  # CO_VARARGS | CO_VARKEYWORDS
        raise TypeError(f"{fn.__name__}: a syscall handler takes named arguments only")
    if code.co_argcount - 1 > 7:
        raise TypeError(f"{fn.__name__}: more than seven syscall arguments")
    handler = partial(fn, **bound) if bound else fn
    return Declaration(name or fn.__name__, fn, when, handler, types, fast)


def _add(decl):
    decl.module = _registering_module()
    variants = REGISTRY.setdefault(decl.name, [])
    if any(v.when == decl.when for v in variants):
        raise ValueError(f"syscall {decl.name} registered twice" + (f" for {decl.when}" if decl.when else ""))
    variants.append(decl)
    variants.sort(key=lambda v: v.when is None)  # the conditional ones are tried first


def _registering_module():
    """The module whose top level is registering a declaration: the first caller outside this file."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back
    return frame.f_globals.get("__name__") if frame is not None else None


def syscall(fn=None, *, name=None, when=None, twins=None, bound=None, types=None, fast=None):
    """Register a handler; its annotations declare the arguments' types."""
    def register(fn):
        _add(declare(fn, name, when, bound, types, fast))
        for twin, twin_bound in (twins or {}).items():
            _add(declare(fn, twin, when, {**(bound or {}), **twin_bound}, fast=fast))
        return fn
    return register(fn) if fn is not None else register


def arch_syscall(table, *, name=None):
    """Declare a cpu module's private syscall into its own table (name -> Declaration)."""
    def register(fn):
        decl = declare(fn, name)
        if decl.name in table:
            raise ValueError(f"private syscall {decl.name} declared twice")
        table[decl.name] = decl
        return fn
    return register


_load_all = None  # imports every handler module (the handlers package's)


def set_index(index, load_all):
    """name -> the modules declaring it, each imported at the name's first lookup;
    load_all() imports every handler module."""
    global _load_all
    _pending.update(index)
    _load_all = load_all


def _import_declarers(name):
    modules = _pending.get(name)
    if modules:
        # a thread looking the same name up meanwhile waits in the import system's
        # module lock until the module is complete; only then is the name done
        for module in modules:
            __import__(module)  # (not importlib: its import costs 0.5 ms of a start-up)
        _pending.pop(name, None)


def import_all():
    """Every module the index names, now: before a call after which the emulator may
    no longer read its own files (rights dropped, descriptors limited, a filter)."""
    if _load_all is not None:
        _load_all()
    _pending.clear()


# Calls that can take from the emulator the right to read its modules: every handler
# module is imported before their first call (dispatch.py); RLIMIT_NOFILE in proc.py.
NARROWING = frozenset(
    [f"{call}{suffix}" for call in ("setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid",
                                    "setfsuid", "setfsgid", "setgroups") for suffix in ("", "32")]
    + ["capset", "unshare", "setns", "pivot_root", "seccomp"])


def lookup(name, abi, private=None):
    """The declaration serving `name` on this ABI, or None."""
    if private and name in private:
        return private[name]
    if name in _pending:
        _import_declarers(name)
    for decl in REGISTRY.get(name, ()):
        if decl.when is None or abi.has(decl.when):
            return decl
    return None
