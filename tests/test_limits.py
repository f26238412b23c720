"""Limits: sizes a guest passes that are far beyond what the kernel fills, and the
address-space limits a user or the guest sets. Compared with the same program run
natively on this host (the real kernel's answers)."""
import resource

import pytest

from conftest import ARCHES, build, build_native, run, run_pyqemu
from usermode import cpu
from usermode.loader.elf import ET_EXEC, ElfFile
from usermode.memory.limits import EMULATOR_SHARE


def test_sizes_bounded_by_what_the_host_fills(arch):
    """sched_getaffinity with a 4 GiB cpusetsize allocated 8 GB and took up to 96 s;
    sched_setaffinity and setgroups read gigabytes of guest memory (EFAULT)."""
    native = run([build_native(arch, "sizes.c")], timeout=60)
    assert native.returncode == 0, native.stderr
    ours = run_pyqemu(arch, build(arch, "sizes.c", "static"), timeout=60)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout.decode().splitlines() == native.stdout.decode().splitlines()


# ---- the user's address-space limit (ulimit -v) ------------------------------------------

def address_space_limit(nbytes):
    def set_it():
        resource.setrlimit(resource.RLIMIT_AS, (nbytes, nbytes))
    return set_it


def room(arch, nbytes, prog=None):
    """nbytes of room for an arch: on top of its whole reservation where it needs one
    (ARM's 4 GiB, for its kuser page at 0xffff0000), as qemu-user also needs, or of the
    end of a fixed-address program's segments (n64's static programs at 0x120000000: the
    guest's range is one reservation from address 0, where qemu-user maps only what is used)."""
    extra = cpu.get(arch).ADDRESS_SPACE_SIZE or 0
    if prog is not None:
        elf = ElfFile(prog)
        if elf.type == ET_EXEC:
            extra = max(extra, elf.span()[1] * EMULATOR_SHARE // (EMULATOR_SHARE - 1))  # the emulator's share
        elf.close()
    return nbytes + extra


def test_fixed_address_program_beyond_the_limit_is_one_line():
    """A static program whose segments lie beyond what ulimit -v leaves of the guest's range
    (n64's at 0x120000000 under 4 GiB) is refused in one line naming the limit."""
    high = [a for a in ARCHES if _static_end(a) > (3 << 30)]
    assert high or not any(a.startswith("mips64") for a in ARCHES)
    for arch in high:
        res = run_pyqemu(arch, build(arch, "hello.c", "static"), preexec_fn=address_space_limit(4 << 30), timeout=60)
        err = res.stderr.decode()
        assert res.returncode == 1 and len(err.splitlines()) == 1, err
        assert "lie outside the guest address space" in err and "all that ulimit -v 4194304 leaves" in err


def _static_end(arch):
    elf = ElfFile(build(arch, "hello.c", "static"))
    try:
        return elf.span()[1]
    finally:
        elf.close()


@pytest.mark.parametrize("mode", ["static", "dynamic"])
@pytest.mark.parametrize("gib", [4, 1])
def test_runs_under_ulimit_v(arch, mode, gib):
    """qemu-user runs hello under `ulimit -v 4194304`; pyqemu failed to start even at 256 GiB
    (its first mmap reserved the whole guest address space)."""
    prog = build(arch, "hello.c", mode)
    res = run_pyqemu(arch, prog, "x", preexec_fn=address_space_limit(room(arch, gib << 30, prog)), timeout=60)
    assert res.returncode == 42, res.stderr
    assert res.stdout == f"hello from {prog} with 1 argument(s)\nargv[1] = x\n".encode()
    assert res.stderr == b""


def test_threads_under_ulimit_v(arch):
    """Each thread's CPU has its own code buffer (Unicorn's default: 1 GiB of address
    space each): small ones under a limit, so that 16 threads fit in 4 GiB."""
    prog = build(arch, "threads.c", "static", ["-pthread"])
    free = run_pyqemu(arch, prog, "16", "2000", timeout=120)
    assert free.returncode == 0, free.stderr
    res = run_pyqemu(arch, prog, "16", "2000", preexec_fn=address_space_limit(room(arch, 4 << 30, prog)), timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout == free.stdout


def test_thread_churn_stays_bounded(arch):
    """Ended threads' Unicorn instances were never freed (3 MB and 1 GiB of address space
    each): 300 threads one after another now fit in 2 GiB."""
    prog = build(arch, "thread_churn.c", "static", ["-pthread"])
    res = run_pyqemu(arch, prog, "300", preexec_fn=address_space_limit(room(arch, 2 << 30, prog)), timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout == b"300 threads made and joined\n"


def test_whole_reservation_refused_in_one_line():
    """An arch whose reservation must be whole (qemu-user needs it too: 'Unable to reserve
    0xfffff000 bytes'): under less, one line saying so."""
    needing = [a for a in cpu.ARCH_NAMES if cpu.get(a).ADDRESS_SPACE_SIZE]
    assert needing, "no architecture needs its whole reservation any more: drop this test"
    whole = [a for a in needing if a in ARCHES]
    if not whole:
        pytest.skip(f"{', '.join(needing)} not among PYQEMU_TEST_ARCHES")
    for arch in whole:
        res = run_pyqemu(arch, build(arch, "hello.c", "static"), preexec_fn=address_space_limit(4 << 30), timeout=60)
        err = res.stderr.decode()
        assert res.returncode == 1 and len(err.splitlines()) == 1, err
        assert "needs its whole" in err


def test_limit_too_small_is_one_line(arch):
    res = run_pyqemu(arch, build(arch, "hello.c", "static"), preexec_fn=address_space_limit(256 << 20), timeout=60)
    err = res.stderr.decode()
    assert res.returncode == 1 and len(err.splitlines()) == 1, err
    assert "address-space limit (ulimit -v 262144) is too small" in err


def test_guest_rlimit_as_and_data(arch):
    """setrlimit(RLIMIT_AS / RLIMIT_DATA) limits the guest's mmap, mremap, mprotect and brk
    with ENOMEM, as the kernel does, and an exec'd program inherits the limit. Before, the
    limits went to the host, where the emulator's reservation already exceeded them."""
    native = run([build_native(arch, "rlimits.c")], timeout=60)
    assert native.returncode == 0, native.stderr
    ours = run_pyqemu(arch, build(arch, "rlimits.c", "static"), timeout=60)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout.decode().splitlines() == native.stdout.decode().splitlines()
