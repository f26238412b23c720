"""hello in every link mode, on both architectures, against qemu-user."""

import pytest

from conftest import ARCHES, assert_same_as_qemu, build, run_pyqemu


@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_hello_matches_qemu(arch, mode):
    prog = build(arch, "hello.c", mode)
    options = ["-L", ARCHES[arch]["sysroot"]] if mode == "dynamic" else []
    res = assert_same_as_qemu(arch, prog, "one", "two words", options=options)
    assert res.returncode == 42
    assert res.stdout.decode().splitlines() == [
        f"hello from {prog} with 2 argument(s)", "argv[1] = one", "argv[2] = two words"]


def test_hello_static_pie_aarch64():
    prog = build("aarch64", "hello.c", "static-pie")
    res = assert_same_as_qemu("aarch64", prog, "x")
    assert res.returncode == 42 and b"argv[1] = x" in res.stdout


def test_dynamic_without_L_uses_the_cross_sysroot(arch):
    """qemu-user fails here (no /lib/ld-linux-*.so.1 on the host); we find /usr/<triple>."""
    prog = build(arch, "hello.c", "dynamic")
    res = run_pyqemu(arch, prog, "x")
    assert res.returncode == 42, res.stderr
    assert b"argv[1] = x" in res.stdout


def test_dynamic_without_L_says_which_sysroot_under_d(arch, tmp_path):
    prog = build(arch, "hello.c", "dynamic")
    log = tmp_path / "log"
    res = run_pyqemu(arch, prog, options=["-d", "page", "-D", str(log)])
    assert res.returncode == 42
    if ARCHES[arch]["sysroot"] == "/":  # the host's own arch: its interpreter is the host's, no sysroot
        assert "sysroot:" not in log.read_text()
    else:
        assert f"sysroot: {ARCHES[arch]['sysroot']}" in log.read_text()


def test_plain_pyqemu_picks_the_arch_from_the_elf_header(arch):
    from conftest import pyqemu_command, run
    prog = build(arch, "hello.c", "static")
    res = run(pyqemu_command() + [prog])
    assert res.returncode == 42 and b"hello from" in res.stdout


def test_argv0_option_and_env_options(arch):
    prog = build(arch, "hello.c", "static")
    res = assert_same_as_qemu(arch, prog, "a", options=["-0", "renamed"])
    assert res.stdout.startswith(b"hello from renamed with 1 argument")
