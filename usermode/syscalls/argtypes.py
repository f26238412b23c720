"""The vocabulary of syscall argument types.

A handler's annotations are instances of these. Each type knows how to turn
the raw register into what the handler wants (`decoder(abi)`, None when the
raw value will do, so the hot path pays nothing) and how -strace shows it
(`show(t, raw, args)`, with every raw argument at hand for buffers sized by
another one; None leaves the argument out).
"""
import errno as host_errno

_MAX_SHOWN = 32  # bytes of a buffer shown by -strace, as strace -s 32


def quote(data, limit=_MAX_SHOWN):
    text = "".join(_QUOTE_TABLE[b] for b in data[:limit])
    return f'"{text}"' + ("..." if len(data) > limit else "")


_QUOTE_TABLE = [chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\x{b:02x}" for b in range(256)]
for _b, _s in ((9, "\\t"), (10, "\\n"), (13, "\\r"), (34, '\\"'), (92, "\\\\")):
    _QUOTE_TABLE[_b] = _s


def low_bits(bits):
    """A decoder keeping the raw word's low `bits` bits, marked (mask_bits) so that
    dispatch leaves it out where the registers hold no more than that (a 32-bit
    guest's 32-bit register slots): an argument's decoding is a call per syscall."""
    mask = (1 << bits) - 1

    def decode(t, raw):
        return raw & mask
    decode.mask_bits = bits
    return decode


class Arg:
    """A raw word passed through unchanged, shown in decimal."""

    def words(self, abi):
        """How many argument words the value takes (2: a 64-bit value in a register pair)."""
        return 1

    def low_word_first(self, abi):
        """For a two-word value: whether its first word is the low half."""
        return abi.endian == "little"

    def decoder(self, abi):
        return None

    def args_decoder(self, abi):
        """decode(t, raw, raws): the decoder given every raw argument too (what a stub
        calls when another argument of the call needs them: dispatch._whole_stub)."""
        plain = self.decoder(abi)
        if plain is None:
            return lambda t, raw, raws: raw
        return lambda t, raw, raws: plain(t, raw)

    def show(self, t, raw, args):
        return str(t.abi.signed(raw))


class Int(Arg):
    """A C int: the low 32 bits, sign-extended."""

    def decoder(self, abi):
        def decode(t, raw):
            raw &= 0xFFFFFFFF
            return raw - 0x100000000 if raw & 0x80000000 else raw
        return decode

    def args_decoder(self, abi):
        if type(self).decoder is not Int.decoder:  # a subclass checks more (Fd): its decoder
            return super().args_decoder(abi)

        def decode(t, raw, raws):  # one call less than the wrapped decoder
            raw &= 0xFFFFFFFF
            return raw - 0x100000000 if raw & 0x80000000 else raw
        return decode

    def show(self, t, raw, args):
        raw &= 0xFFFFFFFF
        return str(raw - 0x100000000 if raw & 0x80000000 else raw)


class UInt(Arg):
    def decoder(self, abi):
        return low_bits(32)

    def show(self, t, raw, args):
        return str(raw & 0xFFFFFFFF)


class Uid(UInt):
    """A uid or gid argument; on the ABIs that kept the 16-bit calls (chown, setuid...
    beside chown32, setuid32), `Uid(16)`, whose -1 (0xffff) means "unchanged"."""

    def __init__(self, bits=32):
        self.bits = bits

    def decoder(self, abi):
        if self.bits == 16:
            return lambda t, raw: 0xFFFFFFFF if raw & 0xFFFF == 0xFFFF else raw & 0xFFFF
        return low_bits(32)


class Long(Arg):
    """A C long (signed word)."""

    def decoder(self, abi):
        bits, sign = abi.bits, abi.sign_bit
        return lambda t, raw: raw - (1 << bits) if raw & sign else raw


class Off64(Arg):
    """A 64-bit signed value (loff_t, u64 lengths): one register on a 64-bit ABI,
    a register pair on a 32-bit one (the convention says where the pair starts;
    dispatch hands the decoder the pair joined as an unsigned 64-bit number)."""

    def words(self, abi):
        return 2 if abi.bits == 32 else 1

    def decoder(self, abi):
        return lambda t, raw: raw - (1 << 64) if raw >> 63 else raw

    def show(self, t, raw, args):
        return str(raw - (1 << 64) if raw >> 63 else raw)


class U64(Off64):
    """A 64-bit unsigned value in one register or a pair (fanotify masks...)."""

    def decoder(self, abi):
        return None

    def show(self, t, raw, args):
        return str(raw)


class SplitOff(Arg):
    """A file position passed as two words low then high on every ABI (preadv,
    pwritev: the kernel's pos_from_hilo), whatever the byte order: a 64-bit ABI
    passes the whole value in the low word."""

    def words(self, abi):
        return 2

    def low_word_first(self, abi):
        return True

    def decoder(self, abi):
        return lambda t, raw: raw - (1 << 64) if raw >> 63 else raw

    def show(self, t, raw, args):
        return str(raw - (1 << 64) if raw >> 63 else raw)


class Size(Arg):
    """size_t / unsigned long: the raw word (masked for 32-bit guests)."""

    def decoder(self, abi):
        if abi.bits == 64:
            return None
        return low_bits(abi.bits)

    def show(self, t, raw, args):
        return str(raw & t.abi.word_mask)


class Fd(Int):
    """A descriptor the guest passes. The emulator's own (process.reserved_fds: its
    signal wake-up pipe, the -D log, gdb's connection) do not exist for the guest:
    EBADF, whatever the call, checked here once for every handler."""

    def decoder(self, abi):
        def decode(t, raw):
            raw &= 0xFFFFFFFF
            fd = raw - 0x100000000 if raw & 0x80000000 else raw
            if fd in t.process.reserved_fds:
                raise _ebadf()
            return fd
        return decode


def _ebadf():
    from ..errors import GuestError
    return GuestError(host_errno.EBADF)


class DirFd(Int):
    """A directory descriptor for a path argument: checked with the path (Path), since
    the kernel looks at it only for a relative path."""

    def show(self, t, raw, args):
        value = super().show(t, raw, args)
        return "AT_FDCWD" if value == "-100" else value


class Ptr(Arg):
    """An address the handler uses itself."""

    def show(self, t, raw, args):
        return hex(raw) if raw else "NULL"


class CStr(Ptr):
    """A NUL-terminated string, decoded to bytes."""

    def decoder(self, abi):
        return lambda t, raw: t.space.cstring(raw) if raw else None

    def show(self, t, raw, args):
        if not raw:
            return "NULL"
        try:
            return quote(t.space.cstring(raw), 256)
        except Exception:
            return hex(raw)


class Path(CStr):
    """A path name, decoded to the host path by the process's PathResolver
    (usermode/paths.py: -L's sysroot, --rootfs's root).

    A relative path starts from the directory in argument `dirfd`; the registry
    names it (`bind`): the DirFd argument just before the path. `nofollow` says
    whether a final symlink is left unresolved (the call acts on the link):
    False, True, or (flags argument, rule) where rule(abi) gives a test of that
    argument's raw value. NULL is EFAULT unless `optional` (then None)."""

    wants_args = True  # its decoder sees every raw argument (dispatch._bind)

    def __init__(self, nofollow=False, optional=False, dirfd=None):
        self.nofollow, self.optional, self.dirfd = nofollow, optional, dirfd
        self._dirfd_index = self._flags_index = None

    def bind(self, names, index):
        """A copy that knows where its dirfd and flags arguments are, from the parameter names."""
        bound = Path(self.nofollow, self.optional, self.dirfd)
        dirfd = self.dirfd
        if dirfd is None and index > 0 and names[index - 1][1] is DirFd:
            dirfd = names[index - 1][0]
        names_only = [n for n, _ in names]
        bound._dirfd_index = names_only.index(dirfd) if dirfd else None
        if isinstance(self.nofollow, tuple):
            bound._flags_index = names_only.index(self.nofollow[0])
        return bound

    def decoder(self, abi):
        return None  # decoded with every argument at hand: args_decoder

    def args_decoder(self, abi):
        optional = self.optional
        di, fi = self._dirfd_index, self._flags_index
        nofollow = self.nofollow
        test = nofollow[1](abi) if isinstance(nofollow, tuple) else None
        to_int = Int().decoder(abi)

        def decode(t, raw, raws):
            if not raw:
                if optional:
                    if di is not None and to_int(t, raws[di]) in t.process.reserved_fds:
                        raise _ebadf()  # NULL path: the call acts on dirfd itself
                    return None
                from ..errors import GuestError
                raise GuestError(host_errno.EFAULT)
            return host_path(t, t.space.cstring(raw), to_int(t, raws[di]) if di is not None else -100,
                             test(raws[fi]) if test is not None else nofollow)
        return decode


def host_path(t, path, dirfd, nofollow):
    """The host path for the guest's path (bytes) from dirfd (AT_FDCWD: -100), its
    final link followed unless nofollow: Path's decoding once the string is read."""
    process = t.process
    if path[:1] != b"/" and dirfd in process.reserved_fds:
        raise _ebadf()  # the emulator's own descriptor (Fd)
    host = process.paths.to_host(path, dirfd, nofollow)
    if host[:5] in (b"/proc", b"/dev/"):
        from ..ownfds import hide_path
        hide_path(t, host)  # /proc/self/fd/N of the emulator's own descriptors: ENOENT
    return host


def at_nofollow(abi):
    """The *at calls' AT_SYMLINK_NOFOLLOW (the same bit on every ABI)."""
    return lambda raw: bool(raw & 0x100)


def at_follow_absent(abi):
    """linkat: the old path's link is followed only with AT_SYMLINK_FOLLOW."""
    return lambda raw: not raw & 0x400


def open_nofollow(abi):
    """open's final link is not followed with O_NOFOLLOW, nor with O_CREAT|O_EXCL (the guest's bits)."""
    table = abi.tables.OPEN
    nofollow, create_excl = table["O_NOFOLLOW"], table["O_CREAT"] | table["O_EXCL"]
    return lambda raw: bool(raw & nofollow) or (raw & create_excl) == create_excl


class InBuf(Ptr):
    """A buffer the guest passes in, its length in argument `length`."""

    def __init__(self, length):
        self.length = length

    def show(self, t, raw, args):
        try:
            size = args[self.length] & 0xFFFFFFFF
            return quote(t.space.read(raw, min(size, _MAX_SHOWN + 1)))
        except Exception:
            return hex(raw)


class OutBuf(Ptr):
    """A buffer the kernel fills."""


class Flags(Arg):
    """Bit flags of one family (group, prefix in the generated tables), decoded to host bits."""

    def __init__(self, group, prefix, fields=(), zero=None, translate=True):
        self.group, self.prefix, self.fields, self.zero = group, prefix, fields, zero
        self.translate = translate

    def decoder(self, abi):
        if not self.translate:
            return Int().decoder(abi)
        fmap = abi.flags(self.group, self.prefix)
        if fmap.identity:
            return low_bits(32)
        return lambda t, raw: fmap.to_host(raw & 0xFFFFFFFF)

    def show(self, t, raw, args):
        return t.abi.flags(self.group, self.prefix).format(raw & 0xFFFFFFFF, self.zero, self.fields)


class Enum(Arg):
    """One value of a family of named constants, shown by name, passed raw."""

    def __init__(self, group, prefix):
        self.group, self.prefix = group, prefix

    def decoder(self, abi):
        return Int().decoder(abi)

    def show(self, t, raw, args):
        value = Int().decoder(t.abi)(t, raw)
        for name, v in getattr(t.abi.tables, self.group).items():
            if v == value and name.startswith(self.prefix):
                return name
        return str(value)


class Mode(UInt):
    def show(self, t, raw, args):
        return f"0{raw & 0xFFFFFFFF:o}" if raw & 0xFFFFFFFF else "0"


class OpenMode(Mode):
    """open's mode: shown only when the flags (argument `flags`) create a file, as strace does."""

    def __init__(self, flags="flags"):
        self.flags = flags

    def show(self, t, raw, args):
        table = t.abi.tables.FILE
        # O_TMPFILE includes O_DIRECTORY's bit: only its own bit means "creating"
        creating = table["O_CREAT"] | (table.get("O_TMPFILE", 0) & ~table["O_DIRECTORY"])
        if not args.get(self.flags, 0) & creating:
            return None
        return super().show(t, raw, args)


class Signal(Int):
    """A signal number, decoded to the host's number."""

    def decoder(self, abi):
        sig = abi.signals
        to_int = Int().decoder(abi)
        if sig.identity:
            return to_int
        return lambda t, raw: sig.to_host(to_int(t, raw))

    def show(self, t, raw, args):
        value = raw & 0xFFFFFFFF
        return t.abi.signals.name(value) or str(value)


# Return types: how -strace shows a successful result.
class Ret(Arg):
    pass


class RetPtr(Ptr):
    pass
