"""The syscall registry, filled by the @syscall decorator.

One typed declaration per syscall drives dispatch, argument decoding and
-strace output:

    @syscall
    def openat(t, dirfd: DirFd, path: Path, flags: OpenFlags, mode: Mode) -> Fd: ...

Handlers are registered by kernel name; numbers come from the generated
per-ABI tables; ALIASES maps the other names an ABI uses for the same call.
"""
from .argtypes import Arg, Ret

REGISTRY = {}

# A handler's return value that leaves every register as the handler set it
# (rt_sigreturn, a restarted syscall) instead of writing the return register.
KEEP_REGISTERS = object()

# name in an ABI's table -> name of the handler that implements it
ALIASES = {
    "fstatat64": "newfstatat",
    "fstat64": "fstat",
}


class Param:
    __slots__ = ("name", "type")

    def __init__(self, name, type):
        self.name, self.type = name, type


class Declaration:
    def __init__(self, name, fn, params, ret):
        self.name = name
        self.fn = fn
        self.params = params
        self.ret = ret


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
    about 40 us per handler and the import of inspect at every start-up."""
    code = fn.__code__
    if code.co_flags & 0x0C:  # CO_VARARGS | CO_VARKEYWORDS
        raise TypeError(f"{fn.__name__}: a syscall handler takes named arguments only")
    notes = fn.__annotations__
    names = code.co_varnames[1:code.co_argcount]
    return [(n, notes.get(n)) for n in names], notes.get("return")


def syscall(fn=None, *, name=None):
    """Register a handler; its annotations declare the arguments' types."""
    def register(fn):
        params_notes, ret_note = _signature(fn)
        params = [Param(n, _arg_type(note)) for n, note in params_notes]
        names = [(p.name, type(p.type)) for p in params]
        for i, p in enumerate(params):
            if hasattr(p.type, "bind"):  # types that refer to other arguments (Path: its dirfd, its flags)
                p.type = p.type.bind(names, i)
        if len(params) > 6:
            raise TypeError(f"{fn.__name__}: more than six syscall arguments")
        ret = _arg_type(ret_note, Ret())
        key = name or fn.__name__
        if key in REGISTRY:
            raise ValueError(f"syscall {key} registered twice")
        REGISTRY[key] = Declaration(key, fn, params, ret)
        return fn
    return register(fn) if fn is not None else register
