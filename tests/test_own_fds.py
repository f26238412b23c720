"""The emulator's own descriptors (signal wake-up pipe, -D log) are invisible to the
guest (usermode/ownfds.py): every call on one says EBADF as the kernel says for a
closed descriptor, /proc/self/fd neither lists nor opens them, exec'd programs do
not inherit them. Checked against the same program compiled for this host and run
natively, where those numbers are simply not open."""
import resource

import pytest

from conftest import build, build_host, build_native, run, run_pyqemu


GUEST_LIMIT = (1000, 4096)  # RLIMIT_NOFILE the tests give pyqemu (the numbers above it below 1024, for select)


def guest_limit():
    resource.setrlimit(resource.RLIMIT_NOFILE, GUEST_LIMIT)


def native_limit():  # room above 1000, where the natively run program finds those numbers closed
    resource.setrlimit(resource.RLIMIT_NOFILE, (2048, GUEST_LIMIT[1]))


def reserved_numbers(with_log):
    """Where the emulator's descriptors go (usermode/fdlimit.py): from the guest's soft
    limit up, the -D log first (runner.py), then the wake-up pipe's two ends (signals/host.py)."""
    return [GUEST_LIMIT[0] + i for i in range(3 if with_log else 2)]


def test_every_call_on_our_descriptors_is_ebadf(arch, tmp_path):
    numbers = [str(n) for n in reserved_numbers(with_log=True)]
    native = run([build_native(arch, "own_fds.c")] + numbers, timeout=60, preexec_fn=native_limit)
    assert native.returncode == 0, native.stderr
    prog = build(arch, "own_fds.c", "static")
    # before: fcntl(F_SETFL, 0) made the pipe blocking and the read on it hung the guest
    ours = run_pyqemu(arch, prog, *numbers, options=["-D", str(tmp_path / "log")], timeout=60,
                      preexec_fn=guest_limit)
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


NOFILE_CHECKS = [
    "open up to the soft limit, then EMFILE", "getdtablesize is the soft limit", "dup2 onto the limit: EBADF",
    "dup2 onto the last number below it", "F_DUPFD from the limit: EINVAL", "F_DUPFD from the last number below it",
    "setrlimit lowers the soft limit", "a lowered limit: every number below it, then EMFILE",
    "dup2 onto the lowered limit: EBADF", "setrlimit raises it again",
    "a raised limit: as many descriptors, then EMFILE", "getrlimit: what was set", "soft above hard: EINVAL",
]


@pytest.mark.parametrize("limits", [GUEST_LIMIT, (1024, 1024)], ids=["room-above", "soft-is-hard"])
def test_descriptors_up_to_the_limit(arch, limits):
    """The guest gets every number below its RLIMIT_NOFILE, then EMFILE (LTP dup205,
    pipe07: the emulator's own descriptors took a few); dup2 and F_DUPFD past it fail as
    the kernel's; lowered and raised, the same. With soft = hard the host's hard limit
    is raised for the emulator's (root here), or the guest sees both 16 lower."""
    prog = build(arch, "nofile.c", "static")
    res = run_pyqemu(arch, prog, timeout=120, preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, limits))
    assert res.stdout.decode().splitlines() == [f"{c}: ok" for c in NOFILE_CHECKS], res.stderr.decode()[-2000:]
    assert res.returncode == 0


def test_native_exec_gets_the_guests_limit(arch):
    """A program of the host's exec'd by the guest has the limit the guest set, not the
    host's with the emulator's room (the shell's `ulimit -Sn`), as natively."""
    prog = build(arch, "nofile.c", "static")
    res = run_pyqemu(arch, prog, "--exec", "/bin/sh", timeout=60, preexec_fn=guest_limit)
    native = run([build_host("nofile.c"), "--exec", "/bin/sh"], timeout=60, preexec_fn=guest_limit)
    assert res.stdout.decode().splitlines()[0] == native.stdout.decode().splitlines()[0] == "100"
