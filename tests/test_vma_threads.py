"""Threads that map, unmap and change the rights of memory while others use it
(tests/guest/vma_threads.c): every thread finds each page as the kernel leaves it,
whatever its own CPU had translated or cached (memory/space.py: a CPU on the
virtual TLB keeps its regions whole and its fill hook gives pages their rights;
the others catch up before they next run guest code)."""
import os

import pytest

from conftest import ARCHES, build, have_qemu, run_native, run_pyqemu, run_qemu, runs_natively
from usermode import cpu

DATA = 1024  # where vma_threads.c keeps a page's data, past its code
ACCERR = "SIGSEGV SEGV_ACCERR at "
MAPERR = "SIGSEGV SEGV_MAPERR at "



def rights_lines(arch):
    """What a call, a read and a write in a pair of pages do after each change."""
    # s390x's kernel reports a fault's page, not its byte (its TEST_C's ARCH_FAULT_ADDR)
    data = 0 if "ARCH_FAULT_ADDR(a)" in cpu.get(arch).TEST_C else DATA
    done = [
        ("PROT_READ", f"call {ACCERR}+0, read 5, {ACCERR}+{data}"),
        ("PROT_READ|PROT_EXEC", f"call returned 3, read 5, {ACCERR}+{data}"),
        ("PROT_NONE", f"call {ACCERR}+0, {ACCERR}+{data}, {ACCERR}+{data}"),
        ("unmapped", f"call {MAPERR}+0, {MAPERR}+{data}, {MAPERR}+{data}"),
        ("new code mapped", "call returned 109, read 0, write ok"),
        ("changed and back", "call returned 11, read 5, write ok"),
        ("PROT_READ|PROT_WRITE", f"call {ACCERR}+0, read 5, write ok"),
        ("untouched", "call returned 15, read 5, write ok"),
    ]
    return [f"rights: {what}: {seen}; its neighbour alike: yes" for what, seen in done]


CHURN_LINES = [f"churn: {who}: ok" for who in ("reader", "writer", "runner of code", "mapper", "mutator", "mutator")]

# qemu-user 7.2's ppc and ppc64 report a fetch from a page made non-executable as
# SEGV_MAPERR somewhere else (as in test_code_memory.py): nothing to compare there
QEMU_WRONG = {"ppc", "ppc64"}


def _reference(arch, prog, *args):
    """The kernel's lines for the check: this host's own run, or qemu-user's where it is right."""
    if runs_natively(arch):
        return run_native(arch, prog, *args).stdout
    if have_qemu(arch) and arch not in QEMU_WRONG:
        return run_qemu(arch, prog, *args, timeout=120).stdout
    return None


@pytest.mark.parametrize("arch", ARCHES)
def test_rights_changed_by_another_thread(arch):
    prog = build(arch, "vma_threads.c", "static", ["-pthread"])
    res = run_pyqemu(arch, prog, "rights", timeout=120)
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    assert res.stdout.decode().splitlines() == rights_lines(arch), res.stderr.decode()[-2000:]
    reference = _reference(arch, prog, "rights")
    if reference is not None:
        assert reference == res.stdout


@pytest.mark.parametrize("arch", ARCHES)
def test_churn_of_mappings_while_threads_use_them(arch):
    prog = build(arch, "vma_threads.c", "static", ["-pthread"])
    res = run_pyqemu(arch, prog, "churn", "1000", timeout=300)
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    assert res.stdout.decode().splitlines() == CHURN_LINES, res.stderr.decode()[-2000:]


# Where the virtual TLB's mend cannot be applied, arm and MIPS run on the CPU's own
# TLB, which sees only the Unicorn regions' rights: there every change splits and
# merges regions (the slow way), and must come out the same.
ON_CPU_TLB = {"arm": "regfile", "mipsel": "regfile"}  # (the IT state, the hflags word: regfile.py)


@pytest.mark.parametrize("arch", sorted(a for a in ON_CPU_TLB if a in ARCHES))
def test_the_same_on_the_cpus_own_tlb(arch):
    prog = build(arch, "vma_threads.c", "static", ["-pthread"])
    env = dict(os.environ, PYQEMU_NO_UNSAFE=ON_CPU_TLB[arch])
    res = run_pyqemu(arch, prog, "rights", timeout=120, env=env)
    assert res.stdout.decode().splitlines() == rights_lines(arch), res.stderr.decode()[-2000:]
    res = run_pyqemu(arch, prog, "churn", "300", timeout=300, env=env)
    assert res.stdout.decode().splitlines() == CHURN_LINES, res.stderr.decode()[-2000:]
