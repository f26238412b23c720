"""Processes: fork (clone without CLONE_VM, vfork), execve, wait4/waitid, groups.

fork is the host's fork, made in the middle of the syscall: the child is a
copy of the whole emulator, its guest memory copied on write by the host
kernel (MAP_SHARED mappings stay shared), and it carries on from the same
instruction with 0 in the return register. Only the forking thread survives,
as in the kernel; the emulator's helper threads are started again.

execve of a program for an architecture pyqemu runs starts a new emulator
with the same options (sysroot or root, -strace, -d and its log); a program
for the host itself runs natively; a script runs its #! interpreter, found
and classified the same way. qemu-user needs binfmt_misc for this; we don't.
"""
import ctypes
import errno
import os
import _signal as signal  # signal.py only adds enums, and imports enum: 3 ms of every start-up
import struct
import sys

from ... import exec_in_place
from ...errors import GuestError
from ...signals import carry_over, numbers
from ...signals.delivery import SigInfo
from ..argtypes import DirFd, Flags, Int, Ptr
from ..registry import syscall
from .hostcall import HOST_LAYOUTS, call, repack

HOST_MACHINES = {62}  # EM_X86_64: what the host runs itself
MAX_INTERPRETER_DEPTH = 4  # the kernel's BINPRM_MAX_RECURSION
AT_EMPTY_PATH = 0x1000


# ---- fork -----------------------------------------------------------------------------

# what a child calls that its parent may never have: made before the fork, once
CHILD_CALLS = ("exit_group", "exit")

def fork(t, flags, newsp, ptid, tls, ctid):
    process, arch = t.process, t.arch
    c = t.abi.tables.PROC
    process.flush_logs()
    process.syscalls.prepare(CHILD_CALLS)
    host = process.signals.host
    old_mask = host.block_for_fork()  # nothing arrives until the child has its own signal pipe
    try:
        pid = os.fork()
    except OSError:  # EAGAIN (RLIMIT_NPROC), ENOMEM: the thread takes signals again (it kept them
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)  # all blocked: found by the fuzzer)
        raise
    if pid:
        host.after_fork(False, old_mask)
        if flags & c["CLONE_PARENT_SETTID"]:
            _put_tid(t, ptid, pid)
        if process.debugger is not None:
            process.debugger.forked(t, pid)
        return pid
    process.after_fork_child(t)
    host.after_fork(True, old_mask)
    if newsp:
        t.uc.reg_write(arch.REG_SP, newsp)
    if flags & c["CLONE_SETTLS"]:
        arch.set_thread_pointer(t.uc, t, tls)
    if flags & c["CLONE_CHILD_SETTID"]:
        _put_tid(t, ctid, t.tid)
    if flags & c["CLONE_CHILD_CLEARTID"]:
        t.clear_child_tid = ctid
    return 0


def _put_tid(t, address, tid):
    """CLONE_PARENT_SETTID's and CLONE_CHILD_SETTID's store: the kernel ignores its failure
    (a child told its fork failed would go on as the parent: kill(-1, ...) and worse)."""
    try:
        t.space.write(address, t.abi.pack("i", tid))
    except GuestError:
        pass


# ---- execve ---------------------------------------------------------------------------

def _strings(t, addr):
    """A NULL-terminated array of guest string pointers, as bytes."""
    out = []
    if not addr:
        return out
    wb = t.abi.word_bytes
    while True:
        ptr = t.abi.unpack("W", t.space.read(addr + wb * len(out), wb))[0]
        if not ptr:
            return out
        out.append(t.space.cstring(ptr, 128 * 1024))
        if len(out) > 0x7FFFFFFF // wb:
            raise GuestError(errno.E2BIG)


def _environment(entries):
    """envp as os.execve takes it; an entry without '=' cannot be passed on and is dropped."""
    env = {}
    for entry in entries:
        key, eq, value = entry.partition(b"=")
        if eq and key:
            env.setdefault(key, value)
    return env


def classify(t, host_path):
    """('foreign', None) | ('native', None) | ('script', (interpreter, optional argument))."""
    try:
        with open(host_path, "rb") as f:
            head = f.read(256)
    except IsADirectoryError:
        raise GuestError(errno.EACCES) from None
    if head[:4] == b"\x7fELF" and len(head) >= 20:
        from ... import cpu
        little = head[5] == 1
        machine = int.from_bytes(head[18:20], "little" if little else "big")
        elf_class = 32 if head[4] == 1 else 64
        arch = cpu.by_elf(machine, elf_class, little)
        if arch is not None:
            return ("native" if _host_runs(t, arch, host_path) else "foreign"), None
        if machine in HOST_MACHINES and little:
            return "native", None
        raise GuestError(errno.ENOEXEC)
    if head[:2] == b"#!":
        line = head[2:].split(b"\n", 1)[0].strip()
        if not line:
            raise GuestError(errno.ENOEXEC)
        parts = line.split(None, 1)
        return "script", (parts[0], parts[1].strip() if len(parts) > 1 else None)
    raise GuestError(errno.ENOEXEC)


def _host_runs(t, arch, host_path):
    """A program of an architecture this host runs itself (x86-64, i386) runs natively,
    as every host program does, unless the guest sees another root (--rootfs: the
    program must see it too) or the host lacks its interpreter (an i386 program on a
    host without 32-bit libraries): then it is emulated like any guest program."""
    from ...cpu import registry
    if not registry.runs_natively(arch.NAME) or getattr(t.process.options, "rootfs", None):
        return False
    from ...loader.elf import ElfFile
    try:
        elf = ElfFile(host_path)
    except Exception:
        return False
    try:
        return elf.interp is None or os.path.exists(elf.interp)
    finally:
        elf.close()


def _check_executable(host_path):
    try:
        st = os.stat(host_path)
    except FileNotFoundError:
        raise GuestError(errno.ENOENT) from None
    except NotADirectoryError:
        raise GuestError(errno.ENOTDIR) from None
    if not os.access(host_path, os.X_OK) or (st.st_mode & 0o170000) != 0o100000:
        raise GuestError(errno.EACCES)


def resolve_program(t, guest_path, argv):
    """Follow #! lines: (kind, host path of what to run, guest path of it, argv)."""
    host_path = t.process.host_path(guest_path)
    for _ in range(MAX_INTERPRETER_DEPTH + 1):
        _check_executable(host_path)
        kind, script = classify(t, host_path)
        if kind != "script":
            return kind, host_path, guest_path, argv
        interpreter, optional = script
        argv = [interpreter] + ([optional] if optional else []) + [guest_path] + argv[1:]
        guest_path = interpreter
        host_path = t.process.host_path(interpreter)
    raise GuestError(errno.ELOOP)


def emulator_command(process, program, argv):
    """The command line that runs `program` (a host path, or a guest path under
    --rootfs) in a new emulator with this one's options."""
    cmd = [sys.executable, "-I", "-m", "usermode"]
    if not process.log.to_stderr:
        os.set_inheritable(process.log.fileno(), True)
        cmd += ["--log-fd", str(process.log.fileno())]
    return cmd + emulator_options(process, program, argv)


def emulator_options(process, program, argv):
    """The options and arguments of that command line (the log aside)."""
    opts = process.options
    cmd = []
    if process.paths.is_rootfs:  # the root now, which chroot may have moved
        cmd += ["--rootfs", os.fsdecode(process.paths.root)]
    elif process.sysroot:
        cmd += ["-L", process.sysroot]
    if opts.strace:
        cmd.append("-strace")
    items = sorted(set(opts.debug_items) - {"strace"})
    if items:
        cmd += ["-d", ",".join(items)]
    if opts.cpu:
        cmd += ["-cpu", opts.cpu]
    guest_limits = process.mem_limits.as_option()
    if guest_limits:
        cmd += ["--guest-rlimits", guest_limits]
    cmd += ["-s", str(process.stack_size)]
    cmd += ["-0", os.fsdecode(argv[0]) if argv else os.fsdecode(program), "--", os.fsdecode(program)]
    return cmd + [os.fsdecode(a) for a in argv[1:]]


_OWN_PROC = None  # compiled at the first exec: importing re costs 2 ms of every start-up


def _own_proc_path(guest_path):
    global _OWN_PROC
    if not guest_path.startswith(b"/proc/"):
        return None  # most execs: no regex, and no import of re in a forked child
    if _OWN_PROC is None:
        import re
        _OWN_PROC = re.compile(rb"^/proc/(self|thread-self|\d+)(?:/task/\d+)?/(exe|fd/(\d+))/*$")
    return _OWN_PROC.match(guest_path)


def _own_file(t, guest_path):
    """execve of /proc/self/exe or /proc/self/fd/N (fexecve, execveat with AT_EMPTY_PATH)
    means a file of this process, not of the emulator's host process and not a
    path inside --rootfs: the guest name of that file for the new emulator, or None.
    A descriptor whose file has no name (deleted, a memfd) is handed on open: the new
    emulator gets a /proc/self/fd path of a descriptor it inherits."""
    m = _own_proc_path(guest_path)
    if m is None or (m.group(1).isdigit() and int(m.group(1)) != os.getpid()):
        return None
    process = t.process
    paths = process.paths
    if m.group(2) == b"exe":
        return paths.guest_name(os.fsencode(process.exe))
    fd = int(m.group(3))
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
        st = os.fstat(fd)
    except OSError:
        raise GuestError(errno.ENOENT) from None
    if not target.endswith(" (deleted)") and os.path.isfile(target) and os.path.samestat(os.stat(target), st):
        name = paths.to_guest(os.fsencode(target))
        if name is not None:
            return name
    if (st.st_mode & 0o170000) != 0o100000:
        raise GuestError(errno.EACCES)
    keep = os.dup(fd)
    os.set_inheritable(keep, True)
    return f"/proc/self/fd/{keep}".encode()


def do_execve(t, guest_path, argv_addr, envp_addr):
    process = t.process
    argv = _strings(t, argv_addr)
    entries = _strings(t, envp_addr)
    envp = _environment(entries)
    guest_path = _own_file(t, guest_path) or guest_path
    kind, host_path, guest_path, argv = resolve_program(t, guest_path, argv)
    process.prepare_exec(t)
    # the guest's RLIMIT_NOFILE on the host (fdlimit.py): a native program keeps it, a new
    # emulator starts from it; back as it was if the execve fails
    nofile = process.fd_limit.for_exec() if process.fd_limit is not None else None
    try:
        if kind == "native":
            process.mem_limits.apply_to_host()  # the guest's RLIMIT_AS/DATA are the program's now
            carried = carry_over.to_host_kernel(t)  # its blocked pending signals (carry_over.py)
            try:
                os.execve(host_path, argv or [host_path], envp)
            finally:  # reached only when the execve failed
                carried.take_back()
        program = guest_path if process.paths.is_rootfs else host_path
        if exec_in_place.possible(t):  # no new interpreter: the runner loads it (exec_in_place.py)
            if nofile is not None:  # the same process goes on: its limits stay as they are
                process.fd_limit.exec_failed(nofile)
                nofile = None
            _check_size(process, argv, entries, t.abi.word_bytes)
            exec_in_place.request(t, emulator_options(process, program, argv), envp)
            return
        cmd = emulator_command(process, program, argv)
        os.execve(sys.executable, cmd, envp)
    except OSError:
        if nofile is not None:
            process.fd_limit.exec_failed(nofile)
        process.exec_failed(t)
        raise


def _check_size(process, argv, envp, word_bytes):
    """E2BIG before the point of no return, where the host's execve of a new emulator
    would have refused it: the loader's rule (-s's stack), which the new program's
    loading would otherwise find too late to fail the call."""
    from ...errors import UserError
    from ...loader.program import check_exec_size
    try:
        check_exec_size(argv, envp, process.stack_size, word_bytes)
    except UserError:
        raise OSError(errno.E2BIG, os.strerror(errno.E2BIG)) from None


@syscall
def execve(t, path: Ptr, argv: Ptr, envp: Ptr):
    if not path:
        raise GuestError(errno.EFAULT)
    do_execve(t, t.space.cstring(path), argv, envp)


ExecFlags = Flags("FILE", "AT_", zero="0")


@syscall
def execveat(t, dirfd: DirFd, path: Ptr, argv: Ptr, envp: Ptr, flags: ExecFlags):
    name = t.space.cstring(path) if path else b""
    if not name:
        if not flags & AT_EMPTY_PATH:
            raise GuestError(errno.ENOENT)
        name = f"/proc/self/fd/{dirfd}".encode()
    elif not name.startswith(b"/") and dirfd != -100:
        name = os.fsencode(os.readlink(f"/proc/self/fd/{dirfd}")) + b"/" + name
    do_execve(t, name, argv, envp)


# ---- wait -------------------------------------------------------------------------------

def status_to_guest(abi, status):
    """A wait status with the host's signal numbers put in the guest's."""
    if os.WIFSIGNALED(status):
        sig = numbers.to_guest(abi, status & 0x7F) or status & 0x7F
        return (status & ~0x7F) | sig
    if os.WIFSTOPPED(status):
        sig = numbers.to_guest(abi, (status >> 8) & 0xFF) or (status >> 8) & 0xFF
        return (status & ~0xFF00) | (sig << 8)
    return status


WaitOptions = Flags("PROC", "W", translate=False)


@syscall
def wait4(t, pid: Int, status: Ptr, options: WaitOptions, rusage: Ptr):
    host_status = ctypes.c_int(0)
    host_usage = ctypes.create_string_buffer(HOST_LAYOUTS.rusage.size)
    with t.unlocked():
        got = call("wait4", pid, ctypes.byref(host_status), options, host_usage if rusage else None)
    if got and status:
        t.space.write(status, t.abi.pack("i", status_to_guest(t.abi, host_status.value)))
    if got and rusage:
        t.space.write(rusage, repack(HOST_LAYOUTS.rusage, t.layouts.rusage, host_usage.raw))
    return got


@syscall
def waitpid(t, pid: Int, status: Ptr, options: WaitOptions):
    return wait4(t, pid, status, options, 0)


@syscall
def waitid(t, idtype: Int, id: Int, infop: Ptr, options: WaitOptions, rusage: Ptr):
    host_info = ctypes.create_string_buffer(128)
    host_usage = ctypes.create_string_buffer(HOST_LAYOUTS.rusage.size)
    with t.unlocked():
        call("waitid", idtype, id, host_info, options, host_usage if rusage else None)
    if infop:
        # the host's siginfo (x86-64): signo, errno, code, then pid, uid, status at 16
        signo, _, code = struct.unpack_from("<iii", host_info.raw)
        pid, uid, st = struct.unpack_from("<iIi", host_info.raw, 16)
        cld = t.abi.tables.SIGNAL_FLAGS
        if code in (cld["CLD_KILLED"], cld["CLD_DUMPED"], cld["CLD_STOPPED"], cld["CLD_TRAPPED"]):
            st = numbers.to_guest(t.abi, st) or st
        guest_signo = numbers.to_guest(t.abi, signo) or 0 if signo else 0
        info = SigInfo(guest_signo, code, pid=pid, uid=uid, status=st) if signo else SigInfo(0)
        t.space.write(infop, info.pack(t.abi))
    if rusage:
        t.space.write(rusage, repack(HOST_LAYOUTS.rusage, t.layouts.rusage, host_usage.raw))


# ---- process groups and sessions ------------------------------------------------------------

@syscall
def setpgid(t, pid: Int, pgid: Int):
    os.setpgid(pid, pgid)


@syscall
def getpgid(t, pid: Int):
    return os.getpgid(pid)


@syscall
def getpgrp(t):
    return os.getpgid(0)


@syscall
def getsid(t, pid: Int):
    return os.getsid(pid)


@syscall
def setsid(t):
    return os.setsid()
