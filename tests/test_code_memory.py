"""Memory and code as the kernel gives them (tests/guest/code_memory.c): SIGBUS past
the end of a mapped file, grows-down mappings and their guard gap, SIGBUS for a
misaligned exclusive access or PC, and code rewritten through another mapping, by
another thread, or made non-executable, taking effect at once."""
import pytest

from conftest import ARCHES, build, have_qemu, run_native, run_pyqemu, run_qemu, run_reference, runs_natively
from usermode import cpu


def _bus_eof(arch):
    page = 4096
    # s390x's kernel reports a fault's page, not its byte (its TEST_C's ARCH_FAULT_ADDR)
    at = (lambda off: off & -page) if "ARCH_FAULT_ADDR(a)" in cpu.get(arch).TEST_C else (lambda off: off)
    lines = []
    for kind in ("private", "shared"):
        lines += [f"{kind}: byte 9 '9', byte 100 0", f"{kind}: read in the file's last page: ok",
                  f"{kind}: read past the file's last page: SIGBUS BUS_ADRERR at base+{at(page + 5)}",
                  f"{kind}: write past the file's last page: SIGBUS BUS_ADRERR at base+{at(2 * page + 7)}",
                  # a private mapping keeps the file's zeroes; a shared one sees the write
                  f"{kind}: byte {page + 5} is '{'X' if kind == 'shared' else '0'}'",
                  f"{kind}: after the file grew: ok",
                  f"{kind}: write() from past the end: -1 Bad address"]
    return lines


# argv[1] -> the lines the kernel's behaviour prints
EXPECTED = {
    "bus-eof": _bus_eof,
    "growsdown": lambda arch: [
        "growsdown: a thread's stack grew 48 pages", "growsdown: a store a page below: ok",
        "growsdown: /proc/self/maps shows 56 pages",
        f"growsdown: a store within the guard gap of a mapping: SIGSEGV SEGV_MAPERR at base-{127 * 4096}",
        f"growsdown: a store far below: SIGSEGV SEGV_MAPERR at base-{192 * 4096}"],
    "exclusive": lambda arch: [
        "exclusive: aligned: ok", "exclusive: misaligned by 1: SIGBUS BUS_ADRALN at base+9",
        "exclusive: misaligned by 2: SIGBUS BUS_ADRALN at base+10"]
    if "ARCH_EXCLUSIVE_MAY_SPLIT" not in cpu.get(arch).TEST_C else  # x86: a split lock, no fault
    ["exclusive: aligned: ok", "exclusive: misaligned by 1: ok", "exclusive: misaligned by 2: ok"],
    "alias": lambda arch: [f"alias: wrote {n}, the other mapping's code returns {n}" for n in (1, 2, 3)],
    "thread": lambda arch: [f"thread: the code returns {n}" for n in (1, 2, 3, 4)],
    "alias-more": lambda arch: [
        "alias-more: two executable mappings return 1 and 1", "alias-more: two executable mappings return 2 and 2",
        "alias-more: the lower one unmapped, the other returns 3",
        "alias-more: a call into the writable mapping: SIGSEGV SEGV_ACCERR at base+0",
        "alias-more: read() 64 bytes into the writable mapping, the code returns 4",
        "alias-more: wrote 5, the mapping of the file opened read-only returns 5",
        "alias-more: wrote 6, the mapping of the file opened read-only returns 6"],
    "read-code": lambda arch: ["read-code: returned 1", "read-code: after read() of 64 bytes over it, returned 2"],
    "noexec": lambda arch: [
        "noexec: returned 7", "noexec: executable: ok",
        "noexec: after mprotect(PROT_READ): SIGSEGV SEGV_ACCERR at base+0",
        "noexec: returned 7", "noexec: executable again: ok"],
    "cross-page": lambda arch: [
        "cross-page: an instruction into a non-executable page: SIGSEGV SEGV_ACCERR at base+0",
        "cross-page: the PC on that instruction: yes"],
    "misaligned-pc": lambda arch: [
        "misaligned-pc: returned 5", "misaligned-pc: aligned call: ok",
        "misaligned-pc: a jump 2 bytes in: SIGBUS BUS_ADRALN at base+2"],
}
# Where qemu-user 7.2 itself is wrong (so nothing to compare): it never sees code
# written through another mapping; it does not list a grown stack in
# /proc/self/maps, and qemu-arm dies growing it; qemu-arm, qemu-mipsel and qemu-mips
# put the SIGBUS a page late, as do qemu-ppc and qemu-m68k, and qemu-ppc64 and qemu-s390x
# give garbage for its address; qemu-mips* abort on a jump to a halfword (an assertion
# in cpu_exec); qemu-ppc* report a fetch from a page made non-executable as SEGV_MAPERR
# somewhere else. x86 is judged by this host's own run of the program, on every check.
QEMU_WRONG = {"alias": "*", "alias-more": "*", "growsdown": "*", "bus-eof": {"arm", "mipsel", "mips", "ppc", "ppc64", "s390x", "m68k"},
              "misaligned-pc": {"mipsel", "mips", "mips64el"}, "noexec": {"ppc", "ppc64"}}


# alias and thread on x86, s390x and PowerPC, whose programs tell the emulator nothing
# when they rewrite code (coherent I-caches; icbi is a plain load to Unicorn): the alias
# pages' homes and the drops at a change of the emulator lock's holder
# (usermode/memory/coherence.py) make them pass there too.


# Not yet (README): code_memory.c has no facts for these arches (their TEST_C lacks
# ARCH_CODE_RETURN, ARCH_EXCLUSIVE_LOAD): the checks cannot be built for them.
NOT_PORTED = set()
_NOT_PORTED_WHY = "code_memory.c is not ported to this architecture yet"


def not_ported(arch):
    return "ARCH_CODE_RETURN(w, n)" not in cpu.get(arch).TEST_C


def _checks():
    for what in sorted(EXPECTED):
        for arch in sorted(ARCHES):
            if what == "misaligned-pc" and "ARCH_MISALIGNED_JUMP(p)" not in cpu.get(arch).TEST_C:
                continue  # no jump target is misaligned: riscv64 with C, ppc, s390x, m68k (their TEST_C says why)
            if what == "cross-page" and "ARCH_CROSSING_CODE" not in cpu.get(arch).TEST_C:
                continue  # instructions of one size and alignment never cross a page
            if what == "exclusive" and "ARCH_EXCLUSIVE_LOAD(p)" not in cpu.get(arch).TEST_C:
                continue  # s390x: no load-exclusive (its TEST_C says so)
            if not_ported(arch):
                yield pytest.param(what, arch, marks=pytest.mark.xfail(strict=True, reason=_NOT_PORTED_WHY))
            else:
                yield what, arch


@pytest.mark.parametrize("what,arch", list(_checks()))
def test_code_and_memory(what, arch, tmp_path):
    prog = build(arch, "code_memory.c", "static")
    res = run_pyqemu(arch, prog, what, str(tmp_path), timeout=120)
    assert res.returncode == 0, res.stderr.decode()
    assert res.stdout.decode().splitlines() == EXPECTED[what](arch), res.stderr.decode()
    wrong = QEMU_WRONG.get(what, ())
    if runs_natively(arch):
        assert run_native(arch, prog, what, str(tmp_path)).stdout == res.stdout
    elif have_qemu(arch) and wrong != "*" and arch not in wrong:
        assert run_qemu(arch, prog, what, str(tmp_path)).stdout == res.stdout


def test_the_unported_architectures_are_the_known_ones():
    """NOT_PORTED says which arches code_memory.c lacks: porting one updates it."""
    assert {a for a in cpu.ARCH_NAMES if not_ported(a)} == NOT_PORTED


def test_sigbus_without_a_handler_is_one_line_and_death_by_sigbus(arch):
    if not_ported(arch):
        pytest.xfail(_NOT_PORTED_WHY)
    prog = build(arch, "code_memory.c", "static")
    res = run_pyqemu(arch, prog, "bus-fatal")
    assert res.returncode == -7 and res.stdout == b"mapped\n"
    report = [line for line in res.stderr.decode().splitlines() if "guest" in line]
    assert len(report) == 1 and "guest SIGBUS: access past the end of a mapped file at 0x" in report[0], res.stderr
    if runs_natively(arch) or have_qemu(arch):
        assert run_reference(arch, prog, "bus-fatal").returncode == -7
