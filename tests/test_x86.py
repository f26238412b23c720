"""The x86 guests (x86_64, i386) against this host's own kernel and CPU, which run
the same programs natively: the CPU models' instructions, the kernel's exceptions,
signal frames, segments, TLS and LDT descriptors, arch_prctl, the vsyscall page,
the 32-bit ABI's old calls; static-pie programs; the fallback when Unicorn's x86
exception state cannot be found."""
import os

import pytest

from conftest import ARCHES, assert_same_as_qemu, build, run_native, run_pyqemu, runs_natively
from usermode import cpu

X86 = [a for a in ("x86_64", "i386") if a in ARCHES]
pytestmark = pytest.mark.skipif(not X86, reason="no x86 architecture under test (PYQEMU_TEST_ARCHES)")


@pytest.fixture(params=X86)
def x86(request):
    if not runs_natively(request.param):
        pytest.fail("these tests compare with the native run: they need an x86-64 host")
    return request.param


def lines(res):
    return res.stdout.decode().splitlines()


# ---- the CPU: every instruction family CPUID admits runs as on this host's CPU -----------

def _models(arch):
    return sorted(set(cpu.get(arch).CPU_MODELS))


@pytest.mark.parametrize("model", _models("x86_64"))
def test_admitted_instructions_give_the_native_results(x86, model):
    prog = build(x86, "x86_isa.c", "static")
    ours = run_pyqemu(x86, prog, options=["-cpu", model])
    assert ours.returncode == 0, ours.stderr
    native = dict(line.split(": ", 1) for line in lines(run_native(x86, prog)))
    checked = 0
    for line in lines(ours):
        family, result = line.split(": ", 1)
        if result in ("absent", "admitted"):
            continue
        assert native[family] != "absent", f"this host lacks {family}: cannot judge the model"
        assert result == native[family], f"{family} under -cpu {model}: {result!r}, natively {native[family]!r}"
        checked += 1
    assert checked >= 3


def test_the_default_model_admits_what_glibc_uses(x86):
    """The default model is chosen for glibc's fast routines: SSE4.2, POPCNT, BMI2,
    MOVBE, ERMS-era string code; never AVX (Unicorn's TCG has none)."""
    res = run_pyqemu(x86, build(x86, "x86_isa.c", "static"))
    got = dict(line.split(": ", 1) for line in lines(res))
    for family in ("sse3", "ssse3", "sse4.1", "sse4.2", "popcnt", "pclmulqdq", "aes", "movbe", "bmi1",
                   "bmi2", "adx", "lzcnt", "xsave"):
        assert got[family] != "absent", family
    assert got["avx2"] == "absent"


# ---- the kernel's side -------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_kernel_facts_are_the_native_ones(x86, mode):
    """Exceptions (si_code, si_addr, trapno, err, cr2, the resumed PC), the signal frame
    and its FPU state, RCX/R11 after syscall, segments, TLS, LDT, arch_prctl, the
    vsyscall page, the old i386 calls: line for line the native run's."""
    prog = build(x86, "x86_kernel.c", mode)
    res = assert_same_as_qemu(x86, prog, options=["-L", ARCHES[x86]["sysroot"]] if mode == "dynamic" else [])
    assert res.returncode == 0 and res.stderr == b"", res.stderr
    out = lines(res)
    assert "divide_by_zero: signal 8 code 1 addr the instruction trapno 0 err 0 pc the instruction" in out
    assert any(line.startswith("frame: after sigreturn xmm0 1234.5") for line in out)


def test_static_pie(x86):
    prog = build(x86, "hello.c", "static-pie")
    res = assert_same_as_qemu(x86, prog, "pie")
    assert res.returncode == 42 and b"argv[1] = pie" in res.stdout


def test_static_pie_auxv(x86):
    """A static-pie program relocates itself: the loader gave it no AT_BASE, a moved
    AT_ENTRY, the stack the kernel would."""
    prog = build(x86, "auxv.c", "static-pie")
    ours = dict(line.split("=", 1) for line in lines(run_pyqemu(x86, prog)) if "=" in line)
    native = dict(line.split("=", 1) for line in lines(run_native(x86, prog)) if "=" in line)
    same = ("AT_BASE_nonzero", "AT_PHENT", "AT_PHNUM", "AT_PAGESZ", "AT_PLATFORM", "sp_mod16", "local_mod16",
            "argc", "envp_follows_argv", "malloc_ok", "sbrk_grows", "AT_HWCAP", "AT_HWCAP2")
    assert {k: ours.get(k) for k in same} == {k: native.get(k) for k in same}
    with open(prog, "rb") as f:
        head = f.read(64)
    entry = int.from_bytes(head[24:32] if head[4] == 2 else head[24:28], "little")
    assert ours["AT_BASE_nonzero"] == "0" and int(ours["AT_ENTRY"], 16) != entry


def test_without_the_exception_state_a_fault_still_works(x86):
    """PYQEMU_NO_UNSAFE=regfile: the CPU's exception state is not located (regfile.py's
    fallback); one fault in a process is still the kernel's signal, and the first
    second one (a double fault to Unicorn) is reported as the #GP it was, with a
    warning line saying so."""
    prog = build(x86, "x86_kernel.c", "static")
    env = dict(os.environ, PYQEMU_NO_UNSAFE="regfile")
    ours = run_pyqemu(x86, prog, "two-faults", env=env, timeout=60)
    native = lines(run_native(x86, prog, "two-faults"))
    first = [line for line in lines(ours) if line.startswith(("ud2:", "int3:", "hlt:", "cli:"))]
    assert first == [line for line in native if line.startswith(("ud2:", "int3:", "hlt:", "cli:"))]
    assert ours.returncode == 0
    assert ours.stderr.count(b"exception state was not found") == 1
