"""The stat family's fast way (a declaration's `fast=` factory, registry.py): arguments read
straight from the registers.

stat, lstat, newfstatat, fstatat64 and statx are among the calls programs make
most (a shell's PATH search, make, ls, every open of a library). The generic
stub decodes each argument with its own function (the dirfd, the path with
every raw argument at hand, the buffer, the flags): about a microsecond of a
5 us stat. Each function here reads the registers itself for the usual case (a
path, flags the call surely accepts) and hands anything else (a NULL path,
flags to be checked) to `general`, the declaration's own stub, which then
decides as it always did. The handler is the declaration's in both ways.
"""
from ..argtypes import host_path

AT_SYMLINK_NOFOLLOW = 0x100  # the same bit on every ABI (argtypes.at_nofollow)


def _at_flags_plain(abi):
    """Whether the ABI's AT_* flags are the host's bits (so the raw word is what the handler takes)."""
    return abi.flags("FILE", "AT_").identity


def fstatat(handler, abi, regs, general):
    """newfstatat, fstatat64 (dirfd, path, buf, flags): flags 0 or AT_SYMLINK_NOFOLLOW."""
    if not _at_flags_plain(abi):
        return None
    D, P, B, F = regs

    def call(t, r):
        flags = r[F] & 0xFFFFFFFF
        addr = r[P]
        if flags & ~AT_SYMLINK_NOFOLLOW or not addr:
            return general(t, r)
        dirfd = r[D] & 0xFFFFFFFF
        if dirfd & 0x80000000:
            dirfd -= 0x100000000
        return handler(t, dirfd, host_path(t, t.space.cstring(addr), dirfd, flags != 0), r[B], flags)
    return call


def _path_and_buffer(nofollow):
    def fast(handler, abi, regs, general):
        P, B = regs

        def call(t, r):
            addr = r[P]
            if not addr:
                return general(t, r)
            return handler(t, host_path(t, t.space.cstring(addr), -100, nofollow), r[B])
        return call
    return fast


stat = _path_and_buffer(False)  # stat, stat64 (path, buf): the final link followed
lstat = _path_and_buffer(True)  # lstat, lstat64 (path, buf): the final link itself


def statx(handler, abi, regs, general):
    """statx (dirfd, path, flags, mask, buf): a path (NULL: the generic way); the
    flags are the host kernel's to check."""
    if not _at_flags_plain(abi):
        return None
    D, P, F, M, B = regs

    def call(t, r):
        addr = r[P]
        if not addr:
            return general(t, r)
        flags = r[F] & 0xFFFFFFFF
        dirfd = r[D] & 0xFFFFFFFF
        if dirfd & 0x80000000:
            dirfd -= 0x100000000
        mask = r[M] & 0xFFFFFFFF
        if mask & 0x80000000:  # StatxMask decodes as a C int
            mask -= 0x100000000
        path = host_path(t, t.space.cstring(addr), dirfd, bool(flags & AT_SYMLINK_NOFOLLOW))
        return handler(t, dirfd, path, flags, mask, r[B])
    return call
