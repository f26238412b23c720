"""The guest's own /proc (usermode/procfs.py): what a program reads about itself
is the guest program's, not the emulator's."""
import re

import pytest

from conftest import ARCHES, build, run_pyqemu, run_qemu
from usermode import cpu

X86 = 4  # Unicorn's UC_ARCH_X86

# lines qemu-user 7.2 gets right too: compared with it
SHARED = ["exe is me: 1", "cmdline: 1", "auxv: pagesz 1 entry 1", "stat: pid 1 comm procfs", "own pid dir: 1",
          "fd link: 1"]


@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_proc_self(arch, mode, tmp_path):
    prog = build(arch, "procfs.c", mode, output=str(tmp_path / "procfs"))
    res = run_pyqemu(arch, prog, "an argument")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.decode().splitlines()
    processor = int(arch != "m68k")  # the m68k kernel's cpuinfo names no processor (one CPU, its model)
    assert lines == [
        "exe is me: 1", "cmdline: 1", "auxv: pagesz 1 entry 1", "maps: code mapping of procfs: 1",
        "stat: pid 1 comm procfs", "status: Name:\tprocfs", "comm: procfs", "own pid dir: 1", "fd link: 1",
        f"cpuinfo: processor {processor}, x86 vendor {int(cpu.get(arch).UC_ARCH == X86)}"]
    theirs = run_qemu(arch, prog, "an argument", options=["-L", ARCHES[arch]["sysroot"]])
    assert [ln for ln in theirs.stdout.decode().splitlines() if ln in SHARED] == SHARED


def test_cpuinfo_describes_guest(arch, tmp_path):
    prog = build(arch, "procfs.c", "static")
    res = run_pyqemu(arch, prog)
    assert res.returncode == 0
    import subprocess
    cat = {"aarch64": "Features\t: fp asimd", "riscv64": "isa\t\t: rv64imafdc",
           "arm": "Features\t: half thumb fastmult vfp edsp neon vfpv3 tls vfpv4",
           "x86_64": "flags\t\t: fpu de pse tsc msr pae mce cx8 apic sep mtrr",
           "i386": "flags\t\t: fpu de pse tsc msr pae mce cx8 apic sep mtrr",
           "mipsel": "ASEs implemented\t: mips16", "mips": "ASEs implemented\t: mips16",
           "mips64el": "isa\t\t\t: mips1 mips2 mips3 mips4 mips5 mips32r1 mips32r2 mips64r1 mips64r2",
           "ppc": "cpu\t\t: 750", "ppc64": "cpu\t\t: POWER10", "s390x": "features\t: esan3 zarch stfle msa ldisp eimm",
           "m68k": "CPU:\t\t68030"}[arch]
    # read /proc/cpuinfo through a guest program that prints it: the hello-style cat below
    out = run_pyqemu(arch, build(arch, "catfile.c", "static"), "/proc/cpuinfo")
    assert out.returncode == 0 and cat.encode() in out.stdout
    # how each kernel starts a CPU's lines (MIPS: two tabs)
    per_cpu = {"s390x": rb"^cpu number\s*:"}.get(arch, rb"^processor\s*:")
    if arch == "m68k":  # no SMP kernel: one CPU whatever the host has
        assert out.stdout.count(b"CPU:\t\t") == 1
        return
    assert subprocess.run(["grep", "-c", "processor", "/proc/cpuinfo"], capture_output=True).stdout.strip() == \
        str(len(re.findall(per_cpu, out.stdout, re.M))).encode()


def test_smaps_counts_a_guest_mapping(arch):
    """LTP's mlock05 reads Rss and Locked of its mapping from /proc/self/smaps."""
    from conftest import build, run_pyqemu
    res = run_pyqemu(arch, build(arch, "smaps.c", "static"))
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().split("\n")[:3] == ["Size: 12", "Rss: 12", "Locked: 12"]


def test_smaps_numa_maps_and_mem_are_the_guests(arch):
    """smaps, smaps_rollup and numa_maps list the guest's mappings (its maps lines, exact
    Rss); /proc/self/mem and /proc/CHILD/mem read and write guest memory at guest
    addresses (EIO where nothing is mapped, forced writes into read-only code, patched
    code runs). Before, all of them were the host's: Python's mappings and memory."""
    from conftest import build_native, run
    native = run([build_native(arch, "procmem.c", ["-no-pie"])], timeout=60)
    assert native.returncode == 0, native.stderr
    res = run_pyqemu(arch, build(arch, "procmem.c", "static"), timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().splitlines() == native.stdout.decode().splitlines()
    assert b"numa_maps: region line 1" in res.stdout or b"numa_maps: absent" in native.stdout
