"""pyqemu's own fuzzers (tools/fuzz.py), a short run of each per architecture, and
what they found, each fixed and kept here as a line of tests/guest/fuzz_found.c.

The long runs (8 seeds x 50,000 calls, 1,000 mutants per architecture) are for
people: `./dev fuzz syscalls` and `./dev fuzz elf`."""
import importlib.util
import os

from conftest import build, build_native, run, run_pyqemu
from usermode import cpu

HERE = os.path.dirname(os.path.abspath(__file__))


def _fuzz():
    spec = importlib.util.spec_from_file_location("fuzz", os.path.join(HERE, "..", "tools", "fuzz.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_what_the_fuzzer_found(arch):
    """Each line was an internal error or a wrong answer before: negative descriptors
    (ValueError), flags and limits beyond an int (OverflowError), mremap shrinking to
    a fixed place or onto itself (UC_ERR_MAP), a signalfd made blocking (the refresh
    blocked for ever), a blocking signalfd read and a handled signal (it never ended)."""
    native = run([build_native(arch, "fuzz_found.c")], timeout=60)
    assert native.returncode == 0, native.stderr
    ours = run_pyqemu(arch, build(arch, "fuzz_found.c", "static"), timeout=60)
    assert ours.returncode == 0, ours.stderr
    expected = native.stdout.decode().splitlines()
    module = cpu.get(arch)
    if module.ABI.bits == 32 and (module.ADDRESS_SPACE_SIZE or module.TASK_SIZE) < (1 << 32) - 14 * 4096:
        # mremap to 16 pages below 4 GiB: inside the native i386 run's user space, beyond
        # a guest's whose user space ends lower (MIPS o32: 2 GiB), where the kernel says EINVAL
        expected = [l.replace("beyond the address space: ok", "beyond the address space: EINVAL") for l in expected]
    assert ours.stdout.decode().splitlines() == expected
    assert b"internal error" not in ours.stderr


def test_syscall_fuzzer_short_run(arch):
    """One seed, 3,000 hostile calls: it must complete (no traceback, no internal error,
    no hang, no emulator crash). Seconds."""
    verdict, details = _fuzz().fuzz_syscalls(arch, seed=1, calls=3000, timeout=300)
    assert verdict == "ok", details
    assert details["done"] == 3000


def test_elf_mutator_short_run(arch):
    """Three dozen mutants of the static and dynamic hello: each runs, is refused in one
    line, or dies of its own signal; never a traceback or an emulator crash."""
    fuzz = _fuzz()
    outcomes = fuzz.fuzz_elf(arch, count=36, seed=11, timeout=20, jobs=2)
    bad = [(i, verdict, detail) for i, verdict, detail in outcomes if verdict not in fuzz.FINE]
    assert not bad, bad
    assert {verdict for _, verdict, _ in outcomes} >= {"ran", "refused"}


MISALIGNED_PC_SIGBUS = ("aarch64",)  # odd addresses: a PC alignment fault, not a fetch from page 0


def test_call_through_a_pointer_holding_one(arch):
    """Found by the ELF mutator: a jump to address 1 (the address that ends Unicorn's
    emu_start) made the run loop start and stop there for ever. Now it is the fetch
    fault qemu-user reports (aarch64: at 0x1; riscv64's jalr clears the bit: at 0)."""
    import signal
    from conftest import assert_same_as_qemu
    prog = build(arch, "jump_bad.c", "static")
    if arch in MISALIGNED_PC_SIGBUS:
        # the arm64 kernel's PC alignment fault (do_sp_pc_abort): SIGBUS BUS_ADRALN at the
        # target; qemu-aarch64 7.2 reports a fetch fault (SIGSEGV) there
        res = run_pyqemu(arch, prog, "1", "with-handler", timeout=60)
        assert res.stdout.startswith(b"SIGBUS code 1 addr 0x1\n"), res.stdout + res.stderr
        dead = run_pyqemu(arch, prog, "1", timeout=60)
        assert dead.returncode == -signal.SIGBUS and b"guest SIGBUS: jump to a misaligned address" in dead.stderr
        return
    res = assert_same_as_qemu(arch, prog, "1", "with-handler", timeout=60)
    assert res.stdout.startswith(b"SIGSEGV code 1 addr ")
    dead = run_pyqemu(arch, prog, "1", timeout=60)
    assert dead.returncode == -signal.SIGSEGV and b"guest SIGSEGV: fetch from unmapped" in dead.stderr
