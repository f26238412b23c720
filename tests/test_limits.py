"""Limits: sizes a guest passes that are far beyond what the kernel fills, and the
address-space limits a user or the guest sets. Compared with the same program run
natively on this host (the real kernel's answers)."""
from conftest import build, build_host, run, run_pyqemu


def test_sizes_bounded_by_what_the_host_fills(arch):
    """sched_getaffinity with a 4 GiB cpusetsize allocated 8 GB and took up to 96 s;
    sched_setaffinity and setgroups read gigabytes of guest memory (EFAULT)."""
    native = run([build_host("sizes.c")], timeout=60)
    assert native.returncode == 0, native.stderr
    ours = run_pyqemu(arch, build(arch, "sizes.c", "static"), timeout=60)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout.decode().splitlines() == native.stdout.decode().splitlines()
