"""The guest's own /proc: what /proc/self (and /proc/<own pid>, /proc/thread-self,
/proc/<pid>/task/<tid>) says about the emulated program, not about pyqemu.

The host kernel's /proc describes the Python process running the emulator: its
maps are Python's, its exe is python3, its cmdline starts with pyqemu. The
entries a program reads about itself are generated here from the emulator's
state and handed to the guest as a real descriptor (a memfd, reopened read-only
so the guest's flags are exactly what it asked for); the links (exe, cwd, root,
fd/N) are answered in the guest's names. Everything else under /proc is the
host's, through the bind every path mode gives /proc.

openat consults `open_file` and readlinkat `readlink`, with the host path the
guest's path resolved to (so a link into /proc inside a --rootfs is seen too).
"""
import errno
import os

from . import procmem
from .errors import GuestError
from .memory.space import PROT_EXEC, PROT_READ, PROT_WRITE
from .syscalls.handlers.hostcall import call

AT_FDCWD = -100


def owner(t, path):
    """(entry name below the pid or tid directory, tid or None), or None when
    the path is not the guest's own process. Global entries come back with
    tid None and a name starting with "/" (b"/cpuinfo")."""
    parts = path[6:].split(b"/")  # after b"/proc/"
    head = parts[0]
    if len(parts) == 1:
        return (b"/" + head, None)
    pid = os.getpid()
    if head == b"self" or head == str(pid).encode():
        tid, rest = None, parts[1:]
    elif head == b"thread-self":
        tid, rest = t.tid, parts[1:]
    else:
        return None
    if len(rest) >= 3 and rest[0] == b"task":
        try:
            tid = int(rest[1])
        except ValueError:
            return None
        if tid not in t.process.threads:
            return None
        rest = rest[2:]
    return (b"/".join(rest), tid)


# ---- generated files -----------------------------------------------------------------

def comm(process):
    """The kernel's comm: the executed file name's last part, 15 bytes at most."""
    name = getattr(process, "exe_guest", None) or process.exe or ""
    return os.path.basename(os.fsencode(name))[:15]


def thread_comm(process, tid):
    """A thread's comm (PR_SET_NAME changes it); without a tid, the main thread's."""
    thread = process.threads.get(tid if tid is not None else os.getpid())
    name = getattr(thread, "comm", None)
    return name if name is not None else comm(process)


def _maps(t, tid):
    lines = [line for _, line in maps_lines(t.process)] + t.process.arch.extra_maps()
    return "".join(line + "\n" for line in lines).encode()


def guest_file_name(process, vma):
    """The name /proc/self/maps gives a file mapping: the guest's path for it."""
    return os.fsdecode(process.paths.guest_name(os.fsencode(os.path.abspath(vma.name))))


def maps_lines(process):
    """(vma, its /proc/self/maps line) for every guest mapping, in address order."""
    paths = process.paths
    lines = []
    stats = {}
    for v in process.space.vmas:
        name = v.name or ""
        inode = dev = 0
        st = v.fd_stat
        if name and not name.startswith("["):
            host = os.fsencode(os.path.abspath(name))
            if st is None:
                if host not in stats:
                    try:
                        stats[host] = os.stat(host)
                    except OSError:
                        stats[host] = None
                st = stats[host]
            name = os.fsdecode(paths.guest_name(host))
        if st is not None:
            inode, dev = st.st_ino, st.st_dev
        perms = ("r" if v.prot & PROT_READ else "-") + ("w" if v.prot & PROT_WRITE else "-") + \
                ("x" if v.prot & PROT_EXEC else "-") + ("s" if v.kind == "shared" else "p")
        offset = v.offset if v.kind != "anon" else 0
        head = f"{v.start:08x}-{v.end:08x} {perms} {offset:08x} {os.major(dev):02x}:{os.minor(dev):02x} {inode}"
        lines.append((v, f"{head:<72} {name}".rstrip() if name else head + " "))
    return lines


def _auxv(t, tid):
    pairs = list(t.process.auxv) + [(0, 0)]  # AT_NULL ends it, as in the kernel's copy
    return t.abi.pack_words([x for pair in pairs for x in pair])


def _cmdline(t, tid):
    return b"".join(a + b"\0" for a in t.process.argv)


def _environ(t, tid):
    return b"".join(e + b"\0" for e in t.process.envp)


def _host_entry(t, tid, name):
    where = f"/proc/self/task/{tid}/{name}" if tid is not None else f"/proc/self/{name}"
    try:
        with open(where, "rb") as f:
            return f.read()
    except OSError:
        with open(f"/proc/self/{name}", "rb") as f:
            return f.read()


def _image_range(process):
    """(start of code, end of code) of the guest program, for stat's startcode/endcode."""
    exe = process.exe
    spans = [(v.start, v.end) for v in process.space.vmas if v.name == exe and v.prot & PROT_EXEC]
    if not spans:
        return 0, 0
    return min(s for s, _ in spans), max(e for _, e in spans)


def _stat(t, tid):
    """The host's stat line with the guest's comm, code range and stack start."""
    data = _host_entry(t, tid, "stat")
    close = data.rindex(b")")
    pid_part = data[:data.index(b"(")]
    fields = data[close + 2:].split(b" ")
    process = t.process
    startcode, endcode = _image_range(process)
    # fields[k - 3] is the kernel's field k (1-based: 26 startcode, 27 endcode,
    # 28 startstack, 29 kstkesp, 30 kstkeip)
    for k, value in ((26, startcode), (27, endcode), (28, getattr(process, "start_stack", 0)),
                     (29, 0), (30, 0)):
        if len(fields) > k - 3:
            fields[k - 3] = str(value).encode()
    return pid_part + b"(" + thread_comm(process, tid) + b") " + b" ".join(fields)


def _status(t, tid):
    lines = _host_entry(t, tid, "status").split(b"\n")
    for i, line in enumerate(lines):
        if line.startswith(b"Name:"):
            lines[i] = b"Name:\t" + thread_comm(t.process, tid)
    return b"\n".join(lines)


def _comm(t, tid):
    return thread_comm(t.process, tid) + b"\n"


def _cpuinfo(t, tid):
    process = t.process
    at = process.abi.tables.AUXV
    values = dict(process.auxv)
    return process.arch.cpuinfo(values.get(at["AT_HWCAP"], 0), values.get(at.get("AT_HWCAP2", -1), 0),
                                os.cpu_count() or 1).encode()


def _from_procsmaps(name):
    """procsmaps.<name>, imported at its first use: most programs never read smaps."""
    def produce(t, tid):
        from . import procsmaps
        return getattr(procsmaps, name)(t, tid)
    return produce


FILES = {b"maps": _maps, b"auxv": _auxv, b"cmdline": _cmdline, b"environ": _environ,
         b"stat": _stat, b"status": _status, b"comm": _comm,
         b"smaps": _from_procsmaps("smaps"), b"smaps_rollup": _from_procsmaps("smaps_rollup"),
         b"numa_maps": _from_procsmaps("numa_maps")}
GLOBAL_FILES = {b"/cpuinfo": _cpuinfo}


def _serve(data, host_flags):
    """A read-only descriptor holding data, at the lowest free number, with the guest's O_CLOEXEC."""
    cloexec = host_flags & os.O_CLOEXEC
    tmp = os.memfd_create("pyqemu-proc", os.MFD_CLOEXEC)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(tmp, view):]
        fd = call("openat", AT_FDCWD, f"/proc/self/fd/{tmp}".encode(), os.O_RDONLY | cloexec, 0)
    finally:
        os.close(tmp)
    if tmp < fd:  # the guest gets the lowest free number, as from the kernel
        call("dup3", fd, tmp, cloexec)
        os.close(fd)
        fd = tmp
    return fd


def open_file(t, path, host_flags):
    """A descriptor for the guest's own /proc entry at host path `path`, or None (the host's)."""
    found = owner(t, path)
    if found is None:
        pid = _other_mem(path)  # /proc/PID/mem of another pyqemu process: its guest memory
        return procmem.open_mem(t, pid, host_flags) if pid is not None else None
    name, tid = found
    make = GLOBAL_FILES.get(name) if name[:1] == b"/" else FILES.get(name)
    if make is None:
        if name == b"exe":
            return call("openat", AT_FDCWD, os.fsencode(t.process.exe), host_flags, 0)
        if name == b"mem":  # guest memory at guest addresses, never the emulator's
            return procmem.open_mem(t, None, host_flags)
        return None
    if host_flags & os.O_ACCMODE != os.O_RDONLY:
        if name == b"comm":
            return None  # writing comm renames the host thread: harmless, the kernel allows it
        raise GuestError(errno.EACCES)
    if host_flags & os.O_DIRECTORY:
        raise GuestError(errno.ENOTDIR)
    return _serve(make(t, tid), host_flags)


def _other_mem(path):
    """The pid in /proc/PID/mem or /proc/PID/task/TID/mem, else None."""
    parts = os.path.normpath(path).split(b"/")[2:]
    if parts and parts[-1] == b"mem" and parts[0].isdigit() and (
            len(parts) == 2 or (len(parts) == 4 and parts[1] == b"task" and parts[2].isdigit())):
        return int(parts[0])
    return None


def readlink(t, path):
    """The target of a /proc link in the guest's names, or None to ask the host."""
    found = owner(t, path)
    paths = t.process.paths
    if found is not None:
        name, _ = found
        if name == b"exe":
            return paths.guest_name(os.fsencode(t.process.exe))
        if name == b"root" and paths.is_rootfs:
            return b"/"
    if not paths.is_rootfs:
        return None
    try:
        target = os.readlink(path)
    except OSError as e:
        raise GuestError(e.errno) from None
    if target[:1] == b"/":  # cwd, fd/N, a file's name: where the guest sees it
        return paths.guest_name(target)
    return target
