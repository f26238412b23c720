"""A program runs itself again through /proc/self/exe, /proc/self/fd/N, fexecve,
execveat(AT_EMPTY_PATH) and a memfd copy (busybox, Go and Python do), under -L
and under --rootfs alike: the new process is the guest program, not the
emulator's Python, and no path is looked up inside the root by mistake."""
import os
import shutil

from conftest import ARCHES, build, run_pyqemu

WAYS = ["/proc/self/exe", "/proc/self/fd", "fexecve", "execveat", "memfd"]
EXPECTED = [line for way in WAYS for line in (f"again: {way}", f"{way}: status 0")]


def _lines(res):
    return res.stdout.decode().splitlines()


def test_exec_self_static(arch):
    res = run_pyqemu(arch, build(arch, "exec_self.c", "static"), timeout=120)
    assert _lines(res) == EXPECTED, res.stderr.decode()[-2000:]


def test_exec_self_with_sysroot(arch):
    res = run_pyqemu(arch, build(arch, "exec_self.c", "dynamic"), options=["-L", ARCHES[arch]["sysroot"]],
                     timeout=120)
    assert _lines(res) == EXPECTED, res.stderr.decode()[-2000:]


def test_exec_self_under_rootfs(arch, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(build(arch, "exec_self.c", "static"), root / "prog")
    os.chmod(root / "prog", 0o755)
    res = run_pyqemu(arch, "/prog", options=["--rootfs", str(root)], timeout=120, cwd="/")
    assert _lines(res) == EXPECTED, res.stderr.decode()[-2000:]
