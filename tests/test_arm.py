"""32-bit Arm only: what its kernel adds to the generic calls (the kuser helpers page,
set_tls/get_tls/cacheflush, sigframe for handlers without SA_SIGINFO, in ARM and Thumb
code), the EABI check, and a Debian armel root (ARMv5 soft-float, which uses the kuser
helpers) running bash, coreutils and python3."""
import os
import struct
import subprocess

import pytest

from conftest import ARCHES, assert_same_as_qemu, build, installed_script, run, run_pyqemu

pytestmark = pytest.mark.skipif("arm" not in ARCHES, reason="arm is not among PYQEMU_TEST_ARCHES")

ARM_KERNEL = [
    "kuser helper version", "__kuser_get_tls is the thread pointer", "__kuser_cmpxchg swaps",
    "__kuser_cmpxchg refuses a stale value", "__kuser_cmpxchg64 swaps", "__kuser_cmpxchg64 refuses a stale value",
    "__kuser_memory_barrier returns", "set_tls", "get_tls and TPIDRURO agree", "cacheflush drops the old translation",
    "cacheflush end before start fails", "plain handler from ARM code returns", "plain handler from Thumb code returns",
    "SA_SIGINFO handler from Thumb code returns", "SA_SIGINFO handler from ARM code returns",
]


@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_arm_kernel_interfaces(mode):
    prog = build("arm", "arm_kernel.c", mode)
    options = ["-L", ARCHES["arm"]["sysroot"]] if mode == "dynamic" else []
    # qemu-arm 7.2's cacheflush does nothing and returns 0 even for end < start, where the
    # kernel's do_cache_op says EINVAL (which we say, and the line checks)
    res = assert_same_as_qemu("arm", prog, options=options, qemu_wrong=("cacheflush end before start",))
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().splitlines() == [f"{line}: ok" for line in ARM_KERNEL], res.stderr.decode()


@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_it_state_after_a_tlb_fill(mode):
    """The virtual TLB's fill inside a Thumb IT block leaves no IT state behind (cpu/arm.py,
    tlb_filled); the CPU-TLB fallback (regfile shortcuts off) runs it the same."""
    prog = build("arm", "arm_it_state.c", mode)
    options = ["-L", ARCHES["arm"]["sysroot"]] if mode == "dynamic" else []
    res = assert_same_as_qemu("arm", prog, options=options)
    assert res.returncode == 0 and b": ok (64 of 64)" in res.stdout, res.stdout
    safe = run_pyqemu("arm", prog, options=options, env=dict(os.environ, PYQEMU_NO_UNSAFE="regfile"))
    assert (safe.returncode, safe.stdout) == (0, res.stdout), safe.stderr


def test_the_virtual_tlb_is_used_when_the_it_state_can_be_mended(monkeypatch):
    from usermode import cpu, regfile
    from usermode.cpu import arm as arm_module
    from usermode.uc import Uc

    def fresh():
        arch = cpu.get("arm")
        uc = Uc(arch.UC_ARCH, arch.UC_MODE)
        uc.ctl_set_cpu_model(arch.CPU_MODELS[arch.DEFAULT_CPU])
        arch.prepare(uc)
        return arch, uc
    arch, uc = fresh()
    assert arch.tlb_mode(uc) == "virtual"
    cpsr = uc.reg_read(arm_module.A.UC_ARM_REG_CPSR)
    uc.reg_write(arm_module.A.UC_ARM_REG_CPSR, cpsr | 0x0600FC00)  # every IT bit
    assert uc.arm_condexec[0] == 0xFF
    arch.tlb_filled(uc)
    assert uc.reg_read(arm_module.A.UC_ARM_REG_CPSR) & 0x0600FC00 == 0
    monkeypatch.setattr(regfile, "DISABLED", True)
    arch, uc = fresh()
    assert arch.tlb_mode(uc) == "cpu"


def test_oabi_program_is_refused_in_one_line(tmp_path):
    data = bytearray(open(build("arm", "hello.c", "static"), "rb").read())
    struct.pack_into("<I", data, 0x24, 0)  # e_flags: no EABI version: the old ABI
    path = tmp_path / "oabi"
    path.write_bytes(bytes(data))
    path.chmod(0o755)
    res = run_pyqemu("arm", str(path))
    err = res.stderr.decode()
    assert res.returncode == 1 and err.count("\n") == 1 and "OABI" in err and "EABI version 5" in err, err


@pytest.fixture(scope="module")
def armel_root():
    tool = installed_script("pyqemu-sysroot")
    res = subprocess.run([tool, "create", "armel", "--with", "python3"], capture_output=True, text=True, timeout=1800)
    if res.returncode == 3:
        pytest.skip(f"the Debian package archive is unreachable: {res.stderr.strip().splitlines()[-1]}")
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


@pytest.mark.parametrize("argv, expected", [
    (["/bin/bash", "-c", "echo $((6 * 7)); for i in 1 2 3; do echo -n $i; done; echo"], "42\n123\n"),
    (["/usr/bin/sort", "-r", "/etc/debian_version", "/etc/hostname"], None),
    (["/usr/bin/python3", "-c", "import threading, sys; t = threading.Thread(target=print, args=(sys.maxsize,)); "
                                "t.start(); t.join()"], "2147483647\n"),
], ids=["bash", "sort", "python3 threading"])
def test_armel_root(armel_root, argv, expected, tmp_path):
    """Debian armel (ARMv5, soft-float): its glibc takes the thread pointer and does its
    atomics through the kuser helpers."""
    cmd = [installed_script("pyqemu-arm"), "--rootfs", armel_root] + argv
    ours = run(cmd, cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"})
    assert ours.returncode == 0, ours.stderr
    theirs = run(["qemu-arm", "-L", armel_root, os.path.join(armel_root, argv[0].lstrip("/"))] + argv[1:],
                 cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "LC_ALL": "C", "QEMU_LD_PREFIX": armel_root})
    assert ours.stdout == theirs.stdout and ours.returncode == theirs.returncode
    if expected is not None:
        assert ours.stdout.decode() == expected
