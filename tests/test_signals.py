"""Signals: dispositions, masks, waiting, frames, faults, timers, threads, and
signals from outside. Each guest line is checked; qemu-user must agree where
it implements the same thing."""
import contextlib
import os
import signal
import subprocess

import pytest

from conftest import ARCHES, build, have_qemu, pyqemu_command, run_pyqemu, run_qemu

SIGNAL_CHECKS = [
    "raise runs the handler with siginfo", "kill to itself", "blocked signal stays pending",
    "delivered when unblocked", "sigtimedwait returns the queued signal and its value",
    "sigtimedwait times out with EAGAIN", "real-time signals queue, standard ones merge", "sigsuspend",
    "SA_NODEFER nests", "without SA_NODEFER the handler is not re-entered", "SA_RESETHAND", "sigaltstack",
    "SA_ONSTACK runs on the alternate stack", "sigaltstack query",
    "write to unmapped memory: SIGSEGV, SEGV_MAPERR, si_addr", "read of unmapped memory",
    "write to read-only memory: SEGV_ACCERR", "illegal instruction: SIGILL", "breakpoint: SIGTRAP",
    "siglongjmp out of a SIGSEGV handler", "SIGALRM reaches a busy loop",
    "without SA_RESTART a blocked read fails with EINTR", "pthread_kill runs the handler in that thread",
    "an ignored signal is dropped",
]


def signal_checks(arch):
    """SIGNAL_CHECKS as signals.c words them for arch: its breakpoint's signal (s390x's
    kernel sends SIGILL for it to an untraced process)."""
    from usermode import cpu
    breakpoint = cpu.get(arch).TEST_C.get("ARCH_BREAKPOINT_SIGNAL", "SIGTRAP")
    return [c.replace("breakpoint: SIGTRAP", f"breakpoint: {breakpoint}") for c in SIGNAL_CHECKS]


# qemu-user 7.2 reports SEGV_MAPERR for a write to a read-only page, and a
# different si_code for aarch64's udf: the kernel (and pyqemu) say otherwise.
QEMU_DIFFERS = {"write to read-only memory: SEGV_ACCERR", "illegal instruction: SIGILL"}


@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_signal_semantics(arch, mode):
    prog = build(arch, "signals.c", mode, ["-pthread"])
    options = ["-L", ARCHES[arch]["sysroot"]] if mode == "dynamic" else []
    res = run_pyqemu(arch, prog, options=options, timeout=60)
    lines = res.stdout.decode().splitlines()
    assert lines == [f"{c}: ok" for c in signal_checks(arch)], res.stderr.decode()[-2000:]
    assert res.returncode == 0
    if have_qemu(arch):
        theirs = run_qemu(arch, prog, options=options, timeout=60).stdout.decode().splitlines()
        assert [l for l in theirs if l.split(":")[0] not in {q.split(":")[0] for q in QEMU_DIFFERS}] == \
            [l for l in lines if l.split(":")[0] not in {q.split(":")[0] for q in QEMU_DIFFERS}]


def test_write_fault_fixed_by_the_handler_resumes_exactly(arch):
    prog = build(arch, "fault_resume.c", "static")
    res = run_pyqemu(arch, prog)
    assert res.stdout == b"faults 3, counter 3, page abc\n", res.stderr
    if have_qemu(arch):
        assert run_qemu(arch, prog).stdout == res.stdout


@contextlib.contextmanager
def waiting_guest(arch):
    """wait_signal.c running under pyqemu, spinning in guest code once it said "ready"."""
    prog = build(arch, "wait_signal.c", "static")
    proc = subprocess.Popen(pyqemu_command(arch) + [prog], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout.readline() == b"ready\n"
        yield proc
    finally:
        proc.kill()
        proc.wait()


def test_signal_from_outside_reaches_a_handler_and_default_action_kills(arch):
    """kill -USR1 from another process while the guest spins; then SIGTERM kills it as natively."""
    with waiting_guest(arch) as proc:
        os.kill(proc.pid, signal.SIGUSR1)
        assert proc.stdout.readline() == b"got SIGUSR1 from outside\n"
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGTERM


def test_sigint_default_kills_with_sigint(arch):
    with waiting_guest(arch) as proc:
        os.kill(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGINT


def test_signalfd_timerfd_eventfd(arch):
    prog = build(arch, "signal_fds.c", "static", ["-pthread"])
    res = run_pyqemu(arch, prog, timeout=60)
    assert res.stdout.decode().splitlines() == [f"{c}: ok" for c in (
        "signalfd not readable while nothing is pending", "signalfd readable once a signal is pending",
        "signalfd read: signo, value, pid", "timerfd_gettime", "timerfd blocking read",
        "eventfd blocking read woken by another thread")], res.stderr.decode()
    if have_qemu(arch):
        theirs = run_qemu(arch, prog, timeout=60).stdout.decode().splitlines()
        if arch in QEMU_SSI_INT_WRONG:
            theirs = [line for line in theirs if not line.startswith("signalfd read:")]
        assert theirs == [line for line in res.stdout.decode().splitlines()
                          if arch not in QEMU_SSI_INT_WRONG or not line.startswith("signalfd read:")]


# qemu-user 7.2 gives a 64-bit big-endian guest ssi_int 0 for sigqueue's sival_int 99 (it
# takes the sigval's low half; the kernel's ssi_int is si_int, the union's first four
# bytes: 99, as ssi_ptr 0x6300000000 says, which qemu gets right)
QEMU_SSI_INT_WRONG = {"s390x", "ppc64"}


SIGNAL2_CHECKS = [
    "SA_RESTART restarts a blocked read", "SIGCHLD runs its handler",
    "POSIX timer delivers SIGRTMIN", "shared futex wakes a waiter in another process",
    "SIGSTOP stops and SIGCONT continues a child", "waitid reports SIGKILL", "membarrier",
]


@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_restart_sigchld_timers_shared_futex_stop_continue(arch, mode):
    prog = build(arch, "signals2.c", mode, ["-pthread"])
    options = ["-L", ARCHES[arch]["sysroot"]] if mode == "dynamic" else []
    res = run_pyqemu(arch, prog, options=options, timeout=120)
    assert res.stdout.decode().splitlines() == [f"{c}: ok" for c in SIGNAL2_CHECKS], res.stderr.decode()[-2000:]
    assert res.returncode == 0


UCONTEXT_CHECKS = ["setcontext resumes getcontext", "coroutine ran", "the mask comes back with the context"]


@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_getcontext_makecontext_swapcontext(arch, mode):
    """Coroutines and the signal mask of a context (PowerPC: its kernel's swapcontext call)."""
    prog = build(arch, "ucontext.c", mode)
    options = ["-L", ARCHES[arch]["sysroot"]] if mode == "dynamic" else []
    res = run_pyqemu(arch, prog, options=options)
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    assert res.stdout.decode().splitlines() == [f"{c}: ok" for c in UCONTEXT_CHECKS]
    if have_qemu(arch):
        assert run_qemu(arch, prog, options=options).stdout == res.stdout
