"""The gdbstub, driven by gdb-multiarch as a user would (batch mode, and
interactively through a pipe for Ctrl-C), on every architecture's programs
linked dynamically against the sysroot's glibc."""
import os
import re
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import ARCHES, build, pyqemu_command, run_reference

GDB = "gdb-multiarch"
SOURCE = "gdb_target.c"
# where fscale(4.0) finds its argument: the command that shows it and what shows 4 (i386
# passes it on the stack: its x87 st0 is checked through the returned value; MIPS shows
# "f12: ... dbl: 4"; m68k passes it on the stack too: test_floating_point_registers checks fp0)
_MIPS_F12 = ("info registers f12", r"f12:?\s+(\{.*= 4[,}]|4\s|.*dbl: 4\s)")
FP_ARGUMENT = {"riscv64": ("info registers fa0", r"fa0\s+\{.*= 4[,}]"),
               "aarch64": ("info registers d0", r"d0\s+\{.*= 4[,}]"),
               "arm": ("p $d0", r"= 4\n"), "x86_64": ("p $xmm0.v2_double[0]", r"= 4\n"),
               "i386": ("p x", r"= 4\n"),  # its returned value comes back in st0
               "mipsel": _MIPS_F12, "mips": _MIPS_F12, "mips64el": _MIPS_F12,
               "ppc": ("info registers f1", r"f1\s+(\{.*= 4[,}]|4\s)"),
               "ppc64": ("info registers f1", r"f1\s+(\{.*= 4[,}]|4\s)"),
               "s390x": ("info registers f0", r"f0\s+(\{.*= 4[,}]|4\s)")}
# gdb 13 reads an o32 double return value wrongly from a remote target whose FPU
# registers are 32 bits (FR=0) although the registers hold it (the 'g' packet has f0/f1
# right): there the result is checked in the registers instead
O32_DOUBLE_RESULT = ("mipsel", "mips")
# gdb 13 takes an m68k ELF for SVR4 (its ELF sniffer wins over the target description's
# <osabi>), and then loads no shared library: as with qemu-m68k, a user sets it
GDB_SETUP = {"m68k": ["set osabi GNU/Linux"]}
# the architectures gdb 13 has a syscall table for (riscv has none: "catch syscall" is refused by gdb)
GDB_SYSCALL_TABLES = {"aarch64", "arm", "x86_64", "i386", "mips", "mipsel", "mips64el", "ppc", "ppc64", "s390x"}


def line_of(text):
    """The line number of the first source line containing text."""
    with open(os.path.join(os.path.dirname(__file__), "guest", SOURCE)) as f:
        for number, line in enumerate(f, 1):
            if text in line:
                return number
    raise AssertionError(f"{text!r} not in {SOURCE}")


@pytest.fixture(scope="module")
def gdb():
    if shutil.which(GDB) is None:
        pytest.fail(f"{GDB} missing: .ci/run installs it")
    return GDB


def program(arch):
    return build(arch, SOURCE, mode="dynamic", flags=["-O0", "-pthread"])


class Guest:
    """pyqemu -g 0 running the test program: waits for gdb on the port it prints."""

    def __init__(self, arch, *args, gdb_option=("-g", "0"), env=None, prog=None):
        self.arch = arch
        self.program = prog or program(arch)
        self.proc = subprocess.Popen(pyqemu_command(arch) + list(gdb_option) + [self.program, *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        line = self.proc.stderr.readline().decode()
        match = re.search(r"waiting for gdb on (\S+)$", line.strip())
        if match is None:
            self.proc.kill()
            pytest.fail(f"no 'waiting for gdb' line: {line!r} {self.proc.stderr.read()!r}")
        self.address = match.group(1)
        self.port = int(self.address.rpartition(":")[2]) if ":" in self.address else None

    def finish(self, timeout=60):
        """The guest's stdout, stderr and exit status once it ended."""
        out, err = self.proc.communicate(timeout=timeout)
        return out.decode(), err.decode(), self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def gdb_batch(guest, *commands, timeout=120):
    cmd = [GDB, "-q", "-nx", "-batch", "-ex", "set pagination off", "-ex", "set confirm off"]
    for c in GDB_SETUP.get(guest.arch, []):
        cmd += ["-ex", c]
    cmd += ["-ex", f"target remote 127.0.0.1:{guest.port}"]
    for c in commands:
        cmd += ["-ex", c]
    res = subprocess.run(cmd + [guest.program], capture_output=True, text=True, timeout=timeout)
    return res.stdout + res.stderr


@pytest.fixture
def session(arch, gdb):
    started = []

    def start(*args, **kw):
        guest = Guest(arch, *args, **kw)
        started.append(guest)
        return guest
    yield start
    for guest in started:
        guest.kill()


def test_break_in_function_backtrace_print_finish(arch, session):
    guest = session()
    out = gdb_batch(guest, "break compute", "continue", "bt", "p n", "info registers pc", "finish", "continue")
    assert re.search(r"Breakpoint 1, compute \(n=10\) at .*gdb_target.c:\d+", out), out
    assert re.search(r"#1 .* in main \(argc=1, argv=0x[0-9a-f]+\) at .*gdb_target.c:%d" % line_of("compute(10)"),
                     out), out
    assert "$1 = 10" in out
    assert re.search(r"pc\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <compute\+\d+>|pc: 0x[0-9a-f]+", out), out  # MIPS: "pc: 0x..."
    assert "Value returned is $2 = 135" in out
    assert "exited with code 03" in out
    stdout, _, status = guest.finish()
    assert stdout == "compute 135 10\nwatched 136\n" and status == 3


def test_backtrace_has_symbols_from_the_sysroot_libc(arch, session):
    guest = session()
    # pending: a program without a printf@plt symbol (PowerPC's secure PLT) has no printf before libc loads
    out = gdb_batch(guest, "set breakpoint pending on", "break printf", "continue", "bt", "info sharedlibrary")
    # (where the host has the libc's debug information, x86-64's, gdb shows its source line;
    # ELFv1 (ppc64): gdb names the code by its dot symbol, printf's alias ._IO_printf, so under qemu-ppc64)
    assert re.search(r"#0 .* in (printf|\._IO_printf) \(\) from target:/lib/.*libc\.so\.6|#0  __printf \(.*\) at .*printf\.c",
                     out), out
    assert re.search(r"#1 .* in main \(.*\) at .*gdb_target.c:%d" % line_of('printf("compute'), out), out
    assert re.search(r"Yes.*target:/lib/.*libc\.so\.6", out), out


def test_floating_point_registers(arch, session):
    guest = session()
    if arch == "m68k":  # a double argument goes on the stack; the result comes back in fp0
        out = gdb_batch(guest, "break fscale", "continue", "finish", "info registers fp0", "p $fpcontrol")
        assert re.search(r"fp0\s+10\s", out), out
        assert "Value returned is $1 = 10" in out and "$2 = 0" in out
        return
    command, shown = FP_ARGUMENT[arch]
    result = ["info registers f0"] if arch in O32_DOUBLE_RESULT else []
    out = gdb_batch(guest, "break fscale", "continue", command, "finish", *result)
    # fscale(4.0): the argument register holds 4, the result is 4 * 2.5
    assert re.search(shown, out), out
    if arch in O32_DOUBLE_RESULT:
        assert re.search(r"f0:\s+0x0+ flt: 0\s+dbl: 10\s", out), out
    else:
        assert re.search(r"Value returned is \$\d+ = 10\n", out), out


def test_step_next_and_stepi(arch, session):
    guest = session()
    out = gdb_batch(guest, "break main", "continue", "next", "next", "step", "bt 1", "stepi", "p $pc")
    assert re.search(r"^%d\s+double f = fscale" % line_of("double f = fscale"), out, re.M), out
    assert re.search(r"^%d\s+int r = compute" % line_of("int r = compute"), out, re.M), out
    assert re.search(r"compute \(n=10\) at .*gdb_target.c", out), out
    pcs = re.findall(r"\$1 = \(void \(\*\)\(\)\) (0x[0-9a-f]+) <compute\+(\d+)>", out)
    assert pcs and int(pcs[0][1]) > 0, out


def test_watchpoint_fires_on_write(arch, session):
    guest = session()
    out = gdb_batch(guest, "break main", "continue", "watch watched", "continue", "p watched")
    assert "Hardware watchpoint 2: watched" in out
    assert re.search(r"Old value = 0\s+New value = 136", out), out
    assert re.search(r"^%d\s+printf\(\"watched" % line_of('printf("watched'), out, re.M), out


def test_breakpoint_in_second_thread(arch, session):
    guest = session("thread")
    out = gdb_batch(guest, "break worker", "continue", "info threads", "bt 1")
    # gdb's heuristic unwinder cannot size MIPS glibc's start_thread frame and says so in
    # the middle of its lines (with qemu-user as well): its words are taken out
    out = re.sub(r"\s*GDB is unable to find the start of the function at .*?`set\nheuristic-fence-post' command\.\n",
                 "", out, flags=re.S)
    out = re.sub(r"warning: GDB can't find the start of the function at 0x[0-9a-f]+\.\n", "", out)
    assert re.search(r"Thread 2 \"gdb_target-\S*\" hit Breakpoint 1, worker \(arg=0x[0-9a-f]+\)", out), out
    threads = re.findall(r"^\*?\s+(\d)\s+Thread [\d.]+ \"gdb_target", out, re.M)
    assert threads == ["1", "2"], out
    assert re.search(r"^\*\s+2\s+Thread .* worker \(", out, re.M), out


def test_sigsegv_stops_at_the_faulting_line(arch, session):
    guest = session("segv")
    out = gdb_batch(guest, "continue", "bt 1", "continue")
    assert "Program received signal SIGSEGV, Segmentation fault." in out
    assert re.search(r"in main \(.*\) at .*gdb_target.c:%d" % line_of("*p = 1;"), out), out
    assert "Program terminated with signal SIGSEGV" in out
    _, stderr, status = guest.finish()
    assert status == -signal.SIGSEGV and "guest SIGSEGV" in stderr


def test_detach_lets_the_guest_run_on(arch, session):
    guest = session()
    out = gdb_batch(guest, "break compute", "continue", "detach")
    assert "Breakpoint 1, compute" in out, out
    assert re.search(r"\(process %d\) detached\]" % guest.proc.pid, out), out  # multiprocess+: the real pid
    stdout, _, status = guest.finish()
    assert stdout == "compute 135 10\nwatched 136\n" and status == 3


def test_info_proc_mappings_through_the_multiprocess_extensions(arch, session):
    """gdb learns the real pid (multiprocess+) and reads the guest's own /proc/<pid>/maps."""
    guest = session()
    out = gdb_batch(guest, "break compute", "continue", "info proc mappings", "info threads", "continue")
    match = re.search(r"process (\d+)\n", out)
    assert match and int(match.group(1)) == guest.proc.pid, out
    assert re.search(r"0x[0-9a-f]+\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+r-xp\s+\S*gdb_target", out), out
    assert re.search(r"rw-p\s+\[stack\]", out), out
    assert f"Thread {guest.proc.pid}.{guest.proc.pid} " in out, out  # p<pid>.<tid> thread ids
    assert "exited with code 03" in out
    assert guest.finish()[2] == 3


def test_fork_with_gdb_attached_gives_each_child_zero(arch, session):
    """A child forked while gdb is attached runs free; its own child too (fork() gave it
    -1 EBADF: the debugger connection was let go of twice)."""
    guest = session("forks")
    out = gdb_batch(guest, "continue")
    assert "exited with code 03" in out, out
    stdout, _, status = guest.finish()
    assert sorted(stdout.splitlines()[2:]) == ["child: fork gave a pid", "grandchild: fork gave 0",
                                               "parent: fork gave a pid"], stdout
    assert status == 3


def test_catch_fork_and_the_child_detached(arch, session):
    """fork-events: gdb stops at a fork with `catch fork`, names the child, detaches it
    (detach-on-fork) and goes on with the parent; the grandchild is no concern of gdb's."""
    guest = session("forks")
    out = gdb_batch(guest, "catch fork", "continue", "info threads", "continue")
    match = re.search(r"Catchpoint 1 \(forked process (\d+)\)", out)
    assert match and int(match.group(1)) not in (0, guest.proc.pid), out
    assert f"[Detaching after fork from child process {match.group(1)}]" in out, out
    assert out.count("forked process") == 1 and "exited with code 03" in out, out
    stdout, _, status = guest.finish()
    assert sorted(stdout.splitlines()[2:]) == ["child: fork gave a pid", "grandchild: fork gave 0",
                                               "parent: fork gave a pid"], stdout
    assert status == 3


def test_kill(arch, session):
    guest = session()
    out = gdb_batch(guest, "break compute", "continue", "kill")
    assert "killed" in out
    assert guest.finish()[2] == -signal.SIGKILL


def test_interrupt_a_running_guest(arch, session):
    """gdb's interrupt command in async mode (what Ctrl-C does): the spinning guest
    stops with SIGINT in its loop; gdb clears the flag and detaches; the guest ends."""
    guest = session("spin")
    gdb = subprocess.Popen([GDB, "-q", "-nx", guest.program], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, bufsize=1)
    seen = []

    def send(command):
        gdb.stdin.write(command + "\n")
        gdb.stdin.flush()

    def expect(pattern, timeout=60):
        deadline = time.monotonic() + timeout
        send(f"echo @@{len(seen)}\\n")  # a marker: everything before it has been printed
        text = ""
        while time.monotonic() < deadline:
            line = gdb.stdout.readline()
            if not line:
                break
            text += line
            if f"@@{len(seen)}" in line and re.search(pattern, text):
                seen.append(text)
                return text
            if f"@@{len(seen)}" in line:
                send(f"echo @@{len(seen)}\\n")
                time.sleep(0.2)
        raise AssertionError(f"{pattern!r} not seen in:\n{text}")

    try:
        for c in ("set pagination off", "set width 0", "set confirm off", f"target remote 127.0.0.1:{guest.port}"):
            send(c)
        expect(r"Remote debugging using")
        send("continue &")
        expect(r"Continuing")
        time.sleep(1.0)
        send("interrupt")
        text = expect(r"Program received signal SIGINT")
        loop = line_of("while (keep_spinning)")
        assert re.search(r"in main \(.*?\)\s+at \S*gdb_target.c:(%d|%d)" % (loop, loop + 1), text, re.S), text
        send("set var keep_spinning = 0")
        send("detach")
        expect(r"process %d\) detached" % guest.proc.pid)
        send("quit")
        gdb.wait(timeout=30)
    finally:
        if gdb.poll() is None:
            gdb.kill()
    stdout, _, status = guest.finish()
    assert stdout.endswith("stopped spinning\n") and status == 3


@pytest.mark.parametrize("arch", sorted(a for a in ARCHES if a in GDB_SYSCALL_TABLES))
def test_catch_syscall(arch, session):
    # gdb 13 has no riscv syscall table: "catch syscall" is refused there by gdb itself
    from usermode import cpu
    guest = session()
    out = gdb_batch(guest, "catch syscall write", "continue", "continue", "continue")
    assert f"Catchpoint 1 (syscall 'write' [{cpu.get(arch).ABI.tables.SYSCALLS['write']}])" in out
    assert "Catchpoint 1 (call to syscall write)" in out
    assert "Catchpoint 1 (returned from syscall write)" in out


def test_a_thread_under_gdb_is_never_stopped_from_inside_an_access(arch, session):
    """gdb attaches to the thread already made (its exit checks after loads and stores go
    back on, for exact steps): a stop from inside a TLB fill would then land just after
    the access and run it again (threads/tlb.py's growth), so the TLB keeps its size. A
    chase over 4096 pages misses the TLB at almost every `p = *p`: one such load run
    twice and it ends a step ahead (as it did before on aarch64, ppc64 and s390x)."""
    chase = build(arch, "tlb_chase.c", "static")
    guest = session("300000", prog=chase)
    out = gdb_batch(guest, "continue")
    assert "exited normally" in out, out
    stdout, stderr, status = guest.finish()
    assert status == 0, stderr
    assert stdout == run_reference(arch, chase, "300000").stdout.decode()


# ---- the protocol without gdb: unix socket, abrupt disconnection, bad options ------

def _packet(sock, payload):
    sock.sendall(b"$%s#%02x" % (payload, sum(payload) & 0xFF))
    data = b""
    while not re.search(rb"\$([^#]*)#..", data):
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed after {data!r}")
        data += chunk
    sock.sendall(b"+")
    return re.search(rb"\$([^#]*)#..", data).group(1)


def test_unix_socket_protocol_and_abrupt_disconnect(arch, session, tmp_path):
    path = str(tmp_path / "gdb.sock")
    guest = session(gdb_option=("-g", path))
    assert guest.address == path
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(path)
    supported = _packet(sock, b"qSupported:multiprocess+;swbreak+")
    assert re.search(rb"PacketSize=[0-9a-f]+", supported) and b"qXfer:features:read+" in supported
    xml = _packet(sock, b"qXfer:features:read:target.xml:0,10000")
    from usermode import cpu
    fpu_feature = cpu.get(arch).GDB_FEATURES[1][0]
    assert xml.startswith(b"l") and fpu_feature.encode() in xml
    assert _packet(sock, b"m10,8") == b"E14"  # unmapped: an error, never a crash
    assert _packet(sock, b"?").startswith(b"T05thread:")
    sock.close()  # gdb goes away without a word: the guest runs on
    stdout, _, status = guest.finish()
    assert stdout == "compute 135 10\nwatched 136\n" and status == 3


def test_environment_variable_and_bad_address(arch, gdb):
    env = dict(os.environ, PYQEMU_GDB="0")
    guest = Guest(arch, gdb_option=(), env=env)
    try:
        assert guest.port and guest.address.startswith("127.0.0.1:")
    finally:
        guest.kill()
    for bad in ("70000", "nohost.invalid:1234", "12ab"):
        res = subprocess.run(pyqemu_command(arch) + ["-g", bad, program(arch)], capture_output=True, text=True,
                             timeout=60)
        assert res.returncode != 0 and "Traceback" not in res.stderr
        assert len(res.stderr.strip().splitlines()) == 1 and f"-g '{bad}'" in res.stderr, res.stderr
