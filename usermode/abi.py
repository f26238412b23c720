"""The guest ABI: word size, byte order, and the kernel constants of one architecture.

Everything that depends on those (struct packing, flag translation, the stack
builder, syscall argument decoding) takes an Abi instead of asking "which arch?".
"""
import importlib
import struct
from functools import cached_property

from .translate import FlagMap, ValueMap


class Abi:
    def __init__(self, name, bits, endian, tables_name=None, stat_layout="generic", i64_align=8):
        self.name = name
        self.bits = bits
        self.endian = endian  # "little" or "big"
        self.word_bytes = bits // 8
        self.word_mask = (1 << bits) - 1
        self.sign_bit = 1 << (bits - 1)
        self.prefix = "<" if endian == "little" else ">"
        self.stat_layout = stat_layout
        self.i64_align = i64_align  # 4 on i386: 64-bit members are only word aligned
        self.tables = importlib.import_module(f"usermode.tables.{tables_name or name}")
        self.word = struct.Struct(self.prefix + ("Q" if bits == 64 else "I"))

    def signed(self, value):
        """A raw register value as the C `long` the guest meant."""
        return value - (1 << self.bits) if value & self.sign_bit else value

    def pack_words(self, values):
        return struct.pack(self.prefix + ("Q" if self.bits == 64 else "I") * len(values),
                           *[v & self.word_mask for v in values])

    @cached_property
    def host(self):
        return importlib.import_module("usermode.tables.x86_64")

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

    def pack(self, fmt, *values):
        return struct.pack(self.prefix + fmt, *values)

    def unpack(self, fmt, data):
        return struct.unpack_from(self.prefix + fmt, data)

    def const(self, group, name):
        return getattr(self.tables, group)[name]
