"""/proc/self/mem and /proc/PID/mem: guest memory at guest addresses.

The host's /proc/self/mem is the emulator's memory: opened by the guest, it would
read and write Python and Unicorn at host addresses. Here the file offset is a
guest address, as on a real kernel, with its rules (fs/proc/base.c mem_rw, with
FOLL_FORCE): any mapped page can be read, whatever its protection; any private
page can be written (a debugger's breakpoint in read-only code), a shared one
only if it is writable; a transfer stops at the first page that cannot be done
and fails with EIO if that is the first one. Written code is retranslated.

The guest gets a real descriptor (an empty memfd, so that calls we do not
route here find nothing of ours) registered in process.special_fds; read,
write, their positional and vectored forms, and lseek come here (io.py).

/proc/PID/mem of another pyqemu process (the guest's children) is that process's
guest memory: each emulator marks its address space in its host mappings
(`publish`: a one-page memfd named with the base and size), which the reader
finds in /proc/PID/maps; the host kernel checks the right to open the child's
memory, and the child's mappings say what is mapped. (Code written into a child
is retranslated there only where it was not translated yet.)
"""
import errno
import os

from .errors import GuestError
from .memory import host
from .memory.space import PAGE, PROT_EXEC, PROT_READ, PROT_WRITE
from .syscalls.handlers.hostcall import call

MARKER = "pyqemu-guest-space"
MAX_RW_COUNT = 0x7FFFF000  # the kernel's cap on one read or write


def publish(space):
    """Mark space's host range for other processes (a PROT_NONE page costs nothing)."""
    try:
        fd = os.memfd_create(f"{MARKER}:{space.base:x}:{space.size:x}", os.MFD_CLOEXEC)
    except OSError:
        return None
    try:
        os.ftruncate(fd, PAGE)
        space.marker = host.mmap(None, PAGE, host.PROT_NONE, host.MAP_SHARED, fd, 0)  # unmapped by release()
        return space.marker
    except OSError:
        return None
    finally:
        os.close(fd)


class LocalMemory:
    """This process's guest memory."""

    def __init__(self, space):
        self.space = space

    def readable_run(self, addr, count):
        """Bytes from addr (up to count) that are mapped at all."""
        return self.space.accessible(addr, count, 0) if addr < self.space.size else 0

    def writable_run(self, addr, count):
        """Bytes from addr that a forced write may change: private pages, writable shared ones."""
        end, pos = addr + count, addr
        while pos < end:
            v = self.space.find(pos)
            if v is None or (v.kind == "shared" and not v.prot & PROT_WRITE):
                break
            pos = v.end
        return min(pos, end) - addr

    def read_into(self, t, buf, addr, n):
        host.memmove(t.space.base + buf, self.space.base + addr, n)
        return n

    def write_from(self, t, buf, addr, n):
        space = self.space
        host.memmove(space.base + addr, t.space.base + buf, n)
        for v in space.overlapping(addr, addr + n):
            if v.prot & PROT_EXEC:  # code changed under the translations of it
                for uc in space.cpus:
                    uc.ctl_remove_cache(max(v.start, addr), min(v.end, addr + n))
        return n


class RemoteMemory:
    """Another pyqemu process's guest memory, through the host's /proc/PID/mem."""

    def __init__(self, pid, base, size, fd):
        self.pid, self.base, self.size, self.fd = pid, base, size, fd

    def _runs(self):
        """[(guest start, guest end, host perms)] of the process's guest mappings now."""
        runs = []
        lo, hi = self.base, self.base + self.size
        try:
            with open(f"/proc/{self.pid}/maps", "rb") as f:
                for line in f:
                    words = line.split()
                    start, _, end = words[0].partition(b"-")
                    start, end = int(start, 16), int(end, 16)
                    if end <= lo or start >= hi or words[1][:3] == b"---":  # released pages
                        continue
                    runs.append((max(start, lo) - lo, min(end, hi) - lo, words[1].decode()))
        except OSError:
            raise GuestError(errno.EIO) from None  # the process is gone
        return runs

    def _run(self, addr, count, ok):
        end, pos = addr + count, addr
        for start, stop, perms in self._runs():
            if stop <= pos:
                continue
            if start > pos or not ok(perms):
                break
            pos = stop
            if pos >= end:
                break
        return min(pos, end) - addr

    def readable_run(self, addr, count):
        return self._run(addr, count, lambda perms: True)

    def writable_run(self, addr, count):
        return self._run(addr, count, lambda perms: perms[3] == "p" or perms[1] == "w")

    def read_into(self, t, buf, addr, n):
        with t.unlocked():
            return call("pread64", self.fd, t.space.base + buf, n, self.base + addr)

    def write_from(self, t, buf, addr, n):
        with t.unlocked():
            return call("pwrite64", self.fd, t.space.base + buf, n, self.base + addr)

    def close(self):
        os.close(self.fd)


def find_remote(pid):
    """(base, size) of pid's guest address space if it is a pyqemu process, else None."""
    try:
        with open(f"/proc/{pid}/maps", "rb") as f:
            for line in f:
                i = line.find(MARKER.encode() + b":")
                if i >= 0:
                    _, base, size = line[i:].split()[0].split(b":")[:3]
                    return int(base, 16), int(size, 16)
    except (OSError, ValueError):
        return None
    return None


class MemFile:
    """One open of a mem file: its position, its access mode, whose memory."""

    shares_on_dup = True  # dup'd descriptors share the position, as one open file

    def __init__(self, memory, host_flags):
        mode = host_flags & os.O_ACCMODE
        self.memory = memory
        self.readable = mode in (os.O_RDONLY, os.O_RDWR)
        self.writable = mode in (os.O_WRONLY, os.O_RDWR)
        self.pos = 0

    # ---- the calls io.py routes here ----------------------------------------------

    def read(self, t, buf, count):
        n = self.pread(t, buf, count, self.pos)
        self.pos += n
        return n

    def write(self, t, buf, count):
        n = self.pwrite(t, buf, count, self.pos)
        self.pos += n
        return n

    def pread(self, t, buf, count, offset):
        if not self.readable:
            raise GuestError(errno.EBADF)
        return self._transfer(t, buf, count, offset, write=False)

    def pwrite(self, t, buf, count, offset):
        if not self.writable:
            raise GuestError(errno.EBADF)
        return self._transfer(t, buf, count, offset, write=True)

    def lseek(self, t, offset, whence):
        if whence == os.SEEK_SET:
            self.pos = offset
        elif whence == os.SEEK_CUR:
            self.pos += offset
        else:
            raise GuestError(errno.EINVAL)  # mem has no end
        self.pos &= (1 << 64) - 1
        return self.pos - (1 << 64) if self.pos >> 63 else self.pos  # a loff_t, as the kernel returns it

    def vector(self, t, iovecs, offset, write):
        """readv/writev/preadv/pwritev: [(guest address, length)], at offset or the position."""
        at = self.pos if offset is None else offset
        done = 0
        for addr, length in iovecs:
            n = self.pwrite(t, addr, length, at + done) if write else self.pread(t, addr, length, at + done)
            done += n
            if n < length:
                break
        if offset is None:
            self.pos += done
        return done

    def close(self):
        if isinstance(self.memory, RemoteMemory):
            self.memory.close()

    # ---------------------------------------------------------------------------------

    def _transfer(self, t, buf, count, offset, write):
        count = min(count, MAX_RW_COUNT)
        if not count:
            return 0
        t.space.check(buf, count, PROT_READ if write else PROT_WRITE)  # the caller's buffer: EFAULT
        if offset >= 1 << 63:
            raise GuestError(errno.EIO)
        memory = self.memory
        n = memory.writable_run(offset, count) if write else memory.readable_run(offset, count)
        if not n:
            raise GuestError(errno.EIO)
        return memory.write_from(t, buf, offset, n) if write else memory.read_into(t, buf, offset, n)


def open_mem(t, pid, host_flags):
    """A guest descriptor for pid's mem (pid None: this process), or None (not ours to serve)."""
    if host_flags & os.O_DIRECTORY:
        raise GuestError(errno.ENOTDIR)
    if pid is None:
        memory = LocalMemory(t.process.space)
    else:
        found = find_remote(pid)
        if found is None:
            return None  # a native process: the host's file is the truth
        fd = call("openat", -100, f"/proc/{pid}/mem".encode(), (host_flags & os.O_ACCMODE) | os.O_CLOEXEC, 0)
        memory = RemoteMemory(pid, found[0], found[1], fd)
    # the guest's descriptor: an empty memfd at the lowest free number, with its O_CLOEXEC
    stand_in = os.memfd_create("mem", os.MFD_CLOEXEC if host_flags & os.O_CLOEXEC else 0)
    t.process.special_fds[stand_in] = MemFile(memory, host_flags)
    return stand_in
