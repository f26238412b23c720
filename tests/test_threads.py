"""Threads: exact answers under stress, and no deadlock when run again and again."""
import pytest

from conftest import ARCHES, build, have_qemu, run_pyqemu, run_qemu


def expected(threads, iterations):
    na = min(threads, 8)
    items = iterations // 10 + 10
    return [f"mutex counter: {threads * iterations} (expected {threads * iterations})",
            f"join values: {threads * (threads - 1) // 2}",
            f"atomic counter: {na * iterations} (expected {na * iterations})",
            "thread-local variables and distinct tids: ok",
            f"condition variable queue: {items * (items + 1) // 2} (expected {items * (items + 1) // 2})",
            "robust mutex after owner died: EOWNERDEAD"]


@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_pthreads(arch, mode):
    prog = build(arch, "threads.c", mode, ["-pthread"])
    options = ["-L", ARCHES[arch]["sysroot"]] if mode == "dynamic" else []
    res = run_pyqemu(arch, prog, "8", "20000", options=options)
    assert res.stdout.decode().splitlines() == expected(8, 20000), res.stderr.decode()[-2000:]
    assert res.returncode == 0
    if have_qemu(arch):  # qemu-user hangs on the robust mutex (no robust lists): all but that
        theirs = run_qemu(arch, prog, "8", "20000", "norobust", options=options, timeout=120)
        assert theirs.stdout.decode().splitlines() == expected(8, 20000)[:-1]


def test_64_threads_100000_increments_each(arch):
    """The issue's stress figure: 64 threads x 100,000 mutex-protected increments."""
    prog = build(arch, "threads.c", "static", ["-pthread"])
    res = run_pyqemu(arch, prog, "64", "100000", timeout=600)
    assert res.stdout.decode().splitlines() == expected(64, 100000), res.stderr.decode()[-2000:]


def test_no_deadlock_in_repeated_runs(arch):
    """Short runs, many times: a lost wake-up or a lock-order bug shows up as a hang."""
    prog = build(arch, "threads.c", "static", ["-pthread"])
    for _ in range(15):
        res = run_pyqemu(arch, prog, "4", "300", timeout=60)
        assert res.returncode == 0 and res.stdout.decode().splitlines() == expected(4, 300)
