"""vFile: gdb reads the program and its shared libraries through the stub, so
it finds them as the guest does (-L's sysroot, --rootfs's root) with no
`set sysroot`. Read-only: gdb needs nothing more from it here."""
import errno
import os
import struct

from .packets import escape

# gdb's File-I/O errno values (the remote protocol's, not the host's)
_GDB_ERRNO = {errno.EPERM: 1, errno.ENOENT: 2, errno.EINTR: 4, errno.EBADF: 9, errno.EACCES: 13,
              errno.EFAULT: 14, errno.EBUSY: 16, errno.EEXIST: 17, errno.ENODEV: 19, errno.ENOTDIR: 20,
              errno.EISDIR: 21, errno.EINVAL: 22, errno.ENFILE: 23, errno.EMFILE: 24, errno.EFBIG: 27,
              errno.ENOSPC: 28, errno.ESPIPE: 29, errno.EROFS: 30, errno.ENAMETOOLONG: 91}
_O_ACCMODE = 3


def _error(err):
    return f"F-1,{_GDB_ERRNO.get(err, 9999):x}".encode()


class HostIO:
    def __init__(self, process, max_reply):
        self.process = process
        self.max_reply = max_reply
        self.files = {}  # our descriptor numbers are the host's

    def handle(self, request):
        name, _, args = request.partition(b":")
        handler = getattr(self, "_" + name.decode("ascii", "replace"), None)
        if handler is None:
            return b""
        try:
            return handler(args.split(b","))
        except OSError as e:
            return _error(e.errno)
        except (ValueError, IndexError, UnicodeDecodeError):
            return _error(errno.EINVAL)

    def _host_path(self, hexpath):
        return self.process.host_path(bytes.fromhex(hexpath.decode()))

    def _setfs(self, args):
        return b"F0"

    def _open(self, args):
        if int(args[1], 16) & _O_ACCMODE:
            return _error(errno.EROFS)
        path = self._host_path(args[0])
        fd = self._own_proc_file(path)
        if fd is None:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        # kept out of the guest's descriptor range while gdb holds it (ownfds.py)
        fd = self.process.keep_fd(fd)
        self.files[fd] = True
        return f"F{fd:x}".encode()

    def _own_proc_file(self, path):
        """The guest's own /proc/<pid>/maps, auxv, cmdline... as the guest reads them
        (procfs.py): gdb's `info proc mappings` opens /proc/<pid>/maps."""
        from .. import procfs
        from ..errors import GuestError
        threads = self.process.threads
        if not threads:
            return None
        try:
            return procfs.open_file(threads[min(threads)], path, os.O_RDONLY | os.O_CLOEXEC)
        except GuestError as e:
            raise OSError(e.errno, os.strerror(e.errno)) from None

    def _fd(self, text):
        fd = int(text, 16)
        if fd not in self.files:
            raise OSError(errno.EBADF, "not ours")
        return fd

    def _close(self, args):
        fd = self._fd(args[0])
        del self.files[fd]
        self.process.close_own_fd(fd)
        return b"F0"

    def _pread(self, args):
        fd, count, offset = self._fd(args[0]), int(args[1], 16), int(args[2], 16)
        data = os.pread(fd, min(count, self.max_reply // 2), offset)
        return f"F{len(data):x};".encode() + escape(data)

    def _fstat(self, args):
        st = os.fstat(self._fd(args[0]))
        # gdb's struct stat: big-endian, 32-bit fields but for size, blksize, blocks
        packed = struct.pack(">IIIIIIIQQQIII", st.st_dev & 0xFFFFFFFF, st.st_ino & 0xFFFFFFFF, st.st_mode,
                             st.st_nlink, st.st_uid, st.st_gid, st.st_rdev & 0xFFFFFFFF, st.st_size,
                             st.st_blksize, st.st_blocks, int(st.st_atime), int(st.st_mtime), int(st.st_ctime))
        return f"F{len(packed):x};".encode() + escape(packed)

    def _readlink(self, args):
        target = os.readlink(self._host_path(args[0]))
        data = os.fsencode(target)
        return f"F{len(data):x};".encode() + escape(data)

    def close_all(self):
        for fd in list(self.files):
            self.process.close_own_fd(fd)
        self.files.clear()
