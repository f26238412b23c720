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
import operator
import os

from .. import raw, regfile
from ..errors import GuestError
from . import handlers  # noqa: F401  (gives the registry its index of handler modules)
from .argtypes import RetPtr
from .registry import KEEP_REGISTERS, NARROWING, import_all, lookup


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
# The most common case of all: only the first argument decoded (a descriptor).
_FIRST_DECODED_STUBS = (
    None,
    lambda h, x, A, B, C, D, E, F: lambda t, r: h(t, x(t, r[A])),
    lambda h, x, A, B, C, D, E, F: lambda t, r: h(t, x(t, r[A]), r[B]),
    lambda h, x, A, B, C, D, E, F: lambda t, r: h(t, x(t, r[A]), r[B], r[C]),
    lambda h, x, A, B, C, D, E, F: lambda t, r: h(t, x(t, r[A]), r[B], r[C], r[D]),
    lambda h, x, A, B, C, D, E, F: lambda t, r: h(t, x(t, r[A]), r[B], r[C], r[D], r[E]),
    lambda h, x, A, B, C, D, E, F: lambda t, r: h(t, x(t, r[A]), r[B], r[C], r[D], r[E], r[F]),
)
_MASK64 = (1 << 64) - 1
_UNRESOLVED = object()  # a table entry whose declaration was not looked up yet


class RegisterLayout:
    """Where one arch keeps its syscall number, arguments and result, as indices
    into its integer register array (cpu module's GPR_IDS), from its Convention."""

    def __init__(self, arch):
        conv = arch.CONVENTION
        index = {reg: i for i, reg in enumerate(arch.GPR_IDS)}
        missing = [r for r in conv.registers() if r not in index]
        if missing:
            raise ValueError(f"{arch.NAME}: syscall registers {missing} are not in GPR_IDS")
        self.conv = conv
        self.reg_ids = arch.GPR_IDS
        self.slot_bytes = arch.GPR_SLOT_BYTES
        self.nr_index = index[conv.number]
        self.number_hook = conv.number_hook  # the number from the instruction (s390x), else None
        self.pc_index = index.get(arch.REG_PC)  # the PC, where the register array holds it (m68k)
        self.arg_index = tuple(index[reg] for reg in conv.args)
        self.result_index = index[conv.result]
        self.flag_index = index[conv.flag_register] if conv.flag_register is not None else None
        self.sp_index = index.get(arch.REG_SP)
        if conv.stack_args and self.sp_index is None:
            raise ValueError(f"{arch.NAME}: stack arguments need the SP in GPR_IDS")
        self.key = arch.NAME

    def word_fetcher(self, abi, nwords):
        """fetch(t, r): the first nwords argument words, from registers, then the user stack."""
        regs = self.arg_index[:nwords]
        nstack = nwords - len(regs)
        if nstack <= 0:
            return lambda t, r: [r[i] for i in regs]
        sp_index, offset, fmt = self.sp_index, self.conv.stack_offset, f"{nstack}W"
        size = abi.size(fmt)
        unpack, mask = abi.unpack, abi.word_mask

        def fetch(t, r):
            return [r[i] for i in regs] + list(unpack(fmt, t.space.read((r[sp_index] + offset) & mask, size)))
        return fetch


class Binding:
    """One declaration bound to one ABI's convention: `call(t, r)` runs the
    handler on the registers; `raws(t, r)` gives each parameter's raw value
    (a register pair joined), for -strace."""

    def __init__(self, decl, abi, layout):
        self.decl = decl
        params = decl.params
        widths = [p.type.words(abi) for p in params]
        positions, nwords = layout.conv.word_positions(widths)
        if nwords > layout.conv.max_words:
            raise TypeError(f"{decl.name} takes {nwords} argument words, more than {abi.name} passes")
        fetch = layout.word_fetcher(abi, nwords)
        bits = abi.bits
        joins = []
        for p, pos in zip(params, positions):
            if len(pos) == 1:
                joins.append(pos[0])
            else:
                lo, hi = pos if p.type.low_word_first(abi) else pos[::-1]
                joins.append((lo, hi))

        def raws(t, r):
            words = fetch(t, r)
            return [words[j] if j.__class__ is int else (words[j[0]] | words[j[1]] << bits) & _MASK64
                    for j in joins]
        self.raws = raws
        wants_args = any(getattr(p.type, "wants_args", False) for p in params)
        simple = all(w == 1 for w in widths) and nwords <= min(6, len(layout.arg_index))
        if simple and not wants_args:
            self.call = _fast_stub(decl, abi, layout.arg_index, 8 * layout.slot_bytes)
        elif simple:
            self.call = _whole_stub(decl, abi, layout.arg_index)
        else:
            self.call = _general_stub(decl, abi, raws)
        if simple and decl.fast is not None and "fast-syscalls" not in raw.DISABLED:
            # a hot call's own way (registry.py), the stub above for what it does not cover
            self.call = decl.fast(decl.fn, abi, tuple(layout.arg_index[:len(params)]), self.call) or self.call


def _fast_stub(decl, abi, arg_index, reg_bits=64):
    """Every argument in its own register: one closure indexing the register array.
    A decoder that only keeps the low bits a register slot holds anyway (argtypes.low_bits:
    a size or flags word of a 32-bit guest) is left out."""
    arg_index = (tuple(arg_index) + (0,) * 6)[:6]
    decoders = [p.type.decoder(abi) for p in decl.params]
    decoders = [None if getattr(d, "mask_bits", 0) >= reg_bits else d for d in decoders]
    if not any(decoders):
        return _RAW_STUBS[len(decoders)](decl.fn, *arg_index)
    if not any(decoders[1:]):
        return _FIRST_DECODED_STUBS[len(decoders)](decl.fn, decoders[0], *arg_index)
    padded = [d or _identity for d in decoders] + [_identity] * (6 - len(decoders))
    return _DECODING_STUBS[len(decoders)](decl.fn, *padded, *arg_index)


def _whole_stub(decl, abi, arg_index):
    """Every argument in its own register, one of them decoded in the light of the
    others (a path and its dirfd and flags): the raw words as one tuple (an
    itemgetter on the register array), each decoder given it. No comprehension:
    in Python 3.11 each one is a function made at every call, three of them a
    third of a stat's cost."""
    n = len(decl.params)
    decoders = [p.type.args_decoder(abi) for p in decl.params]
    regs = tuple(arg_index[:n])
    get = operator.itemgetter(*regs) if n > 1 else (lambda r, i=regs[0]: (r[i],))
    fn = decl.fn
    x = decoders[0]
    if n == 1:
        return lambda t, r: fn(t, x(t, r[regs[0]], (r[regs[0]],)))
    y = decoders[1]
    if n == 2:
        def call(t, r):
            a = get(r)
            return fn(t, x(t, a[0], a), y(t, a[1], a))
        return call
    z = decoders[2]
    if n == 3:
        def call(t, r):
            a = get(r)
            return fn(t, x(t, a[0], a), y(t, a[1], a), z(t, a[2], a))
        return call
    u = decoders[3]
    if n == 4:
        def call(t, r):
            a = get(r)
            return fn(t, x(t, a[0], a), y(t, a[1], a), z(t, a[2], a), u(t, a[3], a))
        return call
    v = decoders[4]
    if n == 5:
        def call(t, r):
            a = get(r)
            return fn(t, x(t, a[0], a), y(t, a[1], a), z(t, a[2], a), u(t, a[3], a), v(t, a[4], a))
        return call
    w = decoders[5]

    def call(t, r):
        a = get(r)
        return fn(t, x(t, a[0], a), y(t, a[1], a), z(t, a[2], a), u(t, a[3], a), v(t, a[4], a), w(t, a[5], a))
    return call


def _general_stub(decl, abi, raws_of):
    """The slower stub: register pairs, arguments on the stack, or an argument
    decoded in the light of the others (a path and its dirfd and flags)."""
    steps = []
    for i, p in enumerate(decl.params):
        if getattr(p.type, "wants_args", False):
            steps.append((i, p.type.args_decoder(abi), True))
        else:
            steps.append((i, p.type.decoder(abi) or _identity, False))
    fn = decl.fn

    def call(t, r):
        raws = raws_of(t, r)
        return fn(t, *[dec(t, raws[i], raws) if whole else dec(t, raws[i]) for i, dec, whole in steps])
    return call


def general_call(decl, abi):
    """call(t, words): decl's handler on raw argument words given as a list (one
    word per parameter), decoded as the direct call's stub decodes them: for the
    multiplexers, whose arguments come from memory."""
    return _general_stub(decl, abi, lambda t, words: words)


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


def _broken(name, reason):
    def call(t, r):
        if name not in t.process.warned:
            t.process.warned.add(name)
            t.process.warn(f"syscall {name} cannot be bound ({reason}): returning ENOSYS")
        raise GuestError(host_errno.ENOSYS)
    return call


class SyscallTable:
    """Per-process table: number -> name and declaration (the arch's private
    ones first, then the registry's variant for its ABI); the calls themselves
    are made per register layout and per syscall, when first used.

    Numbers count from the convention's number_base (MIPS o32: 4000). They are
    dense up to DENSE; a few arches put private calls far above (ARM's 0xf0000+),
    which live in a small dict instead of a million-entry list."""

    DENSE = 4096

    def __init__(self, arch):
        self.arch = arch
        self.abi = abi = arch.ABI
        self.base = arch.CONVENTION.number_base
        self.private = getattr(arch, "SYSCALLS", None)
        entries = {}
        for name, nr in abi.tables.SYSCALLS.items():
            index = nr - self.base
            if index >= 0:
                entries[index] = name
        self.size = max(i for i in entries if i < self.DENSE) + 1
        self.names = [None] * self.size
        # declarations are looked up at an entry's first use: that imports the module
        # declaring it (registry.lookup), and a program makes a few dozen of the calls
        self.decls = [_UNRESOLVED] * self.size
        self.outliers = {}  # index -> name
        self.outlier_decls = {}  # index -> declaration, once looked up
        for index, name in entries.items():
            if index < self.size:
                self.names[index] = name
            else:
                self.outliers[index] = name
        self._calls = {}
        self._firsts = {}  # layout key -> (its first-call stub, the layout)
        self._prepared = {}  # prepare()'s names -> how many layouts they were made for
        self._outlier_calls = {}
        self._bindings = {}

    def number(self, name):
        return self.abi.tables.SYSCALLS.get(name)

    def entry(self, index):
        """(name, declaration) of table index `index`; (None, None) if unknown."""
        if 0 <= index < self.size:
            decl = self.decls[index]
            if decl is _UNRESOLVED:
                decl = self.decls[index] = self._lookup(self.names[index])
            return self.names[index], decl
        name = self.outliers.get(index)
        if name is None:
            return None, None
        if index not in self.outlier_decls:
            self.outlier_decls[index] = self._lookup(name)
        return name, self.outlier_decls[index]

    def _lookup(self, name):
        return lookup(name, self.abi, self.private) if name is not None else None

    def name(self, index):
        if 0 <= index < self.size:
            return self.names[index]
        return self.outliers.get(index)

    def calls_for(self, layout):
        """The list of calls fn(t, r) for one register layout, shared by its threads."""
        calls = self._calls.get(layout.key)
        if calls is None:
            first = self._first_call(layout)
            self._firsts[layout.key] = (first, layout)
            calls = self._calls[layout.key] = [first] * self.size
        return calls

    def prepare(self, names):
        """Make the calls `names` now, where still unmade: before a fork, so that every
        child does not make them anew (exit_group's: each would import, bind and write
        to pages it shares with the parent, at a cost of a copied page each)."""
        if self._prepared.get(names) == len(self._firsts):
            return  # done for every layout in use: the fork's path stays short (each page it touches is copied)
        self._prepared[names] = len(self._firsts)
        for key, (first, layout) in self._firsts.items():
            calls = self._calls[key]
            for name in names:
                nr = self.number(name)
                index = -1 if nr is None else nr - self.base
                if 0 <= index < self.size and calls[index] is first:
                    try:
                        calls[index] = self._make_call(index, layout)
                    except (ImportError, OSError):
                        pass  # the first call tries again, and reports it (_first_call)

    def call(self, index, layout):
        """The call for any index (the run loop's list covers the dense ones)."""
        if 0 <= index < self.size:
            return self.calls_for(layout)[index]
        return self.outlier_call(index, layout)

    def outlier_call(self, index, layout):
        key = (layout.key, index)
        call = self._outlier_calls.get(key)
        if call is None:
            call = self._outlier_calls[key] = self._make_call(index, layout)
        return call

    def _first_call(self, layout):
        """Every entry starts as this: it makes the syscall's real call, puts it in
        the table and runs it."""
        nr_index, base, hook = layout.nr_index, self.base, layout.number_hook

        def first_call(t, r):
            index = (r[nr_index] if hook is None else hook(t, r)) - base
            calls = self._calls[layout.key]
            try:
                try:
                    call = self._make_call(index, layout)
                except OSError as e:  # EMFILE: the guest holds every descriptor it may
                    if e.errno != host_errno.EMFILE or t.process.fd_limit is None:
                        raise
                    with t.process.fd_limit.borrow():  # two of the emulator's, for the import (fdlimit.py)
                        call = self._make_call(index, layout)
            except (ImportError, OSError) as e:
                # the module declaring the call could not be imported now (registry.py
                # imports it at the first call): an honest ENOSYS, and the next call tries again
                name = self.name(index)
                if name not in t.process.warned:
                    t.process.warned.add(name)
                    t.process.warn(f"syscall {name}: its handler module could not be imported "
                                   f"({type(e).__name__}: {e}): returning ENOSYS")
                raise GuestError(host_errno.ENOSYS) from None
            calls[index] = call
            return call(t, r)
        return first_call

    def binding(self, index, layout):
        """The Binding of table entry `index` (None for an unimplemented call)."""
        key = (layout.key, index)
        if key not in self._bindings:
            decl = self.entry(index)[1]
            self._bindings[key] = Binding(decl, self.abi, layout) if decl is not None else None
        return self._bindings[key]

    def _make_call(self, index, layout):
        name = self.name(index)
        if name in NARROWING:
            import_all()
        try:
            binding = self.binding(index, layout)
        except TypeError as e:
            return _broken(name, str(e))
        if binding is not None:
            return binding.call
        return _unimplemented(name) if name else _unknown(index + self.base)


def make_syscall_entry(thread, table, strace_log=None):
    """The function the thread's syscall hook calls: run the handler on the
    registers in place, write the guest's return value."""
    layout = RegisterLayout(thread.arch)
    view = regfile.locate(thread.handle, layout.reg_ids, layout.slot_bytes,
                          thread.abi.bits if thread.abi.bits < 8 * layout.slot_bytes else None)
    if view is not None:
        load = store = None
    else:
        results = [layout.result_index] + ([layout.flag_index] if layout.flag_index is not None else [])
        reads = [layout.nr_index] + list(layout.arg_index) + ([layout.sp_index] if layout.sp_index is not None
                                                               else [])
        shadow = raw.ShadowRegisters(thread.handle, layout.reg_ids, reads, results)
        view, load, store = shadow.view, shadow.load, shadow.store
    run = _make_runner(thread, table, layout, view, keep_last=strace_log is not None)
    if strace_log is not None:
        entry = _make_tracing_entry(thread, table, layout, view, run, load, store, strace_log)
    elif load is None:
        entry = run
    else:
        def entry():
            load()
            if run():
                store()
    entry.step_pc = _pc_step(thread, layout, view if load is None else None)
    entry.inline_slots = _inline_slots(layout, view) if load is None and strace_log is None else None
    return entry


def _inline_slots(layout, view):
    """(number, result, PC) slot addresses in the CPU state, for raw.IntrHook's inline
    answer: only where the register array holds all three (m68k) in 32-bit slots."""
    if layout.pc_index is None or layout.slot_bytes != 4 or not layout.conv.advance_pc:
        return None
    import ctypes
    base = ctypes.addressof(view.obj)
    return tuple(base + 4 * i for i in (layout.nr_index, layout.result_index, layout.pc_index))


def _pc_step(thread, layout, view):
    """step(): the PC past the syscall instruction, for conventions with advance_pc (the
    caller runs it first). Where the register array holds the PC (m68k) it moves there,
    as Unicorn's own exception code moves other arches' PCs; else through the API
    (raw.reg_write_from_hook: uc_reg_write2, which leaves the PC's sync at the next
    stop alone), which also makes Unicorn resume at once, from the new PC."""
    advance = layout.conv.advance_pc
    if not advance:
        return None
    if view is not None and layout.pc_index is not None:
        index, mask = layout.pc_index, (1 << 8 * layout.slot_bytes) - 1

        def step():
            view[index] = (view[index] + advance) & mask
        return step
    handle, reg, reg_read, reg_write = thread.handle, thread.arch.REG_PC, raw.reg_read, raw.reg_write_from_hook

    def step():
        reg_write(handle, reg, reg_read(handle, reg) + advance)
    return step


def _make_runner(thread, table, layout, r, keep_last=False):
    """on_syscall(): run the call the registers ask for; True if it wrote a result.
    The hot path of every syscall: what it does not need (a number base, a result
    convention other than -errno, the last result for -strace) it does not do."""
    calls = table.calls_for(layout)
    ncalls = len(calls)
    errno_to_guest = table.abi.errno.to_guest
    nr_index, base, hook = layout.nr_index, table.base, layout.number_hook
    outlier = table.outlier_call
    last = [0]  # the last result as the guest's C function returns it, for -strace
    if layout.conv.error == "negative" and not keep_last:
        result, mask = layout.result_index, table.abi.word_mask
        store = None
    else:
        store = _result_store(thread, table.abi, layout, r)

    def failed(nr, e):
        if isinstance(e, GuestError):
            return -errno_to_guest(e.errno)
        if isinstance(e, OSError):
            if e.errno == host_errno.EINTR:
                return _interrupted(thread, table, nr, layout, r)
            return -errno_to_guest(e.errno or host_errno.EIO)
        return _internal_error(thread, table.name(nr), e)  # a bug of ours: one line, the guest gets ENOSYS

    if store is None and base == 0 and hook is None:
        def on_syscall():
            nr = r[nr_index]  # unsigned: never below 0
            try:
                ret = calls[nr](thread, r) if nr < ncalls else outlier(nr, layout)(thread, r)
            except Exception as e:
                ret = failed(nr, e)
            if ret is None:
                r[result] = 0
            elif ret is KEEP_REGISTERS:
                return False
            else:
                r[result] = ret & mask
            return True
    else:
        def on_syscall():
            # (the number from the instruction or a register, where the convention says: s390x's svc N)
            nr = (r[nr_index] if hook is None else hook(thread, r)) - base
            try:
                ret = calls[nr](thread, r) if 0 <= nr < ncalls else outlier(nr, layout)(thread, r)
            except Exception as e:
                ret = failed(nr, e)
            if ret is None:
                ret = 0
            elif ret is KEEP_REGISTERS:
                return False
            last[0] = ret
            if store is None:
                r[result] = ret & mask
            else:
                store(ret)
            return True
    on_syscall.last = last
    return on_syscall


MAX_ERRNO = 4095  # results in [-MAX_ERRNO, -1] are errors, as the kernel's syscall exit decides


def _result_store(thread, abi, layout, r):
    """store(ret): the result into the guest's registers as its convention says."""
    conv, mask, result = layout.conv, abi.word_mask, layout.result_index
    if conv.error == "negative":
        def store(ret):
            r[result] = ret & mask
        return store
    signed = abi.signed

    def split(ret):
        value = ret if ret < 0 else signed(ret & mask)
        return (-value, True) if -MAX_ERRNO <= value < 0 else (ret & mask, False)

    if conv.error == "flag":
        flag = layout.flag_index

        def store(ret):
            r[result], failed = split(ret)
            r[flag] = 1 if failed else 0
        return store
    hook, uc = conv.error_hook, thread.uc

    def store(ret):
        r[result], failed = split(ret)
        hook(uc, failed)
    return store


# Interrupted by a handled signal, these fail with EINTR even under SA_RESTART
# (the kernel's ERESTARTNOHAND and restart-block cases).
NO_RESTART = frozenset(("nanosleep", "clock_nanosleep", "ppoll", "pselect6", "epoll_pwait", "epoll_pwait2",
                        "rt_sigsuspend", "rt_sigtimedwait", "io_getevents", "semtimedop", "recvmmsg",
                        "clock_nanosleep_time64", "ppoll_time64", "pselect6_time64", "rt_sigtimedwait_time64",
                        "io_pgetevents", "io_pgetevents_time64", "semtimedop_time64", "recvmmsg_time64",
                        "select", "_newselect", "poll", "pause", "sigsuspend", "epoll_wait",
                        "semop", "msgrcv", "msgsnd"))  # signal(7): never restarted, SA_RESTART or not


def _interrupted(thread, table, nr, layout, r):
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
            if action.handler > 1 and action.flags & restart_flag and table.name(nr) not in NO_RESTART:
                arch = thread.arch
                pc = thread.pc() - layout.conv.syscall_insn_size(thread.uc)
                thread.defer(lambda: arch.set_resume_address(thread.uc, pc))
                return KEEP_REGISTERS
            return -table.abi.errno.to_guest(host_errno.EINTR)
        try:
            return table.call(nr, layout)(thread, r)  # the argument registers are still as the guest set them
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
        from .. import tell
        tell.say(traceback.format_exc().rstrip("\n"))
    return -thread.abi.errno.to_guest(host_errno.ENOSYS)


def format_result(thread, decl, ret):
    abi = thread.abi
    value = ret if ret < 0 else abi.signed(ret & abi.word_mask)
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
        hook = layout.number_hook
        index = (r[layout.nr_index] if hook is None else hook(thread, r)) - table.base
        name, decl = table.entry(index)
        try:
            binding = table.binding(index, layout)
            args = binding.raws(thread, r) if binding is not None else [r[i] for i in layout.arg_index]
        except Exception:  # arguments on an unreadable stack, an unbindable declaration
            binding, args = None, [r[i] for i in layout.arg_index]
        name = name or f"syscall_{index + table.base}"
        shown = getattr(decl.fn, "trace_as", None) if binding is not None else None
        if shown is not None:  # a multiplexer (socketcall): shown as the call it stands for
            try:
                name, decl, args = shown(thread, args) or (name, decl, args)
            except Exception:
                pass
        text = f"{os.getpid()} {name}({format_args(thread, decl if binding else None, args)})"
        if name in ("execve", "execveat"):  # a successful one never returns to be shown
            log.write(text + "\n")
            log.flush()
        if name in ("exit", "exit_group", "rt_sigreturn", "sigreturn"):
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
        if thread.process.exec_request is not None:
            return  # an execve in place: like any that succeeds, it does not return to be shown
        log.write(f"{text} = {format_result(thread, decl, run.last[0])}\n")
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
