"""A Go program (Debian's Go, CGO_ENABLED=0): its runtime uses threads, futexes,
sigaltstack, SIGURG preemption and SIGSEGV for nil checks."""
import os
import shutil
import subprocess

import pytest

from conftest import BUILD, GUEST, have_qemu, run_pyqemu, run_reference, runs_natively
from usermode.cpu import registry
EXPECTED = [
    "channel pipeline sum: 333833500",
    "mutex counter: 100000",
    "timer fired after >= 30ms: true ticked: true",
    "time.After: ok",
    "after runtime.GC live objects intact: true collections: true",
    "busy goroutines finished: true",
    "nil store: recovered: runtime error: invalid memory address or nil pointer dereference",
    "nil load: recovered: runtime error: invalid memory address or nil pointer dereference",
    "threads in use: true 4",
]


def go_env(arch):
    """GOARCH (and GOARM, GOMIPS...) from the cpu module: None where Go has no port."""
    return registry.facts(arch)["GO_ENV"]


def build_go(arch, package="goprog"):
    if shutil.which("go") is None:
        pytest.fail("go is missing: ./dev installs golang-go")
    out = os.path.join(BUILD, f"{package}-{arch}")
    env = dict(os.environ, CGO_ENABLED="0", GOOS="linux", **go_env(arch),
               GOCACHE=os.path.join(BUILD, "gocache"), GOPATH=os.path.join(BUILD, "gopath"),
               GOFLAGS="-mod=mod", GO111MODULE="on")
    res = subprocess.run(["go", "build", "-o", out, "."], cwd=os.path.join(GUEST, package),
                         env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return out


@pytest.mark.parametrize("arch", [a for a in __import__("conftest").ARCHES if go_env(a)])
def test_go_runtime(arch):
    prog = build_go(arch)
    res = run_pyqemu(arch, prog, env=dict(os.environ, GOMAXPROCS="4"), timeout=300)
    assert res.stdout.decode().splitlines() == EXPECTED, res.stderr.decode()[-3000:]
    assert res.returncode == 3
    if have_qemu(arch) or runs_natively(arch):
        theirs = run_reference(arch, prog, env=dict(os.environ, GOMAXPROCS="4"), timeout=300)
        assert theirs.stdout == res.stdout and theirs.returncode == 3


@pytest.mark.parametrize("arch", [a for a in __import__("conftest").ARCHES if go_env(a)])
def test_go_exec_of_a_missing_program_returns_the_error(arch):
    """os/exec forks with CLONE_VM|CLONE_VFORK from whichever thread runs the goroutine;
    the child's execve fails and it leaves with exit(): that must end the child process
    (it hung: its signal watcher kept it alive), and the parent gets the error."""
    prog = build_go(arch, "goexec")
    res = run_pyqemu(arch, prog, env=dict(os.environ, GOMAXPROCS="4"), timeout=300)
    assert res.stdout.decode().splitlines() == [
        "missing program, 20 times: fork/exec /nonexistent/program: no such file or directory 0",
        'itself: "child ran\\n" <nil>'], res.stderr.decode()[-3000:]
    assert res.returncode == 0
