"""PowerPC only (ppc, ppc64): what its kernel adds to the generic calls: errors in
CR0.SO, the cache line sizes and dcbz, mfpvr, swapcontext, the signals of program
checks, and the frame of a handler without SA_SIGINFO."""
import pytest

from conftest import ARCHES, assert_same_as_qemu, build

PPC = [a for a in ("ppc", "ppc64") if a in ARCHES]
pytestmark = pytest.mark.skipif(not PPC, reason="no PowerPC among PYQEMU_TEST_ARCHES")

CHECKS = [
    "an error is a positive errno with CR0.SO set", "success clears CR0.SO",
    "AT_DCACHEBSIZE and AT_ICACHEBSIZE are {line}", "dcbz clears one cache line",
    "swapcontext with a short size: EINVAL", "trap: SIGTRAP, TRAP_BRKPT", "mfmsr: SIGILL, ILL_PRVOPC",
    "an undefined opcode: SIGILL, ILL_ILLOPC", "a handler without SA_SIGINFO gets the old sigcontext and returns",
]

QEMU_WRONG = {"ppc64": ("a handler without SA_SIGINFO",)}


@pytest.mark.parametrize("arch", PPC)
@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_ppc_kernel_interfaces(arch, mode):
    from usermode import cpu
    module = cpu.get(arch)
    prog = build(arch, "ppc_kernel.c", mode)
    options = ["-L", ARCHES[arch]["sysroot"]] if mode == "dynamic" else []
    # qemu-ppc64's default model is a POWER9: compared on the model pyqemu runs (mfpvr)
    qemu_cpu = ["-cpu", module.QEMU_CPU] if getattr(module, "QEMU_CPU", None) else []
    # qemu-ppc64 passes the siginfo in r4 whatever SA_SIGINFO says (linux-user/ppc/signal.c,
    # setup_rt_frame); the kernel's signal_64.c passes &uc.uc_mcontext without it: CHECKS tells
    wrong = QEMU_WRONG.get(arch, ())
    res = assert_same_as_qemu(arch, prog, options=options, qemu_options=options + qemu_cpu, qemu_wrong=wrong)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.decode().splitlines()
    pvr = [line for line in lines if line.startswith("mfpvr: ")]
    # the default model's Processor Version Register, which the kernel's emulation returns
    assert pvr == [f"mfpvr: {module.PVR_DEFAULT:#x}"]
    assert [line for line in lines if line not in pvr] == \
        [f"{c.format(line=module.CACHE_LINE)}: ok" for c in CHECKS], res.stderr.decode()
