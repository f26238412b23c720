"""The emulator's own descriptors, out of the guest's sight.

pyqemu holds a few descriptors of its own in the guest's descriptor table: the
signal wake-up pipe (signals/host.py), the -D log, gdb's connection
(Process.keep_fd moves each to a high number and records it in
process.reserved_fds). For the guest they do not exist:

- every call that takes one fails with EBADF (argtypes.Fd, argtypes.Path for a
  dirfd, and the handlers whose descriptors hide in structures: poll, select,
  SCM_RIGHTS);
- /proc/self/fd/N and fdinfo/N (and /dev/fd/N) are ENOENT, and listing
  /proc/self/fd leaves them out;
- reopening one through a link the guest made to /proc/self/fd/N gives ENOENT
  too (`check_opened`: the pipe's identity, not its name);
- they are close-on-exec, and no call lets the guest clear that.
"""
import errno
import os
import stat
import struct

from .errors import GuestError

_DT_LNK, _DT_REG = 10, 8
_DIRENT_HEAD = struct.Struct("<QqHB")  # d_ino, d_off, d_reclen, d_type: then the name


def identity(fd):
    """What identifies the open file behind one of our descriptors when the guest
    reopens it by a path: (device, inode) for a pipe or socket, else None (a file
    the user named, like -D's log, stays openable by its own name)."""
    try:
        st = os.fstat(fd)
    except OSError:
        return None
    if stat.S_ISFIFO(st.st_mode) or stat.S_ISSOCK(st.st_mode):
        return (st.st_dev, st.st_ino)
    return None


def hide_path(t, host_path):
    """ENOENT when a path names one of our descriptors: /proc/self/fd/N,
    /proc/self/fdinfo/N (any spelling of our own pid, thread-self, task/TID) or /dev/fd/N."""
    reserved = t.process.reserved_fds
    if not reserved or b"fd" not in host_path:
        return
    path = os.path.normpath(host_path)
    if path[:8] == b"/dev/fd/":
        path = b"/proc/self/fd/" + path[8:]
    if path[:6] != b"/proc/":
        return
    from . import procfs
    owner = procfs.owner(t, path)
    if owner is None:
        return
    parts = owner[0].split(b"/")
    if len(parts) == 2 and parts[0] in (b"fd", b"fdinfo") and parts[1].isdigit() and int(parts[1]) in reserved:
        raise GuestError(errno.ENOENT)


def check_opened(t, fd):
    """After the guest opened fd by some path: if it is one of our pipes or sockets
    reached through a link to /proc/self/fd/N, it is closed and the guest gets ENOENT."""
    ids = t.process.reserved_ids
    if not ids:
        return fd
    try:
        st = os.fstat(fd)
    except OSError:
        return fd
    if (st.st_dev, st.st_ino) in ids:
        os.close(fd)
        raise GuestError(errno.ENOENT)
    return fd


def _own_fd_directory(fd):
    """Whether fd is a directory listing this process's descriptors (fd or fdinfo)."""
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return False
    parts = target.split("/")
    pid = str(os.getpid())
    # /proc/PID/fd, /proc/PID/task/TID/fd (a thread of ours shares the table)
    return len(parts) >= 4 and parts[1] == "proc" and parts[-1] in ("fd", "fdinfo") and \
        (parts[2] == pid and (len(parts) == 4 or (len(parts) == 6 and parts[3] == "task")))


def filter_dirents(t, fd, mem, n):
    """getdents64 just wrote n bytes of records into mem (the guest's buffer): drop
    the entries naming our descriptors from a listing of /proc/self/fd or fdinfo.
    Returns the new length (0 only if nothing else was in the batch)."""
    reserved = t.process.reserved_fds
    if not reserved or n <= 0:
        return n
    data = bytes(mem[:n])
    names = [str(r).encode() + b"\0" for r in reserved]
    if not any(bytes((kind,)) + name in data for name in names for kind in (_DT_LNK, _DT_REG)):
        return n
    if not _own_fd_directory(fd):
        return n
    out = bytearray()
    last = None  # offset in out of the last record kept
    pos = 0
    while pos + _DIRENT_HEAD.size <= n:
        ino, off, reclen, kind = _DIRENT_HEAD.unpack_from(data, pos)
        if reclen < _DIRENT_HEAD.size or pos + reclen > n:
            return n  # not the records we expect: leave them alone
        name = data[pos + _DIRENT_HEAD.size:pos + reclen].split(b"\0", 1)[0]
        if name.isdigit() and int(name) in reserved:
            if last is not None:  # the kept record before it now leads past it
                struct.pack_into("<q", out, last + 8, off)
        else:
            last = len(out)
            out += data[pos:pos + reclen]
        pos += reclen
    mem[:len(out)] = out
    return len(out)


def drop_entries(t, fd, records):
    """The same for records already read into Python, (ino, off, type, name) each (a
    guest whose dirent layout is not the host's): those naming our descriptors go."""
    names = {str(r).encode() for r in t.process.reserved_fds}
    if not any(name in names for _, _, _, name in records) or not _own_fd_directory(fd):
        return records
    out = []
    for ino, off, kind, name in records:
        if name in names:
            if out:  # the kept record before it now leads past it
                out[-1] = out[-1][:1] + (off,) + out[-1][2:]
            continue
        out.append((ino, off, kind, name))
    return out
