"""m68k only: what its kernel adds to the generic calls: the thread pointer it keeps
(set_thread_area, get_thread_area, answered in the syscall hook itself unless
PYQEMU_NO_UNSAFE=inline-syscall), atomic_cmpxchg_32 and atomic_barrier, the signals of
its traps and exceptions, and the frame of a handler without SA_SIGINFO."""
import os

import pytest

from conftest import ARCHES, assert_same_as_qemu, build, run_pyqemu

pytestmark = pytest.mark.skipif("m68k" not in ARCHES, reason="m68k not among PYQEMU_TEST_ARCHES")

CHECKS = [
    "get_thread_area gives the thread pointer", "each thread has its own thread pointer",
    "set_thread_area moves it", "and back", "atomic_cmpxchg_32 swaps", "atomic_cmpxchg_32 refuses a stale value",
    "atomic_barrier", "ssetmask and sgetmask", "getpagesize", "cacheflush of a range; a bad scope EINVAL",
    "trap #15: SIGTRAP, TRAP_BRKPT", "trap #1: SIGILL, ILL_ILLTRP", "illegal: SIGILL, ILL_ILLOPC",
    "move to sr: SIGILL, ILL_PRVOPC", "divide by zero: SIGFPE, FPE_INTDIV",
    "the FPU registers survive a handler (old frame)", "the FPU registers survive a handler (rt frame)",
    "a handler without SA_SIGINFO gets the old sigcontext and returns",
]


@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_m68k_kernel_interfaces(mode):
    prog = build("m68k", "m68k_kernel.c", mode, ["-pthread"])
    options = ["-L", ARCHES["m68k"]["sysroot"]] if mode == "dynamic" else []
    res = run_pyqemu("m68k", prog, options=options)
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().splitlines() == [f"{c}: ok" for c in CHECKS], res.stderr.decode()
    # qemu-m68k 7.2: `illegal` gives ILL_ILLOPN where the kernel's trap_c gives ILL_ILLOPC
    # (VEC_ILLEGAL); its old sigframe keeps no FPU register (the kernel's save_fpu_state
    # keeps fp0, fp1 and the control registers); move to sr aborts its translator (the
    # program leaves it out); a mask ssetmask set does not show in its rt_sigprocmask, and
    # its cacheflush returns 0 without the kernel's checks
    assert_same_as_qemu("m68k", prog, "qemu", options=options,
                        qemu_wrong=("illegal: ", "the FPU registers survive a handler (old frame)",
                                    "ssetmask and sgetmask", "cacheflush of a range"))


@pytest.mark.parametrize("off", ["inline-syscall", "native-hooks", "regfile"])
def test_get_thread_area_without_the_inline_answer(off):
    """Each thing the inline answer stands on turned off: the Python handler answers
    alone, the same (threads, set_thread_area and the TLS of glibc itself)."""
    prog = build("m68k", "m68k_kernel.c", "static", ["-pthread"])
    res = run_pyqemu("m68k", prog, env=dict(os.environ, PYQEMU_NO_UNSAFE=off))
    assert res.returncode == 0, res.stderr
    # without the register array the FPU registers are out of reach (m68k_fpu.py): the
    # frames hold none, and a handler's FPU use shows through
    lost = {c for c in CHECKS if c.startswith("the FPU registers")} if off == "regfile" else set()
    assert res.stdout.decode().splitlines() == [f"{c}: {'FAILED' if c in lost else 'ok'}" for c in CHECKS], \
        res.stderr.decode()


def test_the_fpu_layout_check_refuses_a_wrong_offset(monkeypatch):
    """m68k_fpu's check runs FPU instructions on a scratch instance: a layout shifted by
    one register is refused, and fpu() then gives None (frames and gdb go without)."""
    from usermode import cpu
    from usermode.cpu import m68k_fpu
    from usermode.uc import Uc
    module = cpu.get("m68k")
    assert m68k_fpu._layout_holds(module)
    monkeypatch.setattr(m68k_fpu, "FREGS_AT", m68k_fpu.FREGS_AT + 16)
    assert not m68k_fpu._layout_holds(module)
    monkeypatch.setattr(m68k_fpu, "_checked", None)
    uc = Uc(module.UC_ARCH, module.UC_MODE)
    uc.ctl_set_cpu_model(module.CPU_MODELS[module.DEFAULT_CPU])
    assert m68k_fpu.fpu(uc, module) is None
