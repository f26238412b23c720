"""Path semantics: -L as qemu-user, --rootfs as a chroot (usermode/paths.py)."""
import os
import tempfile

import pytest

from conftest import ARCHES, build, glibc_files, run_pyqemu
from usermode.paths import PathResolver


@pytest.fixture
def root(tmp_path):
    """A little root: files, an absolute and a relative symlink, a link to a directory."""
    r = tmp_path / "root"
    for d in ("etc", "data", "bin", "tmp"):
        (r / d).mkdir(parents=True)
    (r / "etc" / "motd").write_text("hello from the root\n")
    os.symlink("/etc/motd", r / "abs-link")
    os.symlink("motd", r / "etc" / "rel-link")
    os.symlink("/etc", r / "data-link")
    os.symlink("../../../../../..", r / "etc" / "up")
    return r


def test_resolver_rootfs(root):
    p = PathResolver()
    p.set_rootfs(str(root), binds=["/proc", "/tmp"])
    top = os.fsencode(os.path.realpath(root))
    assert p.to_host(b"/etc/motd") == top + b"/etc/motd"
    assert p.to_host(b"/abs-link") == top + b"/etc/motd"
    assert p.to_host(b"/abs-link", nofollow=True) == top + b"/abs-link"
    assert p.to_host(b"/data-link/rel-link") == top + b"/etc/motd"
    assert p.to_host(b"/../../etc/../etc/motd") == top + b"/etc/motd"
    assert p.to_host(b"/etc/up/etc/motd") == top + b"/etc/motd"  # .. in a link stops at the root
    assert p.to_host(b"/proc/self/maps") == b"/proc/self/maps"
    assert p.to_host(b"/proc/../etc/motd") == top + b"/etc/motd"  # leaving a bind by .. re-enters the root
    assert p.to_host(b"/tmp/x") == b"/tmp/x"
    assert p.to_host(b"/missing/../etc/motd") == top + b"/etc/motd"
    # a link in a bind is followed in the guest's view, an absolute target from the root
    # (a chroot with /tmp bound in); /proc's links are left to the kernel (magic links)
    with tempfile.TemporaryDirectory(dir="/tmp") as d:
        os.symlink("/etc/motd", os.path.join(d, "to-motd"))
        os.symlink("../" + os.path.basename(d) + "/to-motd", os.path.join(d, "relative"))
        guest = os.fsencode(d)
        assert p.to_host(guest + b"/to-motd") == top + b"/etc/motd"
        assert p.to_host(guest + b"/relative") == top + b"/etc/motd"
        assert p.to_host(guest + b"/to-motd", nofollow=True) == guest + b"/to-motd"
    assert p.to_host(b"/proc/self/cwd") == b"/proc/self/cwd"
    # a bind whose parents the root lacks (the directory pyqemu started in, say)
    with tempfile.TemporaryDirectory(dir="/tmp") as d:
        os.symlink("/etc/motd", os.path.join(d, "to-motd"))
        os.rmdir(root / "tmp")
        q = PathResolver()
        q.set_rootfs(str(root), binds=[d])
        assert q.to_host(os.fsencode(d) + b"/to-motd") == top + b"/etc/motd"
    assert p.to_guest(top + b"/etc") == b"/etc"
    assert p.to_guest(top) == b"/"
    assert p.to_guest(b"/tmp/x") == b"/tmp/x"
    assert p.to_guest(b"/usr/bin") is None


def test_resolver_loop(root):
    os.symlink("/loop", root / "loop")
    p = PathResolver()
    p.set_rootfs(str(root), binds=[])
    from usermode.errors import GuestError
    with pytest.raises(GuestError):
        p.to_host(b"/loop/x")


def test_resolver_overlay(root):
    p = PathResolver()
    p.set_overlay(str(root))
    top = os.fsencode(os.path.abspath(root))
    assert p.to_host(b"/etc/motd") == top + b"/etc/motd"
    assert p.to_host(b"/etc/passwd-not-there") == b"/etc/passwd-not-there"
    assert p.to_host(b"relative") == b"relative"
    assert p.to_host(b"/proc/self/maps") == b"/proc/self/maps"  # the host's, even where the root has /proc
    # a link in the root is the root's, dangling or not (the lookup is lexists', not exists')
    os.symlink("/nowhere", root / "dangling")
    assert p.to_host(b"/dangling") == top + b"/dangling"
    assert p.to_host(b"/etc/motd/below-a-file") == b"/etc/motd/below-a-file"  # ENOTDIR in the root: the host's
    assert p.to_host(b"/" + b"x" * 5000) == b"/" + b"x" * 5000  # ENAMETOOLONG in the root: the host's


EXPECTED = """plain: hello from the root
dotdot: hello from the root
abs link: hello from the root
rel link: hello from the root
link to dir: hello from the root
readlink: /etc/motd
lstat link is link: 1
stat link is file: 1
no escape: 1
cwd: /etc
relative: hello from the root
relative dotdot: hello from the root
cwd: /
openat dirfd: hello from the root
cwd after ..: /
cwd in /tmp: /tmp
proc cwd: /
proc exe: /bin/prog
link in /tmp: hello from the root
made link: hello from the root
renamed: hello from the root
cleaned: 1
bind: 0
sockname: /sock
socket file: 1
"""


@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_rootfs_semantics(arch, mode, root, tmp_path):
    """Every path call sees the root as /: open, stat, readlink, chdir/getcwd,
    openat with a dirfd, symlink/rename/unlink/mkdir/rmdir, unix socket names."""
    import shutil
    shutil.copy(build(arch, "rootfs_paths.c", mode), root / "bin" / "prog")
    if mode == "dynamic":  # the root needs its own glibc: the sysroot's loader and libc
        for host, guest in glibc_files(arch):
            os.makedirs(os.path.dirname(str(root) + guest), exist_ok=True)
            shutil.copy(host, str(root) + guest)
    res = run_pyqemu(arch, "/bin/prog", options=["--rootfs", str(root)], cwd="/")
    assert res.stderr == b""
    assert res.stdout.decode() == EXPECTED
    assert res.returncode == 0
    assert not os.path.exists("/sock") and sorted(os.listdir(root)) == \
        sorted(["abs-link", "bin", "data", "data-link", "etc", "tmp"] +
               (sorted({g.split("/")[1] for _, g in glibc_files(arch)}) if mode == "dynamic" else []))


def test_rootfs_program_search(root):
    """A bare name is looked for along the usual PATH inside the root, as proot does."""
    import shutil
    shutil.copy(build("aarch64", "hello.c", "static"), root / "bin" / "hello")
    res = run_pyqemu("aarch64", "hello", options=["--rootfs", str(root)], cwd="/")
    assert res.returncode == 42 and res.stdout.startswith(b"hello from hello")


@pytest.mark.parametrize("options, message", [
    (["--rootfs", "/nonexistent-root"], b"root '/nonexistent-root' (-rootfs): no such directory"),
    (["--rootfs", "/etc/passwd"], b"root '/etc/passwd' (-rootfs) is not a directory"),
    (["--rootfs", "/", "-L", "/"], b"-L and -rootfs exclude each other"),
])
def test_rootfs_bad_input(options, message):
    res = run_pyqemu("aarch64", "/bin/true", options=options)
    assert res.returncode != 0 and message in res.stderr
    assert res.stderr.count(b"\n") == 1


def test_rootfs_program_missing(root):
    res = run_pyqemu("aarch64", "/bin/nothing", options=["--rootfs", str(root)])
    assert res.returncode != 0
    assert res.stderr == f"pyqemu-aarch64: program '/bin/nothing' not found in the root '{root}' (-rootfs)\n".encode()


def test_rootfs_env_var(root):
    import shutil
    shutil.copy(build("riscv64", "hello.c", "static"), root / "bin" / "hello")
    res = run_pyqemu("riscv64", "/bin/hello", env=dict(os.environ, PYQEMU_ROOTFS=str(root)), cwd="/")
    assert res.returncode == 42 and res.stdout.startswith(b"hello from /bin/hello")
