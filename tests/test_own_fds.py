"""The emulator's own descriptors (signal wake-up pipe, -D log) are invisible to the
guest (usermode/ownfds.py): every call on one says EBADF as the kernel says for a
closed descriptor, /proc/self/fd neither lists nor opens them, exec'd programs do
not inherit them. Checked against the same program compiled for this host and run
natively, where those numbers are simply not open."""
import resource

import pytest

from conftest import build, build_host, build_native, run, run_pyqemu


def reserved_numbers(with_log):
    """Where Process.keep_fd puts the emulator's descriptors under this test's RLIMIT_NOFILE:
    the -D log first (runner.py), then the wake-up pipe's two ends (signals/host.py)."""
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    floor = max(64, min(soft if soft > 0 else 1024, 1024) - 64)
    return [floor + i for i in range(3 if with_log else 2)]


def test_every_call_on_our_descriptors_is_ebadf(arch, tmp_path):
    numbers = [str(n) for n in reserved_numbers(with_log=True)]
    native = run([build_native(arch, "own_fds.c")] + numbers, timeout=60)
    assert native.returncode == 0, native.stderr
    prog = build(arch, "own_fds.c", "static")
    # before: fcntl(F_SETFL, 0) made the pipe blocking and the read on it hung the guest
    ours = run_pyqemu(arch, prog, *numbers, options=["-D", str(tmp_path / "log")], timeout=60)
    assert ours.returncode == 0, ours.stderr
    mine, theirs = ours.stdout.decode().splitlines(), native.stdout.decode().splitlines()
    # the one difference: natively dup2 onto a closed number succeeds; ours stay ours
    assert [ln for ln in theirs if ln.startswith("dup2 onto")] == ["dup2 onto it: ok"] * len(numbers)
    assert [ln for ln in mine if ln.startswith("dup2 onto")] == ["dup2 onto it: EBADF"] * len(numbers)
    # -D's log is a file the user named: a link the guest makes to it opens it (as its
    # own name does); the pipe can be reached by no name at all
    link = "open a link to /proc/self/fd/N"
    log_block = mine.index(f"-- fd {numbers[0]}"), mine.index(f"-- fd {numbers[1]}")
    assert [ln for ln in mine[log_block[0]:log_block[1]] if ln.startswith(link)] == [link + ": ok"]
    expected = [ln for ln in theirs if not ln.startswith("dup2 onto")]
    expected[expected.index(link + ": ENOENT")] = link + ": ok"
    assert [ln for ln in mine if not ln.startswith("dup2 onto")] == expected
    assert "signal from another process: SIGUSR1" in mine
    assert "open: 0 1 2" in mine and "listed beyond 0-2: 0" in mine


@pytest.mark.parametrize("child", ["guest", "native"])
def test_exec_inherits_none_of_them(arch, tmp_path, child):
    """Also after an exec that failed (E2BIG): the -D log, handed to the new emulator
    when an exec starts one, stayed inheritable and went to the native program next."""
    prog = build(arch, "own_fds.c", "static")
    target = prog if child == "guest" else build_host("own_fds.c")  # a program of this host
    res = run_pyqemu(arch, prog, "--exec", target, "--list", options=["-D", str(tmp_path / "log")], timeout=60)
    assert res.returncode == 0, res.stderr
    # the parent's own view, then the exec'd program's
    assert res.stdout.decode().splitlines()[-2:] == ["open: 0 1 2", "listed beyond 0-2: 0"]


def test_small_descriptor_limit(arch):
    """ulimit -n 64: the emulator's descriptors go below the limit (before: internal error)."""
    prog = build(arch, "own_fds.c", "static")

    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    res = run_pyqemu(arch, prog, "--list", preexec_fn=limit, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().splitlines() == ["open: 0 1 2", "listed beyond 0-2: 0"]
