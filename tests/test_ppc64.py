"""ppc64 only: the vector registers in signal frames (usermode/cpu/ppc64_vsx.py finds
them in the CPU state, since Unicorn's API has none), compared with qemu-ppc64 on the
same model, and the frames without them when that shortcut is off."""
import os

import pytest

from conftest import ARCHES, assert_same_as_qemu, build, run_pyqemu

pytestmark = pytest.mark.skipif("ppc64" not in ARCHES, reason="ppc64 not among PYQEMU_TEST_ARCHES")

LINES = ["handler saw MSR_VEC and MSR_VSX", "handler saw v20 in v_regs", "handler saw vs10's low half",
         "v20 restored", "vs10 restored"]


@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_vector_registers_survive_a_signal_handler(mode):
    from usermode import cpu
    prog = build("ppc64", "ppc64_vsx.c", mode, flags=["-mcpu=power8"])
    options = ["-L", ARCHES["ppc64"]["sysroot"]] if mode == "dynamic" else []
    res = assert_same_as_qemu("ppc64", prog, options=options,
                              qemu_options=options + ["-cpu", cpu.get("ppc64").QEMU_CPU])
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().splitlines() == [f"{line}: ok" for line in LINES]


def test_without_the_regfile_shortcut_frames_carry_no_vector_state():
    """PYQEMU_NO_UNSAFE=regfile: no vector state found, so the frame says none (MSR_VEC
    and MSR_VSX clear, as a kernel's for a task that used none) and v_regs is empty."""
    prog = build("ppc64", "ppc64_vsx.c", "static", flags=["-mcpu=power8"])
    res = run_pyqemu("ppc64", prog, env=dict(os.environ, PYQEMU_NO_UNSAFE="regfile"))
    assert res.returncode == 0, res.stderr
    lines = res.stdout.decode().splitlines()
    assert lines[:3] == [f"{line}: FAILED" for line in LINES[:3]]
