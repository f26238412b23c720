"""Guest memory: brk, mmap family, and guest faults reported in one line."""
import pytest

from conftest import ARCHES, build, have_qemu, run_native, run_pyqemu, run_qemu, runs_natively

MEMORY_CHECKS = [
    "brk grows", "brk shrinks", "anonymous mmap is zeroed", "munmap of the middle", "both sides survive",
    "mprotect part read-only", "mprotect back", "mprotect of a hole is ENOMEM", "a free hint is honoured",
    "MAP_FIXED_NOREPLACE on a mapping is EEXIST", "MAP_FIXED replaces exactly its pages", "MADV_DONTNEED zeroes",
    "mremap moves, keeps contents", "mremap shrinks in place", "mremap without MAYMOVE may fail",
    "mremap to a fixed address", "mremap grows in place", "mremap grows in place again",
    "a region grown in place moves whole",
    "MAP_PRIVATE file: copy on write", "file mapping at an offset", "msync", "MAP_SHARED write reaches the file",
    "and the other shared mapping", "file writes show in the mapping", "private mapping of untouched page",
    "shared anonymous mapping", "length 0 is EINVAL", "bad fd is EBADF", "unaligned munmap is EINVAL",
    "unaligned offset is EINVAL", "bad pointer is EFAULT",
]
# qemu-user 7.2 maps over an existing mapping for MAP_FIXED_NOREPLACE; the kernel says EEXIST.
QEMU_DIFFERS = {"MAP_FIXED_NOREPLACE on a mapping is EEXIST"}
# Where qemu-user 7.2 itself dies on this program: nothing of its output to compare.
# qemu-arm, qemu-mipsel, qemu-mips, qemu-ppc, qemu-m68k: mremap growing a page in place fails with
# ENOMEM (its 32-bit guest address space is a reservation it manages itself) and the program's next
# store faults.
QEMU_CRASHES = {"arm": "mremap grows in place", "mipsel": "mremap grows in place", "mips": "mremap grows in place",
                "ppc": "mremap grows in place", "m68k": "mremap grows in place"}


@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_memory_management(arch, mode, tmp_path):
    prog = build(arch, "memory.c", mode)
    options = ["-L", ARCHES[arch]["sysroot"]] if mode == "dynamic" else []
    res = run_pyqemu(arch, prog, str(tmp_path), options=options)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.decode().splitlines()
    assert lines == [f"{check}: ok" for check in MEMORY_CHECKS], res.stderr.decode()
    if runs_natively(arch):  # the kernel itself: every line
        if mode == "static":  # dynamic, natively ld.so's set-up (the vDSO's) mallocs before main, and the
            # program's brk shrink then cuts the heap from under it: it dies at exit
            assert run_native(arch, prog, str(tmp_path), options=options).stdout.decode().splitlines() == lines
    elif have_qemu(arch):
        theirs = run_qemu(arch, prog, str(tmp_path), options=options)
        qemu = theirs.stdout.decode().splitlines()
        same = [line for line in qemu if line.split(":")[0] not in QEMU_DIFFERS]
        ours = [line for line in lines if line.split(":")[0] not in QEMU_DIFFERS]
        if theirs.returncode < 0 and arch in QEMU_CRASHES:
            return  # qemu died (its buffered lines with it): our lines were checked above
        assert same == ours


def breakpoint_signal(arch):
    """What the arch's breakpoint instruction raises in an untraced process."""
    from usermode import cpu
    return cpu.get(arch).TEST_C.get("ARCH_BREAKPOINT_SIGNAL", "SIGTRAP")


FAULTS = {
    # argv[1]: (signal number, words the one-line report must hold)
    "null-write": (11, ["SIGSEGV", "write to unmapped memory at 0x0"]),
    "null-read": (11, ["SIGSEGV", "read of unmapped memory at 0x8"]),
    "readonly-write": (11, ["SIGSEGV", "write to protected memory"]),
    "exec-data": (11, ["SIGSEGV", "fetch from protected memory"]),
    "illegal": (4, ["SIGILL", "illegal instruction"]),
    "breakpoint": (5, ["SIGTRAP", "breakpoint"]),
}


@pytest.mark.parametrize("what", sorted(FAULTS))
def test_guest_fault_is_one_line_and_the_same_signal(arch, what):
    prog = build(arch, "faults.c", "static")
    signum, words = FAULTS[what]
    if what == "breakpoint" and breakpoint_signal(arch) != "SIGTRAP":  # s390x: SIGILL, as its kernel
        signum, words = 4, ["SIGILL", "breakpoint"]
    res = run_pyqemu(arch, prog, what)
    assert res.returncode == -signum
    assert res.stdout == f"before {what}\n".encode()
    report = [line for line in res.stderr.decode().splitlines() if "guest" in line]
    assert len(report) == 1 and "Traceback" not in res.stderr.decode()
    for word in words:
        assert word in report[0]
    assert " pc 0x" in report[0]
    if have_qemu(arch):
        assert run_qemu(arch, prog, what).returncode == -signum


def test_fault_report_disassembles_the_faulting_instruction():
    prog = build("aarch64", "faults.c", "static")
    res = run_pyqemu("aarch64", prog, "illegal")
    assert "udf #0" in res.stderr.decode()
    prog = build("riscv64", "faults.c", "static")
    assert "ebreak" in run_pyqemu("riscv64", prog, "breakpoint").stderr.decode()


@pytest.mark.parametrize("how,status", [("abort", -6), ("raise-term", -15), ("kill-usr1", -10), ("kill-0", 3)])
def test_signal_sent_to_itself_ends_it_the_same_way(arch, how, status):
    prog = build(arch, "selfsignal.c", "static")
    res = run_pyqemu(arch, prog, how)
    assert res.returncode == status, res.stderr
    assert res.stdout == f"start {how}\n".encode()
    if have_qemu(arch):
        assert run_qemu(arch, prog, how).returncode == status
