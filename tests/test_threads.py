"""Threads: exact answers under stress, and no deadlock when run again and again."""
import os

import pytest

from conftest import ARCHES, assert_same_as_qemu, build, build_native, have_qemu, run, run_pyqemu, run_qemu


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


def test_private_futex_queues_count_and_wake_as_the_kernel(arch):
    """Private futexes wait in the emulator's own queues (threads/private_futex.py): the
    wake, requeue and wake-op counts, bitsets, oldest-first order, timeouts on their clocks
    and a signal's EINTR or restart, as this host's kernel gives them; qemu-user and the
    host-kernel path (PYQEMU_PRIVATE_FUTEX=host) agree but for FUTEX_WAKE_OP, whose
    operation both leave to the host kernel, in its byte order: wrong for a big-endian guest."""
    prog = build(arch, "futex_queue.c", "static", ["-pthread"])
    res = run_pyqemu(arch, prog, timeout=120)
    lines = res.stdout.decode().splitlines()
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    kernel = run([build_native(arch, "futex_queue.c", ["-pthread"])], timeout=120)
    assert lines == kernel.stdout.decode().splitlines()
    assert lines[:3] == ["requeued to b: 3", "cmp_requeue with a changed word: -1 EAGAIN",
                         "requeue with a negative count: -1 EINVAL"], lines
    for expected_line in ("requeue 1 woken 1 moved of b to a: 2 ", "wake 0 on a: 1 ", "wake 5 on b: 1 ",
                          "wake_bitset 3, the older of two: 1 ", "wake_bitset 1, nobody left: 0 ",
                          "wake_op add 3 if 5: 2 ", "e: 24", "wake_op unknown operation: -1 ENOSYS",
                          "wait_bitset until realtime + 50 ms: -1 ETIMEDOUT", "realtime deadline passed: yes",
                          "signal without SA_RESTART: -1 EINTR, handled 1", "signal with SA_RESTART: 0, handled 2"):
        assert expected_line in lines, (expected_line, lines)
    assert "no" not in " ".join(line.split(": ")[-1] for line in lines).split(), lines
    without_wake_op = [line for line in lines if not line.startswith(("wake_op", "e: "))]
    host = run_pyqemu(arch, prog, "nowakeop", timeout=120, env={**os.environ, "PYQEMU_PRIVATE_FUTEX": "host"})
    assert host.stdout.decode().splitlines() == without_wake_op, host.stderr.decode()[-2000:]
    if have_qemu(arch):
        theirs = run_qemu(arch, prog, "nowakeop", timeout=120)
        assert theirs.stdout.decode().splitlines() == without_wake_op


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


def test_new_thread_starts_with_its_creators_state(arch):
    """A thread gets its creator's name, signal mask and FP state, no alternate stack and
    fresh TLS, whatever the ended thread whose CPU pyqemu reuses did to itself."""
    prog = build(arch, "thread_fresh_state.c", "static", ["-pthread", "-lm"])
    res = assert_same_as_qemu(arch, prog, timeout=120)
    assert res.stdout.decode().splitlines() == [
        f"{i}: name creator, SIGUSR1 open, SIGUSR2 blocked, altstack off, tls 7, rounding nearest, "
        "1/3 0.33333333333333331" for i in range(4)]
