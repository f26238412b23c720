"""A host stat result in the guest's struct stat or stat64, as the kernel's
cp_new_stat/cp_new_stat64 fill them: a 16-bit id field gets the overflow id,
stat64's 32-bit __st_ino the low bits of the inode, and any other value too big
for its field is EOVERFLOW.

This is on the path of every stat, fstat and lstat, so each layout gets its own
packing function, made once from the layout's field list: one struct.pack whose
arguments are read straight from os.stat_result (its first ten items are ints,
the times there the kernel's whole seconds, tv_sec). A lambda made from source
(as collections.namedtuple makes its methods) takes 0.43 us where a tuple of
every value reordered by an itemgetter took 0.88. Every value fits nearly always;
when one does not (struct.error), the field-by-field way decides.
"""
import errno
import struct

from ...errors import GuestError

OVERFLOW_ID = 65534  # what a 16-bit uid/gid field gets for an id it cannot hold (high2lowuid)

# Each member of the stat layouts (structs.py), as an expression over `st`, an os.stat_result.
# Members not named here are padding: 0, or b"" for a bytes member.
_SOURCES = {
    "st_mode": "st[0]", "st_ino": "st[1]", "st_dev": "st[2]", "st_nlink": "st[3]", "st_uid": "st[4]",
    "st_gid": "st[5]", "st_size": "st[6]", "st_atime": "st[7]", "st_mtime": "st[8]", "st_ctime": "st[9]",
    "st_rdev": "st.st_rdev", "st_blksize": "st.st_blksize", "st_blocks": "st.st_blocks",
    "st_atime_nsec": "st.st_atime_ns % 1000000000", "st_mtime_nsec": "st.st_mtime_ns % 1000000000",
    "st_ctime_nsec": "st.st_ctime_ns % 1000000000", "__st_ino": "st[1] & 0xFFFFFFFF",
}

_packers = {}  # Layout -> its packing function


def packer(layout):
    """layout's packing function: st -> bytes, struct.error where a value does not fit."""
    return _packers.get(layout) or _make_packer(layout)


def _make_packer(layout):
    args = []
    for field in layout.fields:
        n = layout.arrays.get(field)
        if n:
            args.extend(["0"] * n)  # the only arrays in these layouts are unused words
        elif field in layout.byte_fields:
            args.append('b""')
        else:
            args.append(_SOURCES.get(field, "0"))
    source = f"lambda st: pack({', '.join(args)})"
    packer = _packers[layout] = eval(source, {"pack": layout.struct.pack})  # our own text, from structs.py's names
    return packer


def pack_stat(layout, st):
    """The bytes of layout (a stat Layout) for the host's os.stat_result st."""
    try:
        return (_packers.get(layout) or _make_packer(layout))(st)
    except struct.error:
        return pack_stat_carefully(layout, st)


def pack_stat_carefully(layout, st):
    """Field by field: the overflow id for a 16-bit one, EOVERFLOW for any other misfit."""
    values = dict(
        st_dev=st.st_dev, st_ino=st.st_ino, __st_ino=st.st_ino & 0xFFFFFFFF, st_mode=st.st_mode,
        st_nlink=st.st_nlink, st_uid=st.st_uid, st_gid=st.st_gid, st_rdev=st.st_rdev, st_size=st.st_size,
        st_blksize=st.st_blksize, st_blocks=st.st_blocks,
        st_atime=int(st.st_atime_ns // 10**9), st_atime_nsec=st.st_atime_ns % 10**9,
        st_mtime=int(st.st_mtime_ns // 10**9), st_mtime_nsec=st.st_mtime_ns % 10**9,
        st_ctime=int(st.st_ctime_ns // 10**9), st_ctime_nsec=st.st_ctime_ns % 10**9)
    limits = layout.limits
    for field in ("st_uid", "st_gid"):
        if values[field] > limits[field][1]:
            values[field] = OVERFLOW_ID
    for field, (lo, hi) in limits.items():
        if field in values and not lo <= values[field] <= hi:
            raise GuestError(errno.EOVERFLOW)
    return layout.pack(**values)
