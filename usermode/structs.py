"""Struct layouts declared once over a tiny type vocabulary, packed per ABI.

A layout is a list of (name, type) or (name, type, c_member) where type is one
of the scalar names below, ("bytes", n), or one of two markers that take no
field: ("align", scalar) pads to that scalar's alignment (where C aligns a
union), ("fill", n) pads the struct to n bytes (a fixed-size struct such as
siginfo_t declared by the member of its union that one case uses). Offsets follow the C rules for the
ABI's word size; `c_member` (default: name) is the member path used by the
test that checks every layout against the cross compiler's offsetof/sizeof.
"""
import struct

# type -> (struct code, size); "long"/"ulong"/"ptr" follow the ABI's word size
_FIXED = {
    "i8": ("b", 1), "u8": ("B", 1), "i16": ("h", 2), "u16": ("H", 2),
    "i32": ("i", 4), "u32": ("I", 4), "i64": ("q", 8), "u64": ("Q", 8),
}


def _scalar(abi, typ):
    if typ in _FIXED:
        return _FIXED[typ]
    if typ in ("long", "ulong", "ptr"):
        if abi.bits == 64:
            return ("q" if typ == "long" else "Q"), 8
        return ("i" if typ == "long" else "I"), 4
    raise ValueError(f"unknown field type {typ!r}")


def _field(abi, typ):
    """(struct code, size, alignment) of one member type: a scalar name,
    "sigset" (the kernel's sigset_t: _NSIG bits as longs, kept as bytes),
    ("bytes", n), or ("array", scalar, n) (unpacked as a tuple)."""
    if typ == "sigset":
        return f"{abi.sigset_bytes}s", abi.sigset_bytes, abi.align(abi.word_bytes)
    if isinstance(typ, tuple):
        if typ[0] == "bytes":
            return f"{typ[1]}s", typ[1], 1
        if typ[0] == "array":
            code, size = _scalar(abi, typ[1])
            return f"{typ[2]}{code}", size * typ[2], abi.align(size)
        raise ValueError(f"unknown field type {typ!r}")
    code, size = _scalar(abi, typ)
    return code, size, abi.align(size)


def _alignment(abi, typ):
    return _field(abi, typ)[2]


class Layout:
    """A struct's packed form for one ABI: size, offsets, pack and unpack."""

    def __init__(self, abi, name, fields, align_cap=None):
        self.name = name
        self.fields = []
        self.offsets = {}
        self.c_members = {}
        fmt = [abi.prefix]
        offset = 0
        align_max = 1
        self.arrays = {}
        self.byte_fields = []  # ("bytes", n) members: b"" unless given
        self.scalar_codes = {}  # integer member -> its struct code (limits)
        for entry in fields:
            fname, typ = entry[0], entry[1]
            if isinstance(typ, tuple) and typ[0] in ("align", "fill"):
                target = (offset + -offset % _alignment(abi, typ[1])) if typ[0] == "align" else typ[1]
                if target > offset:
                    fmt.append(f"{target - offset}x")
                    offset = target
                continue
            self.c_members[fname] = entry[2] if len(entry) > 2 else fname
            code, size, align = _field(abi, typ)
            if isinstance(typ, tuple) and typ[0] == "array":
                self.arrays[fname] = typ[2]
            if (isinstance(typ, tuple) and typ[0] == "bytes") or typ == "sigset":
                self.byte_fields.append(fname)
            if align_cap is not None:
                align = min(align, align_cap)
            pad = -offset % align
            if pad:
                fmt.append(f"{pad}x")
                offset += pad
            self.offsets[fname] = offset
            self.fields.append(fname)
            if code.isalpha() and code != "s":  # one integer
                self.scalar_codes[fname] = code
            fmt.append(code)
            offset += size
            align_max = max(align_max, align)
        tail = -offset % align_max
        if tail:
            fmt.append(f"{tail}x")
            offset += tail
        self.struct = struct.Struct("".join(fmt))
        self.size = self.struct.size
        assert self.size == offset, (name, self.size, offset)

    def pack(self, **values):
        if self.byte_fields:
            values = {**{f: b"" for f in self.byte_fields}, **values}
        if self.arrays:
            flat = []
            for f in self.fields:
                n = self.arrays.get(f)
                flat.extend(values.get(f, (0,) * n) if n else (values.get(f, 0),))
            return self.struct.pack(*flat)
        return self.struct.pack(*[values.get(f, 0) for f in self.fields])

    def unpack(self, data):
        values = self.struct.unpack_from(data)
        if not self.arrays:
            return dict(zip(self.fields, values))
        out, i = {}, 0
        for f in self.fields:
            n = self.arrays.get(f)
            if n:
                out[f], i = values[i:i + n], i + n
            else:
                out[f], i = values[i], i + 1
        return out

    @property
    def limits(self):
        """field -> (smallest, largest) value it can hold (integer fields only)."""
        if "_limits" not in self.__dict__:
            out = {}
            for field, code in self.scalar_codes.items():
                size = struct.calcsize("<" + code)
                out[field] = (-(1 << (8 * size - 1)), (1 << (8 * size - 1)) - 1) if code.islower() \
                    else (0, (1 << (8 * size)) - 1)
            self._limits = out
        return self._limits

    def pack_into(self, buf, offset, **values):
        buf[offset:offset + self.size] = self.pack(**values)

    def fits(self, **values):
        """Whether every value fits its field (a host value too big for a 32-bit
        field is EOVERFLOW for the kernel, never a truncated number)."""
        try:
            self.pack(**values)
            return True
        except struct.error:
            return False


class Aligned(list):
    """A declaration whose members the kernel aligns to at most `align` bytes
    (__attribute__((packed, aligned(4))) on ARM EABI's statfs64; packed: 1)."""

    def __init__(self, fields, align):
        super().__init__(fields)
        self.align = align


def Packed(fields):
    return Aligned(fields, 1)


# ---- declarations ----------------------------------------------------------

TIMESPEC = [("tv_sec", "long"), ("tv_nsec", "long")]
# struct __kernel_timespec: what the *_time64 calls of 32-bit ABIs take (64-bit ABIs: = timespec)
TIMESPEC64 = [("tv_sec", "i64"), ("tv_nsec", "i64")]
TIMEVAL = [("tv_sec", "long"), ("tv_usec", "long")]
ITIMERSPEC = [("it_interval_sec", "long", "it_interval.tv_sec"), ("it_interval_nsec", "long", "it_interval.tv_nsec"),
              ("it_value_sec", "long", "it_value.tv_sec"), ("it_value_nsec", "long", "it_value.tv_nsec")]
ITIMERSPEC64 = [("it_interval_sec", "i64", None), ("it_interval_nsec", "i64", None),
                ("it_value_sec", "i64", None), ("it_value_nsec", "i64", None)]
IOVEC = [("iov_base", "ptr"), ("iov_len", "ulong")]

# asm-generic struct stat (riscv64, aarch64, and the other new 64-bit arches)
STAT_GENERIC = [
    ("st_dev", "u64"), ("st_ino", "u64"), ("st_mode", "u32"), ("st_nlink", "u32"),
    ("st_uid", "u32"), ("st_gid", "u32"), ("st_rdev", "u64"), ("__pad1", "u64", None),
    ("st_size", "i64"), ("st_blksize", "i32"), ("__pad2", "i32", None), ("st_blocks", "i64"),
    ("st_atime", "long", "st_atim.tv_sec"), ("st_atime_nsec", "ulong", "st_atim.tv_nsec"),
    ("st_mtime", "long", "st_mtim.tv_sec"), ("st_mtime_nsec", "ulong", "st_mtim.tv_nsec"),
    ("st_ctime", "long", "st_ctim.tv_sec"), ("st_ctime_nsec", "ulong", "st_ctim.tv_nsec"),
    ("__unused4", "u32", None), ("__unused5", "u32", None),
]

# x86-64's own struct stat (arch/x86/include/uapi/asm/stat.h): st_nlink a long, before st_mode
STAT_X86_64 = [
    ("st_dev", "ulong"), ("st_ino", "ulong"), ("st_nlink", "ulong"), ("st_mode", "u32"),
    ("st_uid", "u32"), ("st_gid", "u32"), ("__pad0", "i32", None), ("st_rdev", "ulong"),
    ("st_size", "long"), ("st_blksize", "long"), ("st_blocks", "long"),
    ("st_atime", "ulong", "st_atim.tv_sec"), ("st_atime_nsec", "ulong", "st_atim.tv_nsec"),
    ("st_mtime", "ulong", "st_mtim.tv_sec"), ("st_mtime_nsec", "ulong", "st_mtim.tv_nsec"),
    ("st_ctime", "ulong", "st_ctim.tv_sec"), ("st_ctime_nsec", "ulong", "st_ctim.tv_nsec"),
    ("__unused", ("array", "long", 3), None),
]

# the old struct stat of the 32-bit ABIs that kept it (arm, i386): 16-bit ids, 32-bit sizes
STAT_LEGACY32 = [
    ("st_dev", "ulong"), ("st_ino", "ulong"), ("st_mode", "u16"), ("st_nlink", "u16"),
    ("st_uid", "u16"), ("st_gid", "u16"), ("st_rdev", "ulong"), ("st_size", "ulong"),
    ("st_blksize", "ulong"), ("st_blocks", "ulong"),
    ("st_atime", "ulong", "st_atime"), ("st_atime_nsec", "ulong", "st_atime_nsec"),
    ("st_mtime", "ulong", "st_mtime"), ("st_mtime_nsec", "ulong", "st_mtime_nsec"),
    ("st_ctime", "ulong", "st_ctime"), ("st_ctime_nsec", "ulong", "st_ctime_nsec"),
    ("__unused4", "ulong", None), ("__unused5", "ulong", None),
]
# struct stat64 of arm, i386 and m68k (one declaration: ARM EABI aligns its long longs
# to 8, i386 to 4, which gives 104 and 96 bytes); st_ino twice, 32 and 64 bits
STAT64_LEGACY = [
    ("st_dev", "u64"), ("__pad0", ("bytes", 4), None), ("__st_ino", "u32"), ("st_mode", "u32"),
    ("st_nlink", "u32"), ("st_uid", "u32"), ("st_gid", "u32"), ("st_rdev", "u64"),
    ("__pad3", ("bytes", 4), None), ("st_size", "i64"), ("st_blksize", "u32"), ("st_blocks", "u64"),
    ("st_atime", "u32", "st_atime"), ("st_atime_nsec", "u32", "st_atime_nsec"),
    ("st_mtime", "u32", "st_mtime"), ("st_mtime_nsec", "u32", "st_mtime_nsec"),
    ("st_ctime", "u32", "st_ctime"), ("st_ctime_nsec", "u32", "st_ctime_nsec"), ("st_ino", "u64"),
]

# PowerPC's own (arch/powerpc/include/uapi/asm/stat.h): ppc32's struct stat (a 16-bit
# st_nlink after a 32-bit st_mode) and its stat64 (64-bit st_dev and st_ino, a 16-bit
# pad after st_rdev, 32-bit times)
STAT_PPC32 = [
    ("st_dev", "ulong"), ("st_ino", "ulong"), ("st_mode", "u32"), ("st_nlink", "u16"),
    ("st_uid", "u32"), ("st_gid", "u32"), ("st_rdev", "ulong"), ("st_size", "long"),
    ("st_blksize", "ulong"), ("st_blocks", "ulong"),
    ("st_atime", "ulong", "st_atime"), ("st_atime_nsec", "ulong", "st_atime_nsec"),
    ("st_mtime", "ulong", "st_mtime"), ("st_mtime_nsec", "ulong", "st_mtime_nsec"),
    ("st_ctime", "ulong", "st_ctime"), ("st_ctime_nsec", "ulong", "st_ctime_nsec"),
    ("__unused4", "ulong", None), ("__unused5", "ulong", None),
]
STAT64_PPC = [
    ("st_dev", "u64"), ("st_ino", "u64"), ("st_mode", "u32"), ("st_nlink", "u32"),
    ("st_uid", "u32"), ("st_gid", "u32"), ("st_rdev", "u64"), ("__pad2", "u16", None),
    ("st_size", "i64"), ("st_blksize", "i32"), ("st_blocks", "i64"),
    ("st_atime", "i32", "st_atime"), ("st_atime_nsec", "u32", "st_atime_nsec"),
    ("st_mtime", "i32", "st_mtime"), ("st_mtime_nsec", "u32", "st_mtime_nsec"),
    ("st_ctime", "i32", "st_ctime"), ("st_ctime_nsec", "u32", "st_ctime_nsec"),
    ("__unused4", "u32", None), ("__unused5", "u32", None),
]

# m68k's (arch/m68k/include/uapi/asm/stat.h): a 16-bit st_dev and ids in struct stat,
# stat64's pads of two bytes (the ABI aligns to 2)
STAT_M68K = [
    ("st_dev", "u16"), ("__pad1", "u16", None), ("st_ino", "ulong"), ("st_mode", "u16"),
    ("st_nlink", "u16"), ("st_uid", "u16"), ("st_gid", "u16"), ("st_rdev", "u16"),
    ("__pad2", "u16", None), ("st_size", "ulong"), ("st_blksize", "ulong"), ("st_blocks", "ulong"),
    ("st_atime", "ulong", "st_atime"), ("__unused1", "ulong", None),
    ("st_mtime", "ulong", "st_mtime"), ("__unused2", "ulong", None),
    ("st_ctime", "ulong", "st_ctime"), ("__unused3", "ulong", None),
    ("__unused4", "ulong", None), ("__unused5", "ulong", None),
]
STAT64_M68K = [
    ("st_dev", "u64"), ("__pad1", ("bytes", 2), None), ("__st_ino", "u32"), ("st_mode", "u32"),
    ("st_nlink", "u32"), ("st_uid", "u32"), ("st_gid", "u32"), ("st_rdev", "u64"),
    ("__pad3", ("bytes", 2), None), ("st_size", "i64"), ("st_blksize", "u32"), ("st_blocks", "u64"),
    ("st_atime", "u32", "st_atime"), ("st_atime_nsec", "u32", "st_atime_nsec"),
    ("st_mtime", "u32", "st_mtime"), ("st_mtime_nsec", "u32", "st_mtime_nsec"),
    ("st_ctime", "u32", "st_ctime"), ("st_ctime_nsec", "u32", "st_ctime_nsec"), ("st_ino", "u64"),
]

# s390x's (arch/s390/include/uapi/asm/stat.h, statfs.h): st_nlink before st_mode, the
# sizes after the times; statfs with 32-bit type, size and name length
STAT_S390X = [
    ("st_dev", "ulong"), ("st_ino", "ulong"), ("st_nlink", "ulong"), ("st_mode", "u32"),
    ("st_uid", "u32"), ("st_gid", "u32"), ("__pad1", "u32", None), ("st_rdev", "ulong"),
    ("st_size", "ulong"),
    ("st_atime", "ulong", "st_atime"), ("st_atime_nsec", "ulong", "st_atime_nsec"),
    ("st_mtime", "ulong", "st_mtime"), ("st_mtime_nsec", "ulong", "st_mtime_nsec"),
    ("st_ctime", "ulong", "st_ctime"), ("st_ctime_nsec", "ulong", "st_ctime_nsec"),
    ("st_blksize", "ulong"), ("st_blocks", "long"), ("__unused", ("array", "ulong", 3), None),
]
# MIPS' own (arch/mips/include/uapi/asm/stat.h): o32's struct stat (32-bit sizes and
# times, padding where other ABIs widened fields), o32's stat64 (st_dev still 32 bits:
# the kernel's cp_new_stat64 special-cases MIPS), n64's struct stat (32-bit times)
STAT_MIPS_O32 = [
    ("st_dev", "u32"), ("st_pad1", ("bytes", 12), None), ("st_ino", "ulong"), ("st_mode", "u32"),
    ("st_nlink", "u32"), ("st_uid", "u32"), ("st_gid", "u32"), ("st_rdev", "u32"),
    ("st_pad2", ("bytes", 8), None), ("st_size", "long"), ("st_pad3", ("bytes", 4), None),
    ("st_atime", "long", "st_atime"), ("st_atime_nsec", "long", "st_atime_nsec"),
    ("st_mtime", "long", "st_mtime"), ("st_mtime_nsec", "long", "st_mtime_nsec"),
    ("st_ctime", "long", "st_ctime"), ("st_ctime_nsec", "long", "st_ctime_nsec"),
    ("st_blksize", "long"), ("st_blocks", "long"), ("st_pad4", ("bytes", 56), None),
]
STAT64_MIPS_O32 = [
    ("st_dev", "ulong"), ("st_pad0", ("bytes", 12), None), ("st_ino", "u64"), ("st_mode", "u32"),
    ("st_nlink", "u32"), ("st_uid", "u32"), ("st_gid", "u32"), ("st_rdev", "ulong"),
    ("st_pad1", ("bytes", 12), None), ("st_size", "i64"),
    ("st_atime", "long", "st_atime"), ("st_atime_nsec", "ulong", "st_atime_nsec"),
    ("st_mtime", "long", "st_mtime"), ("st_mtime_nsec", "ulong", "st_mtime_nsec"),
    ("st_ctime", "long", "st_ctime"), ("st_ctime_nsec", "ulong", "st_ctime_nsec"),
    ("st_blksize", "ulong"), ("st_pad2", "ulong", None), ("st_blocks", "i64"),
]
STAT_MIPS_N64 = [
    ("st_dev", "u32"), ("st_pad0", ("bytes", 12), None), ("st_ino", "ulong"), ("st_mode", "u32"),
    ("st_nlink", "u32"), ("st_uid", "u32"), ("st_gid", "u32"), ("st_rdev", "u32"),
    ("st_pad1", ("bytes", 12), None), ("st_size", "long"),
    ("st_atime", "u32", "st_atime"), ("st_atime_nsec", "u32", "st_atime_nsec"),
    ("st_mtime", "u32", "st_mtime"), ("st_mtime_nsec", "u32", "st_mtime_nsec"),
    ("st_ctime", "u32", "st_ctime"), ("st_ctime_nsec", "u32", "st_ctime_nsec"),
    ("st_blksize", "u32"), ("st_pad2", "u32", None), ("st_blocks", "ulong"),
]

# ppc64's (arch/powerpc/include/uapi/asm/stat.h, __powerpc64__): nlink before mode, blksize
# before the times
STAT_PPC64 = [
    ("st_dev", "ulong"), ("st_ino", "ulong"), ("st_nlink", "ulong"), ("st_mode", "u32"),
    ("st_uid", "u32"), ("st_gid", "u32"), ("__pad1", "u32", None), ("st_rdev", "ulong"),
    ("st_size", "long"), ("st_blksize", "ulong"), ("st_blocks", "ulong"),
    ("st_atime", "ulong", "st_atime"), ("st_atime_nsec", "ulong", "st_atime_nsec"),
    ("st_mtime", "ulong", "st_mtime"), ("st_mtime_nsec", "ulong", "st_mtime_nsec"),
    ("st_ctime", "ulong", "st_ctime"), ("st_ctime_nsec", "ulong", "st_ctime_nsec"),
    ("__unused", ("array", "ulong", 3), None),
]

STATX_TIMESTAMP = None  # statx is the same on every ABI: fixed-size fields only
STATX = [
    ("stx_mask", "u32"), ("stx_blksize", "u32"), ("stx_attributes", "u64"),
    ("stx_nlink", "u32"), ("stx_uid", "u32"), ("stx_gid", "u32"), ("stx_mode", "u16"),
    ("__spare0", "u16", None), ("stx_ino", "u64"), ("stx_size", "u64"), ("stx_blocks", "u64"),
    ("stx_attributes_mask", "u64"),
    ("stx_atime_sec", "i64", "stx_atime.tv_sec"), ("stx_atime_nsec", "u32", "stx_atime.tv_nsec"), ("__r0", "i32", None),
    ("stx_btime_sec", "i64", "stx_btime.tv_sec"), ("stx_btime_nsec", "u32", "stx_btime.tv_nsec"), ("__r1", "i32", None),
    ("stx_ctime_sec", "i64", "stx_ctime.tv_sec"), ("stx_ctime_nsec", "u32", "stx_ctime.tv_nsec"), ("__r2", "i32", None),
    ("stx_mtime_sec", "i64", "stx_mtime.tv_sec"), ("stx_mtime_nsec", "u32", "stx_mtime.tv_nsec"), ("__r3", "i32", None),
    ("stx_rdev_major", "u32"), ("stx_rdev_minor", "u32"), ("stx_dev_major", "u32"), ("stx_dev_minor", "u32"),
    ("stx_mnt_id", "u64"), ("__spare2", "u64", None), ("__spare3", ("bytes", 96), None),
]

# struct flock: off_t is a long (64-bit ABIs: flock64 is the same); flock64's are
# long longs (ARM EABI aligns them to 8, so l_start comes after 4 bytes of padding)
FLOCK = [("l_type", "i16"), ("l_whence", "i16"), ("l_start", "long"), ("l_len", "long"), ("l_pid", "i32")]
FLOCK64 = [("l_type", "i16"), ("l_whence", "i16"), ("l_start", "i64"), ("l_len", "i64"), ("l_pid", "i32")]
# MIPS o32's struct flock (its own: l_sysid and four pad words)
FLOCK_MIPS_O32 = FLOCK[:4] + [("l_sysid", "long"), ("l_pid", "i32"), ("pad", ("array", "long", 4), None)]
F_OWNER_EX = [("type", "i32"), ("pid", "i32")]  # F_GETOWN_EX/F_SETOWN_EX; F_OWNER_* are generic

# asm-generic struct statfs (words are longs; f_fsid is two ints)
STATFS = [
    ("f_type", "long"), ("f_bsize", "long"), ("f_blocks", "ulong"), ("f_bfree", "ulong"),
    ("f_bavail", "ulong"), ("f_files", "ulong"), ("f_ffree", "ulong"),
    ("f_fsid0", "i32", "f_fsid.__val[0]"), ("f_fsid1", "i32", "f_fsid.__val[1]"),
    ("f_namelen", "long"), ("f_frsize", "long"), ("f_flags", "long"),
    ("f_spare0", "long", "f_spare[0]"), ("f_spare1", "long", "f_spare[1]"),
    ("f_spare2", "long", "f_spare[2]"), ("f_spare3", "long", "f_spare[3]"),
]

STATFS_S390X = [
    ("f_type", "u32"), ("f_bsize", "u32"), ("f_blocks", "ulong"), ("f_bfree", "ulong"),
    ("f_bavail", "ulong"), ("f_files", "ulong"), ("f_ffree", "ulong"),
    ("f_fsid0", "i32", "f_fsid.__val[0]"), ("f_fsid1", "i32", "f_fsid.__val[1]"),
    ("f_namelen", "u32"), ("f_frsize", "u32"), ("f_flags", "u32"),
    ("f_spare0", "u32", "f_spare[0]"), ("f_spare1", "u32", "f_spare[1]"),
    ("f_spare2", "u32", "f_spare[2]"), ("f_spare3", "u32", "f_spare[3]"),
]
# MIPS' struct statfs: f_frsize third, the counts in another order, five spares
STATFS_MIPS = [
    ("f_type", "long"), ("f_bsize", "long"), ("f_frsize", "long"), ("f_blocks", "long"),
    ("f_bfree", "long"), ("f_files", "long"), ("f_ffree", "long"), ("f_bavail", "long"),
    ("f_fsid0", "i32", "f_fsid.__val[0]"), ("f_fsid1", "i32", "f_fsid.__val[1]"),
    ("f_namelen", "long"), ("f_flags", "long"),
] + [(f"f_spare{i}", "long", f"f_spare[{i}]") for i in range(5)]
# and its statfs64: o32 has 64-bit counts after a pad; n64's is its struct statfs
STATFS64_MIPS_O32 = [
    ("f_type", "long"), ("f_bsize", "long"), ("f_frsize", "long"), ("f_pad", "long", None),
    ("f_blocks", "i64"), ("f_bfree", "i64"), ("f_files", "i64"), ("f_ffree", "i64"), ("f_bavail", "i64"),
    ("f_fsid0", "i32", "f_fsid.val[0]"), ("f_fsid1", "i32", "f_fsid.val[1]"),
    ("f_namelen", "long"), ("f_flags", "long"),
] + [(f"f_spare{i}", "long", f"f_spare[{i}]") for i in range(5)]
STATFS64_MIPS_N64 = STATFS_MIPS[:8] + [("f_fsid0", "i32", "f_fsid.val[0]"), ("f_fsid1", "i32", "f_fsid.val[1]")] \
    + STATFS_MIPS[10:]

# struct statfs64 (asm-generic): __statfs_word fields, 64-bit counts
STATFS64 = [
    ("f_type", "ulong"), ("f_bsize", "ulong"), ("f_blocks", "u64"), ("f_bfree", "u64"),
    ("f_bavail", "u64"), ("f_files", "u64"), ("f_ffree", "u64"),
    ("f_fsid0", "i32", "f_fsid.val[0]"), ("f_fsid1", "i32", "f_fsid.val[1]"),
    ("f_namelen", "ulong"), ("f_frsize", "ulong"), ("f_flags", "ulong"),
    ("f_spare0", "ulong", "f_spare[0]"), ("f_spare1", "ulong", "f_spare[1]"),
    ("f_spare2", "ulong", "f_spare[2]"), ("f_spare3", "ulong", "f_spare[3]"),
]

# the kernel's struct termios (asm-generic/termbits.h: NCCS 19), what TCGETS/TCSETS carry;
# glibc's own struct termios (NCCS 32, speeds) is a different thing
TERMIOS = [
    ("c_iflag", "u32"), ("c_oflag", "u32"), ("c_cflag", "u32"), ("c_lflag", "u32"),
    ("c_line", "u8"), ("c_cc", ("bytes", 19)),
]
# PowerPC's (asm/termbits.h): the control characters before c_line, and the speeds
TERMIOS_PPC = TERMIOS[:4] + [("c_cc", ("bytes", 19)), ("c_line", "u8"), ("c_ispeed", "u32"), ("c_ospeed", "u32")]
# MIPS' (asm/termbits.h: NCCS 23)
TERMIOS_MIPS = TERMIOS[:4] + [("c_line", "u8"), ("c_cc", ("bytes", 23))]
WINSIZE = [("ws_row", "u16"), ("ws_col", "u16"), ("ws_xpixel", "u16"), ("ws_ypixel", "u16")]

# struct linux_dirent64 as getdents64 writes it (glibc's dirent64 with its 256-byte name)
DIRENT64 = [("d_ino", "u64"), ("d_off", "i64"), ("d_reclen", "u16"), ("d_type", "u8"),
            ("d_name", ("bytes", 256))]

# ---- poll, sockets, time and process information (handlers/poll.py, net.py, clock.py, info.py)

POLLFD = [("fd", "i32"), ("events", "i16"), ("revents", "i16")]
# natural alignment on most guests: 16 bytes (x86-64 packs it into 12: the "packed" flavour)
EPOLL_EVENT = [("events", "u32"), ("data", "u64", "data.u64")]
MSGHDR = [
    ("msg_name", "ptr"), ("msg_namelen", "u32"), ("msg_iov", "ptr"), ("msg_iovlen", "ulong"),
    ("msg_control", "ptr"), ("msg_controllen", "ulong"), ("msg_flags", "i32"),
]
# struct mmsghdr (sendmmsg, recvmmsg): a msghdr, then the length sent or received
MMSGHDR = [(n, typ, f"msg_hdr.{n}") for n, typ in MSGHDR] + [("_hdr_end", ("align", "ptr")), ("msg_len", "u32")]
CMSGHDR = [("cmsg_len", "ulong"), ("cmsg_level", "i32"), ("cmsg_type", "i32")]
LINGER = [("l_onoff", "i32"), ("l_linger", "i32")]
UCRED = [("pid", "i32"), ("uid", "u32"), ("gid", "u32")]
TIMEZONE = [("tz_minuteswest", "i32"), ("tz_dsttime", "i32")]
RLIMIT = [("rlim_cur", "ulong"), ("rlim_max", "ulong")]
TMS = [("tms_utime", "long"), ("tms_stime", "long"), ("tms_cutime", "long"), ("tms_cstime", "long")]
# struct sysinfo ends in char _f[20 - 2*sizeof(long) - sizeof(int)]: empty with 64-bit
# longs, 8 bytes with 32-bit ones (info.py appends them)
SYSINFO = [
    ("uptime", "long"), ("load1", "ulong", "loads[0]"), ("load5", "ulong", "loads[1]"),
    ("load15", "ulong", "loads[2]"), ("totalram", "ulong"), ("freeram", "ulong"),
    ("sharedram", "ulong"), ("bufferram", "ulong"), ("totalswap", "ulong"), ("freeswap", "ulong"),
    ("procs", "u16"), ("pad", "u16", None), ("totalhigh", "ulong"), ("freehigh", "ulong"),
    ("mem_unit", "u32"),
]
RUSAGE = [
    ("utime_sec", "long", "ru_utime.tv_sec"), ("utime_usec", "long", "ru_utime.tv_usec"),
    ("stime_sec", "long", "ru_stime.tv_sec"), ("stime_usec", "long", "ru_stime.tv_usec"),
] + [(f"ru_{n}", "long") for n in ("maxrss", "ixrss", "idrss", "isrss", "minflt", "majflt", "nswap",
                                   "inblock", "oublock", "msgsnd", "msgrcv", "nsignals", "nvcsw", "nivcsw")]

# ---- signals (handlers/signals.py, signals/frames.py) ----------------------------------

# the kernel's struct sigaction (not glibc's): a restorer only where the kernel has
# SA_RESTORER, the flags first on MIPS
SIGACTION = {
    "generic": [("handler", "ptr", None), ("flags", "ulong", None), ("restorer", "ptr", None),
                ("mask", "sigset", None)],
    "no_restorer": [("handler", "ptr", None), ("flags", "ulong", None), ("mask", "sigset", None)],
    "mips": [("flags", "u32", None), ("handler", "ptr", None), ("mask", "sigset", None)],
}
OLD_SIGACTION = [("handler", "ptr", "sa_handler"), ("mask", "ulong", "sa_mask"), ("flags", "ulong", "sa_flags"),
                 ("restorer", "ptr", "sa_restorer")]
STACK_T = {
    "generic": [("ss_sp", "ptr"), ("ss_flags", "i32"), ("ss_size", "ulong")],
    "mips": [("ss_sp", "ptr"), ("ss_size", "ulong"), ("ss_flags", "i32")],
}

# siginfo_t, one declaration per member of its union that a case fills (signals/hostinfo.py
# reads the host's); the union is aligned as its widest member, a pointer
_SIGINFO_HEAD = [("si_signo", "i32"), ("si_errno", "i32"), ("si_code", "i32"), ("_union", ("align", "ptr"))]
_SIGINFO_END = [("_end", ("fill", 128))]


def _siginfo(*members):
    """Both heads of one case: MIPS swaps si_code and si_errno."""
    mips_head = [_SIGINFO_HEAD[i] for i in (0, 2, 1, 3)]
    return {"generic": _SIGINFO_HEAD + list(members) + _SIGINFO_END,
            "mips": mips_head + list(members) + _SIGINFO_END}


SIGINFO_KILL = _siginfo(("si_pid", "i32"), ("si_uid", "u32"))
SIGINFO_CHLD = _siginfo(("si_pid", "i32"), ("si_uid", "u32"), ("si_status", "i32"),
                        ("si_utime", "long"), ("si_stime", "long"))
SIGINFO_RT = _siginfo(("si_pid", "i32"), ("si_uid", "u32"), ("si_value", "ptr", "si_value.sival_ptr"))
SIGINFO_TIMER = _siginfo(("si_timerid", "i32"), ("si_overrun", "i32"), ("si_value", "ptr", "si_value.sival_ptr"))
SIGINFO_FAULT = _siginfo(("si_addr", "ptr"))
SIGINFO_POLL = _siginfo(("si_band", "long"), ("si_fd", "i32"))

# credentials and scheduling (handlers/creds.py, sched.py): fixed-size fields, repacked for byte order
CAP_HEADER = [("version", "u32"), ("pid", "i32")]
CAP_DATA = [("effective", "u32"), ("permitted", "u32"), ("inheritable", "u32")]
SCHED_PARAM = [("sched_priority", "i32")]
SCHED_ATTR = [
    ("size", "u32"), ("sched_policy", "u32"), ("sched_flags", "u64"), ("sched_nice", "i32"),
    ("sched_priority", "u32"), ("sched_runtime", "u64"), ("sched_deadline", "u64"), ("sched_period", "u64"),
    ("sched_util_min", "u32"), ("sched_util_max", "u32"),
]

# struct timex (adjtimex, clock_adjtime): longs, ints, a timeval, eleven spare ints
TIMEX = [
    ("modes", "u32"), ("offset", "long"), ("freq", "long"), ("maxerror", "long"), ("esterror", "long"),
    ("status", "i32"), ("constant", "long"), ("precision", "long"), ("tolerance", "long"),
    ("time_sec", "long", "time.tv_sec"), ("time_usec", "long", "time.tv_usec"), ("tick", "long"),
    ("ppsfreq", "long"), ("jitter", "long"), ("shift", "i32"), ("stabil", "long"), ("jitcnt", "long"),
    ("calcnt", "long"), ("errcnt", "long"), ("stbcnt", "long"), ("tai", "i32"),
] + [(f"__spare{i}", "i32", None) for i in range(11)]

# struct __kernel_timex (clock_adjtime64 of 32-bit ABIs): every long a long long, and
# explicit padding after the ints that precede one, so it is one layout everywhere
TIMEX64 = []
for _entry in TIMEX:
    TIMEX64.append((_entry[0], "i64", *_entry[2:]) if _entry[1] == "long" else _entry)
    if _entry[0] in ("modes", "status", "shift"):
        TIMEX64.append((f"__pad_{_entry[0]}", "i32", None))

# SysV IPC (handlers/ipc.py), the kernel's 64-bit forms (ipc64_perm, msqid64_ds, ...) that
# glibc's structs follow on 64-bit ABIs; 32-bit ABIs split each time into two words.
# ipc_perm's mode is a u32 here; x86-64's kernel has a u16 and two bytes of padding, which
# on the (little-endian) host are the same bytes while the padding stays zero.
def _ipc_perm(prefix):
    return [("key", "i32", f"{prefix}.__key"), ("uid", "u32", f"{prefix}.uid"), ("gid", "u32", f"{prefix}.gid"),
            ("cuid", "u32", f"{prefix}.cuid"), ("cgid", "u32", f"{prefix}.cgid"), ("mode", "u32", f"{prefix}.mode"),
            ("seq", "u16", f"{prefix}.__seq"), ("__pad2", "u16", None), ("__unused1", "ulong", None),
            ("__unused2", "ulong", None)]


def _ipc_times(names, bits):
    """The times of a 64-bit ABI's *id64_ds are longs; a 32-bit ABI's kernel gives each
    a second word with its high half (split and joined by handlers/ipc.py)."""
    if bits == 64:
        return [(n, "long") for n in names]
    return [f for n in names for f in ((n, "ulong"), (f"{n}_high", "ulong", f"__{n}_high"))]


def _ipc_flavours(perm, times, before, after):
    return {f"generic{bits}": _ipc_perm(perm) + before + _ipc_times(times, bits) + after for bits in (32, 64)}


MSQID_DS = _ipc_flavours("msg_perm", ("msg_stime", "msg_rtime", "msg_ctime"), [], [
    ("msg_cbytes", "ulong", "__msg_cbytes"), ("msg_qnum", "ulong"), ("msg_qbytes", "ulong"),
    ("msg_lspid", "i32"), ("msg_lrpid", "i32"), ("__unused4", "ulong", None), ("__unused5", "ulong", None),
])
SEMID_DS = _ipc_flavours("sem_perm", ("sem_otime", "sem_ctime"), [], [
    ("sem_nsems", "ulong"), ("__unused3", "ulong", None), ("__unused4", "ulong", None),
])
SHMID_DS = _ipc_flavours("shm_perm", ("shm_atime", "shm_dtime", "shm_ctime"), [("shm_segsz", "ulong")], [
    ("shm_cpid", "i32"), ("shm_lpid", "i32"), ("shm_nattch", "ulong"),
    ("__unused4", "ulong", None), ("__unused5", "ulong", None),
])
# ppc's (arch/powerpc/include/uapi/asm/ipcbuf.h, msgbuf.h, sembuf.h, shmbuf.h): a 32-bit
# seq, 64-bit spares, and on 32-bit each time's high word before it; shm_segsz late
_IPC_PERM_PPC = lambda prefix: _ipc_perm(prefix)[:6] + [
    ("seq", "u32", f"{prefix}.__seq"), ("__pad1", "u32", None), ("__unused1", "u64", None), ("__unused2", "u64", None)]


def _ppc_times(names):
    return [f for n in names for f in ((f"{n}_high", "ulong", f"__{n}_high"), (n, "ulong"))]


MSQID_DS["ppc"] = _IPC_PERM_PPC("msg_perm") + _ppc_times(("msg_stime", "msg_rtime", "msg_ctime")) + [
    ("msg_cbytes", "ulong", "__msg_cbytes"), ("msg_qnum", "ulong"), ("msg_qbytes", "ulong"),
    ("msg_lspid", "i32"), ("msg_lrpid", "i32"), ("__unused4", "ulong", None), ("__unused5", "ulong", None),
]
SEMID_DS["ppc"] = _IPC_PERM_PPC("sem_perm") + _ppc_times(("sem_otime", "sem_ctime")) + [
    ("sem_nsems", "ulong"), ("__unused3", "ulong", None), ("__unused4", "ulong", None),
]
SHMID_DS["ppc"] = _IPC_PERM_PPC("shm_perm") + _ppc_times(("shm_atime", "shm_dtime", "shm_ctime")) + [
    ("__unused2", "ulong", None), ("shm_segsz", "ulong"), ("shm_cpid", "i32"), ("shm_lpid", "i32"),
    ("shm_nattch", "ulong"), ("__unused4", "ulong", None), ("__unused5", "ulong", None),
]
# ppc64's: the same ipc64_perm, the times without high words, shm_segsz after them
MSQID_DS["ppc64"] = _IPC_PERM_PPC("msg_perm") + [(n, "ulong") for n in ("msg_stime", "msg_rtime", "msg_ctime")] + \
    MSQID_DS["ppc"][-7:]
SEMID_DS["ppc64"] = _IPC_PERM_PPC("sem_perm") + [(n, "ulong") for n in ("sem_otime", "sem_ctime")] + \
    SEMID_DS["ppc"][-3:]
SHMID_DS["ppc64"] = _IPC_PERM_PPC("shm_perm") + [(n, "ulong") for n in ("shm_atime", "shm_dtime", "shm_ctime")] + \
    SHMID_DS["ppc"][-6:]
# m68k's: asm-generic's 32-bit structs with its 16-bit __kernel_mode_t (two bytes of pad
# after mode; glibc shifts the mode it reads, __ASSUME_SYSVIPC_BROKEN_MODE_T); declared
# with the kernel's member names (checked against struct msqid64_ds ...)
def _ipc_perm_m68k(prefix):
    return [("key", "i32", f"{prefix}.key"), ("uid", "u32", f"{prefix}.uid"), ("gid", "u32", f"{prefix}.gid"),
            ("cuid", "u32", f"{prefix}.cuid"), ("cgid", "u32", f"{prefix}.cgid"), ("mode", "u16", f"{prefix}.mode"),
            ("__pad1", "u16", None), ("seq", "u16", f"{prefix}.seq"), ("__pad2", "u16", None),
            ("__unused1", "ulong", None), ("__unused2", "ulong", None)]


def _kernel_times(names):
    return [f for n in names for f in ((n, "ulong"), (f"{n}_high", "ulong"))]


MSQID_DS["m68k"] = _ipc_perm_m68k("msg_perm") + _kernel_times(("msg_stime", "msg_rtime", "msg_ctime")) + [
    ("msg_cbytes", "ulong"), ("msg_qnum", "ulong"), ("msg_qbytes", "ulong"),
    ("msg_lspid", "i32"), ("msg_lrpid", "i32"), ("__unused4", "ulong", None), ("__unused5", "ulong", None),
]
SEMID_DS["m68k"] = _ipc_perm_m68k("sem_perm") + _kernel_times(("sem_otime", "sem_ctime")) + [
    ("sem_nsems", "ulong"), ("__unused3", "ulong", None), ("__unused4", "ulong", None),
]
SHMID_DS["m68k"] = _ipc_perm_m68k("shm_perm") + [("shm_segsz", "ulong")] \
    + _kernel_times(("shm_atime", "shm_dtime", "shm_ctime")) + [
    ("shm_cpid", "i32"), ("shm_lpid", "i32"), ("shm_nattch", "ulong"),
    ("__unused4", "ulong", None), ("__unused5", "ulong", None),
]
# MIPS o32's own (arch/mips/include/uapi/asm/{msg,sem,shm}buf.h): msqid64_ds puts each
# time's high word first on big-endian; semid64_ds has both high words after sem_nsems;
# shmid64_ds has one-word times, then u16 high halves at its end
MSQID_DS["mips_o32_be"] = _ipc_perm("msg_perm") + [
    f for n in ("msg_stime", "msg_rtime", "msg_ctime") for f in ((f"{n}_high", "ulong", f"__{n}_high"), (n, "ulong"))
] + MSQID_DS["generic32"][len(_ipc_perm("msg_perm")) + 6:]
SEMID_DS["mips_o32"] = _ipc_perm("sem_perm") + [
    ("sem_otime", "ulong"), ("sem_ctime", "ulong"), ("sem_nsems", "ulong"),
    ("sem_otime_high", "ulong", "__sem_otime_high"), ("sem_ctime_high", "ulong", "__sem_ctime_high"),
]
SHMID_DS["mips_o32"] = _ipc_perm("shm_perm") + [
    ("shm_segsz", "ulong"), ("shm_atime", "ulong"), ("shm_dtime", "ulong"), ("shm_ctime", "ulong"),
    ("shm_cpid", "i32"), ("shm_lpid", "i32"), ("shm_nattch", "ulong"),
    ("shm_atime_high", "u16", "__shm_atime_high"), ("shm_dtime_high", "u16", "__shm_dtime_high"),
    ("shm_ctime_high", "u16", "__shm_ctime_high"), ("__unused1", "u16", None),
]
# the host's (x86-64's) semid64_ds keeps a spare word after each time, unlike asm-generic's
HOST_X86_64_SEMID_DS = _ipc_perm("sem_perm") + [
    ("sem_otime", "long"), ("__unused1", "ulong", None), ("sem_ctime", "long"), ("__unused2", "ulong", None),
    ("sem_nsems", "ulong"), ("__unused3", "ulong", None), ("__unused4", "ulong", None),
]
SEMID_DS["x86_64"] = HOST_X86_64_SEMID_DS  # an x86-64 guest's too
MSGINFO = [(n, "i32") for n in ("msgpool", "msgmap", "msgmax", "msgmnb", "msgmni", "msgssz", "msgtql")] + \
    [("msgseg", "u16")]
SEMINFO = [(n, "i32") for n in ("semmap", "semmni", "semmns", "semmnu", "semmsl", "semopm", "semume", "semusz",
                                "semvmx", "semaem")]
SHMINFO = [(n, "ulong") for n in ("shmmax", "shmmin", "shmmni", "shmseg", "shmall")] + \
    [(f"__unused{i}", "ulong", None) for i in range(1, 5)]
SHM_INFO = [("used_ids", "i32")] + [(n, "ulong") for n in ("shm_tot", "shm_rss", "shm_swp", "swap_attempts",
                                                           "swap_successes")]
SEMBUF = [("sem_num", "u16"), ("sem_op", "i16"), ("sem_flg", "i16")]
MQ_ATTR = [("mq_flags", "long"), ("mq_maxmsg", "long"), ("mq_msgsize", "long"), ("mq_curmsgs", "long")] + \
    [(f"__pad{i}", "long", None) for i in range(4)]

# <linux/loop.h>: fixed-width members only, the same on every ABI but for byte order
LOOP_INFO64 = [("lo_device", "u64"), ("lo_inode", "u64"), ("lo_rdevice", "u64"), ("lo_offset", "u64"),
               ("lo_sizelimit", "u64"), ("lo_number", "u32"), ("lo_encrypt_type", "u32"),
               ("lo_encrypt_key_size", "u32"), ("lo_flags", "u32"), ("lo_file_name", ("bytes", 64)),
               ("lo_crypt_name", ("bytes", 64)), ("lo_encrypt_key", ("bytes", 32)),
               ("lo_init0", "u64", "lo_init[0]"), ("lo_init1", "u64", "lo_init[1]")]
LOOP_CONFIG = [("fd", "u32"), ("block_size", "u32")] + \
    [(f"info_{e[0]}", e[1], f"info.{e[2] if len(e) > 2 else e[0]}") for e in LOOP_INFO64] + \
    [(f"__reserved{i}", "u64", f"__reserved[{i}]") for i in range(8)]
# <net/if.h> struct ifreq: the interface name, then a union (sockaddr, short, int, struct
# ifmap of two longs...) whose size follows the word size; one declaration per member used
_IFREQ_SIZE = {"generic64": 40, "generic32": 32}
IFREQ_ADDR = {f: [("ifr_name", ("bytes", 16)), ("sa_family", "u16", "ifr_addr.sa_family"),
                  ("sa_data", ("bytes", 14), "ifr_addr.sa_data"), ("", ("fill", n))] for f, n in _IFREQ_SIZE.items()}
IFREQ_INT = {f: [("ifr_name", ("bytes", 16)), ("ifr_ifindex", "i32"), ("", ("fill", n))]
             for f, n in _IFREQ_SIZE.items()}
IFREQ_SHORT = {f: [("ifr_name", ("bytes", 16)), ("ifr_flags", "i16"), ("", ("fill", n))]
               for f, n in _IFREQ_SIZE.items()}
IFCONF = [("ifc_len", "i32"), ("ifc_buf", "ptr", "ifc_ifcu.ifcu_buf")]

DECLARATIONS = {
    "timespec": TIMESPEC,
    "timespec64": TIMESPEC64,
    "itimerspec": ITIMERSPEC,
    "itimerspec64": ITIMERSPEC64,
    "sigaction": SIGACTION,
    # the 32-bit ABIs' old one (a one-word mask); 64-bit ABIs have none; MIPS o32's is
    # its struct sigaction, of whose mask the call uses the first word
    # (the same on PowerPC, whose uapi header names it struct old_sigaction: C_TYPES)
    "old_sigaction": {"generic32": OLD_SIGACTION, "ppc": OLD_SIGACTION,
                      "mips": [("flags", "u32", "sa_flags"), ("handler", "ptr", "sa_handler"),
                               ("mask", "sigset", "sa_mask")]},
    "stack_t": STACK_T,
    "timeval": TIMEVAL,
    "iovec": IOVEC,
    "stat": {"generic": STAT_GENERIC, "legacy32": STAT_LEGACY32, "x86_64": STAT_X86_64, "mips_o32": STAT_MIPS_O32,
             "mips_n64": STAT_MIPS_N64, "ppc32": STAT_PPC32, "s390x": STAT_S390X, "m68k": STAT_M68K,
             "ppc64": STAT_PPC64},
    "stat64": {"legacy": STAT64_LEGACY, "mips_o32": STAT64_MIPS_O32, "ppc": STAT64_PPC, "m68k": STAT64_M68K},
    "statx": STATX,
    "flock": {"generic": FLOCK, "mips_o32": FLOCK_MIPS_O32},
    "flock64": FLOCK64,
    "f_owner_ex": F_OWNER_EX,
    "statfs": {"generic": STATFS, "mips": STATFS_MIPS, "s390x": STATFS_S390X},
    "statfs64": {"generic": STATFS64, "eabi": Aligned(STATFS64, 4), "mips_o32": STATFS64_MIPS_O32,
                 "mips_n64": STATFS64_MIPS_N64,
                 "s390x": [(n, "u64" if t == "ulong" else t, *[m.replace("__val", "val") for m in rest])
                           for n, t, *rest in STATFS_S390X]},
    "termios": {"generic": TERMIOS, "mips": TERMIOS_MIPS, "ppc": TERMIOS_PPC},
    "winsize": WINSIZE,
    "dirent64": DIRENT64,
    "pollfd": POLLFD,
    # x86-64 packs it (12 bytes); i386's 4-byte alignment of a u64 gives the same
    "epoll_event": {"generic": EPOLL_EVENT, "packed": Packed(EPOLL_EVENT)},
    "msghdr": MSGHDR,
    "cmsghdr": CMSGHDR,
    "mmsghdr": MMSGHDR,
    "linger": LINGER,
    "ucred": UCRED,
    "timezone": TIMEZONE,
    "tms": TMS,
    "rlimit": RLIMIT,
    # char _f[20 - 2 * sizeof(long) - sizeof(int)]: nothing with 64-bit longs
    "sysinfo": {"generic64": SYSINFO, "generic32": SYSINFO + [("_f", ("bytes", 8), None)]},
    "rusage": RUSAGE,
    "siginfo_kill": SIGINFO_KILL,
    "siginfo_chld": SIGINFO_CHLD,
    "siginfo_rt": SIGINFO_RT,
    "siginfo_timer": SIGINFO_TIMER,
    "siginfo_fault": SIGINFO_FAULT,
    "siginfo_poll": SIGINFO_POLL,
    "cap_header": CAP_HEADER,
    "cap_data": CAP_DATA,
    "sched_param": SCHED_PARAM,
    "sched_attr": SCHED_ATTR,
    "timex": TIMEX,
    "timex64": TIMEX64,
    "msqid_ds": MSQID_DS,
    "semid_ds": SEMID_DS,
    "shmid_ds": SHMID_DS,
    "msginfo": MSGINFO,
    "seminfo": SEMINFO,
    "shminfo": SHMINFO,
    "shm_info": SHM_INFO,
    "sembuf": SEMBUF,
    "mq_attr": MQ_ATTR,
    "loop_info64": LOOP_INFO64,
    "loop_config": LOOP_CONFIG,
    "ifreq_addr": IFREQ_ADDR,
    "ifreq_int": IFREQ_INT,
    "ifreq_short": IFREQ_SHORT,
    "ifconf": IFCONF,
}


# For the layout test: the C type and headers of a declaration, where they are not
# `struct <name>` from the usual glibc headers.
C_TYPES = {
    "old_sigaction": ("struct sigaction", ["asm/signal.h"]),
    ("old_sigaction", "ppc"): ("struct old_sigaction", ["asm/signal.h"]),
    ("stat", "legacy32"): ("struct stat", ["asm/stat.h"]),
    ("stat", "ppc32"): ("struct stat", ["asm/stat.h"]),
    ("stat", "s390x"): ("struct stat", ["asm/stat.h"]),
    ("stat", "m68k"): ("struct stat", ["asm/stat.h"]),
    ("stat", "ppc64"): ("struct stat", ["asm/stat.h"]),
    ("msqid_ds", "m68k"): ("struct msqid64_ds", ["linux/types.h", "asm/ipcbuf.h", "asm/msgbuf.h"]),
    ("semid_ds", "m68k"): ("struct semid64_ds", ["linux/types.h", "asm/ipcbuf.h", "asm/sembuf.h"]),
    ("shmid_ds", "m68k"): ("struct shmid64_ds", ["linux/types.h", "asm/ipcbuf.h", "asm/shmbuf.h"]),
    ("stat", "mips_o32"): ("struct stat", ["asm/stat.h"]),
    ("stat", "mips_n64"): ("struct stat", ["asm/stat.h"]),
    "stat64": ("struct stat64", ["asm/stat.h"]),
    "statfs64": ("struct statfs64", ["asm/statfs.h"]),
    "flock64": ("struct flock64", ["fcntl.h"]),
    "timespec64": ("struct __kernel_timespec", ["linux/time_types.h"]),
    "itimerspec64": ("struct __kernel_itimerspec", ["linux/time_types.h"]),
    "stack_t": ("stack_t", ["signal.h"]),
    "termios": ("struct termios", ["asm/termbits.h"]),
    "winsize": ("struct winsize", ["sys/ioctl.h"]),
    "statfs": ("struct statfs", ["sys/vfs.h"]),
    "dirent64": ("struct dirent64", ["dirent.h"]),
    "cap_header": ("struct __user_cap_header_struct", ["linux/capability.h"]),
    "cap_data": ("struct __user_cap_data_struct", ["linux/capability.h"]),
    "sched_attr": ("struct sched_attr", ["linux/sched/types.h"]),
    "timex": ("struct timex", ["sys/timex.h"]),
    "timex64": ("struct __kernel_timex", ["linux/timex.h"]),
    "msqid_ds": ("struct msqid_ds", ["sys/msg.h"]),
    "msginfo": ("struct msginfo", ["sys/msg.h"]),
    "semid_ds": ("struct semid_ds", ["sys/sem.h"]),
    "seminfo": ("struct seminfo", ["sys/sem.h"]),
    "sembuf": ("struct sembuf", ["sys/sem.h"]),
    "shmid_ds": ("struct shmid_ds", ["sys/shm.h"]),
    "shminfo": ("struct shminfo", ["sys/shm.h"]),
    "shm_info": ("struct shm_info", ["sys/shm.h"]),
    "mq_attr": ("struct mq_attr", ["mqueue.h"]),
    "loop_info64": ("struct loop_info64", ["linux/loop.h"]),
    "loop_config": ("struct loop_config", ["linux/loop.h"]),
    "ifreq_addr": ("struct ifreq", ["net/if.h"]),
    "ifreq_int": ("struct ifreq", ["net/if.h"]),
    "ifreq_short": ("struct ifreq", ["net/if.h"]),
    "ifconf": ("struct ifconf", ["net/if.h"]),
    **{name: ("siginfo_t", ["signal.h"]) for name in
       ("siginfo_kill", "siginfo_chld", "siginfo_rt", "siginfo_timer", "siginfo_fault", "siginfo_poll")},
}


def flavour_of(abi, name, decl):
    """Which flavour of a per-arch declaration an ABI uses: the one its cpu module
    names, else the one for its word size ("generic32"/"generic64"), else "generic"."""
    flavour = abi.layout_flavours.get(name)
    if flavour is None:
        flavour = f"generic{abi.bits}" if f"generic{abi.bits}" in decl else "generic"
    if flavour not in decl:
        raise KeyError(f"{abi.name}: no {flavour!r} flavour of struct {name}")
    return flavour


class Layouts:
    """Every declared layout packed for one ABI, built on first use: layouts.stat.pack(...)."""

    def __init__(self, abi):
        self._abi = abi

    def __getattr__(self, name):
        decl = DECLARATIONS.get(name)
        if decl is None:
            raise AttributeError(name)
        if isinstance(decl, dict):  # per-ABI flavour
            decl = decl[flavour_of(self._abi, name, decl)]
        layout = Layout(self._abi, name, decl, align_cap=getattr(decl, "align", None))
        setattr(self, name, layout)
        return layout
