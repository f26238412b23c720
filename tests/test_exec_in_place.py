"""execve in place (usermode/exec_in_place.py): the emulator loads the new program
in its own host process, keeping and dropping what the kernel's execve keeps and
drops; PYQEMU_EXEC_IN_PLACE=0 starts a new emulator instead."""
import os
import stat

from conftest import ARCHES, build, run_pyqemu

KERNEL = [
    "before: SIGUSR1 handled, SIGUSR2 ignored, SIGTERM blocked and pending",
    "argv0 renamed, exe {exe}",
    "same pid: yes",
    "plain descriptor: open",
    "close-on-exec descriptor: closed",
    "SIGUSR1 (was handled): default",
    "SIGUSR2 (was ignored): ignored",
    "SIGTERM blocked: yes",
    "SIGTERM pending: yes",
    "POSIX timer: deleted",
    "alternate stack: disabled",
]
NEW_EMULATOR = dict(os.environ, PYQEMU_EXEC_IN_PLACE="0")


def _lines(res):
    return res.stdout.decode().splitlines()


def test_execve_keeps_and_drops_what_the_kernel_does(arch, tmp_path):
    prog = build(arch, "exec_state.c")
    log = tmp_path / "log"
    res = run_pyqemu(arch, prog, options=["-d", "page", "-D", str(log)], timeout=120)
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    assert _lines(res) == [line.format(exe=os.path.basename(prog)) for line in KERNEL]
    assert "execve in place: " in log.read_text()


def test_a_new_emulator_when_asked(arch, tmp_path):
    """The old way still works (a signal pending inside the old emulator is lost there)."""
    prog = build(arch, "exec_state.c")
    log = tmp_path / "log"
    res = run_pyqemu(arch, prog, options=["-d", "page", "-D", str(log)], env=NEW_EMULATOR, timeout=120)
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    expected = [line.format(exe=os.path.basename(prog)) for line in KERNEL]
    assert [line for line in _lines(res) if "pending" not in line] == \
        [line for line in expected if "pending" not in line]
    assert "execve in place" not in log.read_text()


def test_a_chain_of_execs_leaks_no_descriptor_and_no_memory(arch):
    """100 programs in one host process: every one's CPU and address space are freed
    (kept, they added 126 MB here)."""
    res = run_pyqemu(arch, build(arch, "exec_state.c"), "start-chain", "100", timeout=300)
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    out = _lines(res)
    start_kb = int(out[0].split(": ")[1])
    fds = out[1].split(": ")[1]
    end_kb = int(out[2].split(": ")[1])
    assert fds.split()[0] == fds.split()[-1].rstrip(")"), out
    assert end_kb - start_kb < 32 << 10, out


def test_strace_follows_an_exec_in_place(arch, tmp_path):
    prog = build(arch, "exec_state.c")
    log = tmp_path / "trace"
    res = run_pyqemu(arch, prog, options=["-strace", "-D", str(log)], timeout=120)
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    lines = log.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if " execve(" in line)
    assert lines[at].endswith(")")  # a successful execve has no result to show
    after = lines[at + 1:]
    assert after and all(line.split()[0] == lines[at].split()[0] for line in after)  # the same process
    assert any(" exit_group(0)" in line for line in after)


def test_exec_into_another_architecture(tmp_path):
    """A program of one architecture runs one of another, in place too."""
    arches = sorted(ARCHES)
    first, second = arches[0], arches[-1]
    runner = build(first, "exec_argv.c")
    hello = build(second, "hello.c")
    log = tmp_path / "log"
    res = run_pyqemu(first, runner, hello, "one", options=["-d", "page", "-D", str(log)], timeout=120)
    assert res.returncode == 42, res.stderr.decode()[-2000:]
    assert _lines(res) == [f"hello from {hello} with 1 argument(s)", "argv[1] = one"]
    assert log.read_text().count("execve in place: ") == 1


def test_a_program_that_fails_to_load_after_the_point_of_no_return(arch, tmp_path):
    """A truncated program: the kernel's execve would fail early; pyqemu finds out
    while loading, as the new emulator did: the same message and status either way."""
    whole = open(build(arch, "hello.c"), "rb").read()
    broken = tmp_path / "broken"
    broken.write_bytes(whole[:200])
    broken.chmod(broken.stat().st_mode | stat.S_IXUSR)
    runner = build(arch, "exec_argv.c")
    ours = run_pyqemu(arch, runner, str(broken), timeout=120)
    theirs = run_pyqemu(arch, runner, str(broken), env=NEW_EMULATOR, timeout=120)
    assert ours.returncode == theirs.returncode != 0
    assert ours.stderr.decode().strip() == theirs.stderr.decode().strip() != ""
    assert b"Traceback" not in ours.stderr


def test_a_released_space_takes_its_proc_mem_marker_along():
    """Each program an exec in place loads publishes its guest range for /proc/PID/mem
    readers (procmem.py); the old program's marker must go with its space, or they would
    find the old range, unmapped now, first."""
    from usermode import procmem
    from usermode.memory.space import AddressSpace

    def markers(space):
        name = f"{procmem.MARKER}:{space.base:x}:"
        with open("/proc/self/maps") as f:
            return sum(name in line for line in f)

    space = AddressSpace(64 << 20, 32 << 20)
    assert procmem.publish(space) is not None
    assert markers(space) == 1
    space.release()
    assert markers(space) == 0
