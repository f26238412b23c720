"""Processes: fork, execve (foreign, native, scripts), wait statuses, groups, spawn."""
import os

import pytest

from conftest import ARCHES, assert_same_as_qemu, build, run_pyqemu

EXPECTED = [
    "fork: 'child 1 writes through a pipe', exit 3",
    "exec'd child: argv[0]=renamed-argv0 argc=2 env=inherited",
    "exec of a foreign program: exit 7",
    "host shell runs natively",
    "exec of a host program: exit 5",
    "child killed by SIGABRT: 1 6",
    "kill to a child: 1 15",
    "child in its own group: 1",
    "exec'd child: argv[0]={prog} argc=2 env=unset",
    "posix_spawn: 0 exit 7",
    "vfork: exit 11",
    "popen read 'popen', pclose 4",
    "system: 6",
]


@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_fork_exec_wait(arch, mode):
    """qemu-user cannot run this one (it execs a foreign binary without binfmt_misc):
    the expected lines are the kernel's answers."""
    prog = build(arch, "processes.c", mode)
    options = ["-L", ARCHES[arch]["sysroot"]] if mode == "dynamic" else []
    env = {k: v for k, v in os.environ.items() if k != "PROBE"}
    res = run_pyqemu(arch, prog, options=options, env=env, timeout=120)
    assert res.stdout.decode().splitlines() == [line.format(prog=prog) for line in EXPECTED], \
        res.stderr.decode()[-2000:]
    assert res.returncode == 0


def test_exec_of_a_foreign_script(arch, tmp_path):
    """A script whose interpreter is a foreign program runs emulated, arguments in place."""
    hello = build(arch, "hello.c", "static")
    script = tmp_path / "script"
    script.write_text(f"#!{hello} from-the-shebang\n")
    script.chmod(0o755)
    runner = build(arch, "exec_argv.c", "static")
    res = run_pyqemu(arch, runner, str(script), "tail")
    assert res.returncode == 42, res.stderr
    assert res.stdout.decode().splitlines() == [
        f"hello from {hello} with 3 argument(s)", "argv[1] = from-the-shebang",
        f"argv[2] = {script}", "argv[3] = tail"]


def test_strace_follows_exec_into_the_same_log(arch, tmp_path):
    prog = build(arch, "processes.c", "static")
    log = tmp_path / "log"
    res = run_pyqemu(arch, prog, options=["-strace", "-D", str(log)], timeout=120)
    assert res.returncode == 0
    text = log.read_text()
    pids = {line.split()[0] for line in text.splitlines() if line[:1].isdigit()}
    assert len(pids) > 3  # parent, children, and the exec'd emulators all logged here
    assert "execve(" in text and "wait4(" in text


def test_clone_with_unwritable_tid_pointers_still_makes_the_child(arch):
    """The kernel ignores a failed CLONE_PARENT_SETTID/CLONE_CHILD_SETTID store."""
    prog = build(arch, "clone_settid.c", "static")
    res = assert_same_as_qemu(arch, prog)
    assert res.stdout == b"clone with unwritable tid pointers: ok\n", res.stderr
