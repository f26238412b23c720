"""Threads: exact answers under stress, and no deadlock when run again and again."""
import pytest

from conftest import ARCHES, assert_same_as_qemu, build, have_qemu, run_pyqemu, run_qemu


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


def test_futex_wait_answers_as_the_kernel(arch):
    """A FUTEX_WAIT whose word changed fails with EAGAIN without waiting (said before the
    host call, threads.py), after the same checks as the kernel's."""
    prog = build(arch, "futex_wait.c", "static", ["-pthread"])
    res = assert_same_as_qemu(arch, prog, timeout=60)
    assert res.stdout.decode().splitlines() == [
        "changed word: -1 EAGAIN", "changed word, bitset: -1 EAGAIN",
        "changed word, bad timeout: -1 EINVAL", "changed word, negative timeout: -1 EINVAL",
        "changed word, bitset 0: -1 EINVAL", "changed word, realtime plain wait: -1 ENOSYS",
        "misaligned: -1 EINVAL", "unmapped: -1 EFAULT", "same word, timed out: -1 ETIMEDOUT",
        "woken: 0 ", "word 2"]


def test_strace_names_futex_wake(arch, tmp_path):
    """FUTEX_WAKE (1) was shown as FUTEX_OP_ADD, a FUTEX_WAKE_OP operation of the same number."""
    prog = build(arch, "futex_wait.c", "static", ["-pthread"])
    log = tmp_path / "trace"
    res = run_pyqemu(arch, prog, options=["-strace", "-D", str(log)], timeout=60)
    assert res.returncode == 0, res.stderr
    wakes = [line for line in log.read_text().splitlines() if " futex(" in line and "FUTEX_WAKE" in line]
    assert wakes and all("FUTEX_WAKE|FUTEX_PRIVATE_FLAG, 1," in line for line in wakes), wakes
    assert "FUTEX_OP_" not in log.read_text()


MPROTECT_THREADS_CHECKS = [
    "another thread's mprotects: the rights last set, page by page",
    "all rights back: every page writable in the other thread",
    "readers and writers run on while two threads mprotect the pages around",
]


def test_mprotect_seen_by_other_threads(arch):
    """One thread's mprotects reach another thread's CPU before it runs again, the last
    rights of each page however many changes came between (memory/space.py catch_up:
    only the calling thread's CPU mirrors them at once)."""
    prog = build(arch, "mprotect_threads.c", "static", ["-pthread"])
    res = run_pyqemu(arch, prog, timeout=120)
    assert res.stdout.decode().splitlines() == [f"{c}: ok" for c in MPROTECT_THREADS_CHECKS], \
        res.stderr.decode()[-2000:]
    assert res.returncode == 0
