"""The guest ABI: word size, byte order, alignment, the kernel constants of one
architecture, and its quirks.

Everything that depends on those (struct packing, flag translation, the stack
builder, syscall argument decoding) takes an Abi instead of asking "which arch?".
Quirks are named flags (`abi.has("old_mmap")`) that pick a handler variant or a
struct flavour; the registers of a syscall are the cpu module's Convention.
"""
import struct
import sys
from functools import cached_property

from .translate import FlagMap, ValueMap

# Quirks an ABI may declare, and what each means. A name outside this list is a typo.
QUIRKS = {
    "old_mmap": "mmap takes a pointer to its six arguments (i386, s390x, m68k)",
    "old_select": "select takes a pointer to its five arguments (i386's 82)",
    "clone_backwards2": "clone(newsp, flags, ptid, ctid, tls) (s390x)",
    "clone_tls_last": "clone(flags, newsp, ptid, ctid, tls) (x86, m68k: the kernel's default order)",
    "time32": "the old calls with 32-bit time_t exist beside the *_time64 ones",
    "statfs64_88": "statfs64/fstatfs64 take 88 for the size of the packed 84-byte struct (ARM EABI's wrappers)",
    "sigsuspend1": "sigsuspend(mask) instead of sigsuspend(0, 0, mask) (the kernel's OLD_SIGSUSPEND)",
    "ipc5": "ipc has five arguments: SEMTIMEDOP's timeout in the third, a version above 0 EINVAL (s390x)",
    "uid16": "the plain id calls (getuid, chown...) take 16-bit ids; the *32 ones 32-bit (arm, i386, m68k)",
}


def _module(name):
    """importlib.import_module without importlib (and warnings): 0.5 ms of every start-up."""
    __import__(name)
    return sys.modules[name]


class Abi:
    def __init__(self, name, bits, endian, tables_name=None, *, max_align=8, layouts=None, quirks=()):
        self.name = name
        self.bits = bits
        self.endian = endian  # "little" or "big"
        self.word_bytes = bits // 8
        self.word_mask = (1 << bits) - 1
        self.sign_bit = 1 << (bits - 1)
        self.prefix = "<" if endian == "little" else ">"
        # The largest alignment a scalar gets: 8 on most ABIs, 4 on i386 (a long long
        # member is only word aligned), 2 on m68k (an int is only aligned to 2).
        self.max_align = max_align
        # struct name -> flavour, for structs whose kernel declaration differs by arch
        # (structs.DECLARATIONS holds each flavour); unnamed ones are "generic".
        self.layout_flavours = dict(layouts or {})
        unknown = set(quirks) - set(QUIRKS)
        if unknown:
            raise ValueError(f"unknown ABI quirks: {sorted(unknown)}")
        self.quirks = frozenset(quirks)
        self.tables = _module(f"usermode.tables.{tables_name or name}")
        self.word = struct.Struct(self.prefix + ("Q" if bits == 64 else "I"))
        self._formats = {}

    def has(self, quirk):
        return quirk in self.quirks

    def align(self, size):
        return min(size, self.max_align)

    def signed(self, value):
        """A raw register value as the C `long` the guest meant."""
        return value - (1 << self.bits) if value & self.sign_bit else value

    def pack_words(self, values):
        return struct.pack(self.prefix + ("Q" if self.bits == 64 else "I") * len(values),
                           *[v & self.word_mask for v in values])

    @cached_property
    def nsig(self):
        """The kernel's _NSIG: 64, or 128 on MIPS (whose glibc stops at 127: the
        kernel's own header wins where it says)."""
        return self.tables.KSIGNAL.get("_NSIG") or self.tables.NSIG["__SIGRTMAX"]

    @cached_property
    def sigset_bytes(self):
        return self.nsig // 8

    @cached_property
    def host(self):
        return _module("usermode.tables.x86_64")

    # Translations between this guest's constants and the host's, by name.
    @cached_property
    def errno(self):
        return ValueMap(self.tables.ERRNO, self.host.ERRNO)

    @cached_property
    def signals(self):
        return ValueMap(self.tables.SIGNALS, self.host.SIGNALS)

    def flags(self, group, prefix):
        """A FlagMap for one family of flags, e.g. flags("FILE", "O_")."""
        key = (group, prefix)
        cache = self.__dict__.setdefault("_flag_cache", {})
        if key not in cache:
            guest = {k: v for k, v in getattr(self.tables, group).items() if k.startswith(prefix)}
            host = {k: v for k, v in getattr(self.host, group).items() if k.startswith(prefix)}
            cache[key] = FlagMap(guest, host)
        return cache[key]

    def const_map(self, group, prefix):
        """A ValueMap for one family of enumerated constants, e.g. ("RESOURCE", "RLIMIT_")."""
        key = (group, prefix)
        cache = self.__dict__.setdefault("_value_cache", {})
        if key not in cache:
            cache[key] = ValueMap(
                {k: v for k, v in getattr(self.tables, group).items() if k.startswith(prefix)},
                {k: v for k, v in getattr(self.host, group).items() if k.startswith(prefix)})
        return cache[key]

    def _format(self, fmt):
        """struct format in the guest's byte order; W and w are the guest's unsigned
        and signed long (its word), so callers never pick by word size themselves."""
        compiled = self._formats.get(fmt)
        if compiled is None:
            word = "Q" if self.bits == 64 else "I"
            compiled = self._formats[fmt] = struct.Struct(
                self.prefix + fmt.replace("W", word).replace("w", word.lower()))
        return compiled

    def pack(self, fmt, *values):
        return self._format(fmt).pack(*values)

    def unpack(self, fmt, data):
        return self._format(fmt).unpack_from(data)

    def size(self, fmt):
        return self._format(fmt).size

    def const(self, group, name):
        return getattr(self.tables, group)[name]
