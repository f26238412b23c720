"""pyqemu-sysroot: the tool's commands and errors, and riscv64 coverage from the
cross sysroot it makes (Debian 12 has no riscv64 port): glibc's own programs
(ld.so --list, the libc.so.6 banner) and a program the tests compile, run with
that sysroot under pyqemu and qemu-user."""
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import assert_same_as_qemu, build, run_pyqemu, run_qemu


def tool(*args, env=None, timeout=600):
    exe = shutil.which("pyqemu-sysroot", path=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    assert exe, "pyqemu-sysroot is not installed: run `pip install -e .` first"
    return subprocess.run([exe] + list(args), capture_output=True, text=True, env=env, timeout=timeout)


@pytest.fixture(scope="module")
def cross_riscv64(tmp_path_factory):
    where = str(tmp_path_factory.mktemp("sysroots") / "cross-riscv64")
    res = tool("create", "riscv64", "--kind", "cross", "--dir", where)
    if res.returncode == 3:
        pytest.skip(f"the Debian package archive is unreachable: {res.stderr.strip()}")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == where
    return where


def test_cross_sysroot_made(cross_riscv64):
    assert os.path.isfile(os.path.join(cross_riscv64, "lib", "libc.so.6"))
    marker = json.load(open(os.path.join(cross_riscv64, ".pyqemu-sysroot.json")))
    assert marker["kind"] == "cross" and marker["arch"] == "riscv64"
    again = tool("create", "riscv64", "--kind", "cross", "--dir", cross_riscv64)  # idempotent: nothing to do
    assert again.returncode == 0 and "already there" in again.stderr


def test_ld_so_list(cross_riscv64):
    prog = build("riscv64", "hello.c", "dynamic")
    ld = os.path.join(cross_riscv64, "lib", "ld-linux-riscv64-lp64d.so.1")
    ours = run_pyqemu("riscv64", ld, "--list", prog, options=["-L", cross_riscv64])
    theirs = run_qemu("riscv64", ld, "--list", prog, options=["-L", cross_riscv64])
    unplaced = lambda out: re.sub(rb"\(0x[0-9a-f]+\)", b"", out)  # load addresses are each emulator's own
    assert ours.returncode == theirs.returncode == 0
    assert unplaced(ours.stdout) == unplaced(theirs.stdout)
    assert b"libc.so.6 => /lib/libc.so.6" in ours.stdout


def test_libc_banner(cross_riscv64):
    res = assert_same_as_qemu("riscv64", os.path.join(cross_riscv64, "lib", "libc.so.6"),
                              options=["-L", cross_riscv64])
    assert res.stdout.startswith(b"GNU C Library (Debian GLIBC 2.36")


@pytest.mark.parametrize("source", ["hello.c", "procfs.c", "files.c"])
def test_compiled_programs(cross_riscv64, source, tmp_path):
    prog = build("riscv64", source, "dynamic")
    args = [str(tmp_path)] if source == "files.c" else []
    if source == "procfs.c":  # qemu-user gets status/comm/cpuinfo wrong (its own): checked in test_procfs
        res = run_pyqemu("riscv64", prog, options=["-L", cross_riscv64])
        assert res.returncode == 0 and b"cpuinfo: processor 1, x86 vendor 0" in res.stdout
        return
    assert_same_as_qemu("riscv64", prog, *args, options=["-L", cross_riscv64])


def test_path_and_list(tmp_path):
    env = dict(os.environ, PYQEMU_SYSROOTS=str(tmp_path))
    res = tool("path", "arm64", env=env)
    assert res.returncode == 0 and res.stdout == f"{tmp_path}/rootfs-arm64-bookworm\n"
    res = tool("path", "riscv64", env=env)
    assert res.stdout == f"{tmp_path}/cross-riscv64-bookworm\n"
    res = tool("list", env=env)
    assert res.returncode == 0 and "no sysroots" in res.stdout


@pytest.mark.parametrize("args, message", [
    (["create", "sparc"], "unknown architecture 'sparc'"),
    (["create", "riscv64", "--kind", "rootfs"], "Debian bookworm has no riscv64 port: use --kind cross"),
    (["create", "aarch64", "--with", "Bad_Name"], "'Bad_Name' is not a Debian package name"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["create", "aarch64", "--dir", "/etc/passwd"], "exists and is not a directory"),
    (["create", "aarch64", "--mirror", "http://127.0.0.1:9/debian", "--dir", "{tmp}/x"],
     "cannot reach the package archive"),
])
def test_errors_are_one_line(args, message, tmp_path):
    res = tool(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert res.returncode != 0
    assert res.stderr.count("\n") == 1 and message in res.stderr, res.stderr
    assert "Traceback" not in res.stderr


def test_unknown_package(tmp_path):
    res = tool("create", "aarch64", "--with", "no-such-package-pyqemu", "--dir", str(tmp_path / "r"))
    if res.returncode == 3:
        pytest.skip("the Debian package archive is unreachable")
    assert res.returncode == 1
    assert res.stderr.strip().splitlines()[-1] == "pyqemu-sysroot: unknown package(s): no-such-package-pyqemu"
    assert not os.path.exists(tmp_path / "r")  # nothing half-made left behind


def test_fix_up_writes_what_postinst_would(tmp_path):
    """Packages are unpacked, not configured: netbase's postinst makes /etc/hosts, without
    which a root cannot resolve "localhost" (CPython's test_socket binds to it); fix_up
    writes it when netbase is unpacked, and leaves an existing one alone."""
    from sysroots.tool import fix_up
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    fix_up(str(root))
    assert not (root / "etc" / "hosts").exists()  # no netbase, no /etc/hosts (as debootstrap leaves it)
    (root / "usr" / "share" / "doc" / "netbase").mkdir(parents=True)
    fix_up(str(root))
    hosts = (root / "etc" / "hosts").read_text().splitlines()
    assert hosts[0].split() == ["127.0.0.1", "localhost"]
    assert hosts[1].split()[:2] == ["::1", "localhost"]
    assert (root / "etc" / "networks").read_text().split()[:2] == ["default", "0.0.0.0"]
    (root / "etc" / "hosts").write_text("10.0.0.1 elsewhere\n")
    fix_up(str(root))
    assert (root / "etc" / "hosts").read_text() == "10.0.0.1 elsewhere\n"
