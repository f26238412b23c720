"""Shared test machinery: build guest programs with the cross compilers, run
them under pyqemu and under qemu-user, compare.

Guest programs are C sources in tests/guest/, compiled on first use into
tests/.build/ (cached by source, arch and flags).
"""
import hashlib
import os
import shutil
import subprocess
import sys

import pytest

from usermode import cpu

HERE = os.path.dirname(os.path.abspath(__file__))
GUEST = os.path.join(HERE, "guest")
BUILD = os.path.join(HERE, ".build")

# Every architecture, or those PYQEMU_TEST_ARCHES names (comma separated): for a
# developer working on one, never for CI.
_ONLY = [a for a in os.environ.get("PYQEMU_TEST_ARCHES", "").split(",") if a]
ARCHES = {name: cpu.cross_tools(name) for name in cpu.ARCH_NAMES if not _ONLY or name in _ONLY}

# How each link mode is asked of gcc. Debian 12's riscv64 glibc has no rcrt1.o,
# so glibc programs cannot be static-pie there; tests/guest/freestanding.c covers
# ET_DYN-without-interpreter on riscv64 instead (and ld.so itself is one).
MODES = {
    "static": ["-static"],
    "dynamic": [],
    "static-pie": ["-static-pie"],
}


def installed_script(name):
    """One of the project's console scripts, from this venv first: tests run what users run."""
    exe = shutil.which(name, path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    if exe is None:
        pytest.fail(f"{name} is not installed: run `pip install -e .` first")
    return exe


def pyqemu_command(arch=None):
    """The console script for arch (or plain pyqemu)."""
    return [installed_script(f"pyqemu-{arch}" if arch else "pyqemu")]


def build(arch, source, mode="static", flags=(), output=None):
    """Compile tests/guest/<source> for arch (any architecture pyqemu has, not only
    those under test); return the program's path."""
    tools = cpu.cross_tools(arch)
    cc = tools["cc"]
    if shutil.which(cc) is None:
        pytest.fail(f"cross compiler {cc} missing: .ci/run installs it")
    src = os.path.join(GUEST, source)
    with open(src, "rb") as f:
        key = hashlib.sha256(f.read() + repr((arch, mode, tuple(flags))).encode()).hexdigest()[:16]
    os.makedirs(BUILD, exist_ok=True)
    out = output or os.path.join(BUILD, f"{os.path.splitext(source)[0]}-{arch}-{mode}-{key}")
    if not os.path.exists(out):
        cmd = [cc, *tools["cc_flags"], "-O2", "-g", "-Wall", "-o", f"{out}.{os.getpid()}.tmp", src] + \
            MODES[mode] + list(flags)
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode:
            pytest.fail(f"building {source} for {arch} ({mode}) failed:\n{res.stderr}")
        os.rename(f"{out}.{os.getpid()}.tmp", out)
    return out


def run(cmd, timeout=120, **kw):
    kw.setdefault("capture_output", True)
    return subprocess.run(cmd, timeout=timeout, **kw)


def run_pyqemu(arch, program, *args, options=(), **kw):
    return run(pyqemu_command(arch) + list(options) + [program] + list(args), **kw)


def have_qemu(arch):
    return shutil.which(ARCHES[arch]["qemu"]) is not None


def run_qemu(arch, program, *args, options=(), **kw):
    return run([ARCHES[arch]["qemu"]] + list(options) + [program] + list(args), **kw)


def assert_same_as_qemu(arch, program, *args, options=(), qemu_options=None, **kw):
    """Run under both; stdout and exit status must match. Returns pyqemu's result."""
    ours = run_pyqemu(arch, program, *args, options=options, **kw)
    if not have_qemu(arch):
        pytest.fail(f"{ARCHES[arch]['qemu']} missing: .ci/run installs qemu-user")
    theirs = run_qemu(arch, program, *args, options=options if qemu_options is None else qemu_options, **kw)
    assert ours.stdout == theirs.stdout, f"stdout differs\npyqemu stderr: {ours.stderr[-2000:]!r}"
    assert ours.returncode == theirs.returncode, \
        f"status {ours.returncode} != qemu's {theirs.returncode}\npyqemu stderr: {ours.stderr[-2000:]!r}"
    return ours


@pytest.fixture(params=sorted(ARCHES))
def arch(request):
    return request.param
