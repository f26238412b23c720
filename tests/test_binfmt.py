"""pyqemu-binfmt: foreign programs run directly (./hello), through the kernel's
binfmt_misc, under pyqemu.

Registering needs root and a binfmt_misc mount; those tests are skipped, with
the reason, elsewhere. Every test registers under its own name prefix
(pyqemu-test<pid>) for as short a time as it can, and the `binfmt` fixture
removes whatever is still registered under that prefix, whatever happened.
Tests that only write binfmt.d files or check refusals run as anyone.
"""
import os
import shutil
import sys
import tempfile

import pytest

from conftest import build, installed_script, run
from usermode import cpu
from usermode.binfmt import kernel, launcher, tool
from usermode.cpu import registry

PREFIX = f"pyqemu-test{os.getpid()}"
# qemu's own entries (scripts/qemu-binfmt-conf.sh, Debian's qemu-user-binfmt), typed
# here independently of the code that derives ours from the cpu modules
QEMU_MAGIC = {
    "riscv64": r"\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xf3\x00",
    "aarch64": r"\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00",
    "arm": r"\x7f\x45\x4c\x46\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x28\x00",
    "x86_64": r"\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00",
    "i386": r"\x7f\x45\x4c\x46\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00",
    # MIPS o32 also checks the e_flags byte with EF_MIPS_ABI2 (clear: not n32), as qemu's
    "mipsel": r"\x7f\x45\x4c\x46\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x08\x00"
              + r"\x00" * 17,
    "mips": r"\x7f\x45\x4c\x46\x01\x02\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x08"
            + r"\x00" * 20,
    "mips64el": r"\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x08\x00",
    "ppc": r"\x7f\x45\x4c\x46\x01\x02\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x14",
    "ppc64": r"\x7f\x45\x4c\x46\x02\x02\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x15",
    "s390x": r"\x7f\x45\x4c\x46\x02\x02\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x16",
    "m68k": r"\x7f\x45\x4c\x46\x01\x02\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x04",
}
QEMU_MASK = r"\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff"
# big-endian e_type: its low bit is the 18th byte. (qemu's ppc, ppc64 and s390x entries also
# refuse an EI_OSABI above 3, mask \xfc; ours accept any, as qemu's m68k and little-endian ones.)
QEMU_MASK_BE = r"\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff"
QEMU_MASKS = {  # where an arch's differs from QEMU_MASK (big-endian: e_type's low bit is in its second byte)
    "mipsel": QEMU_MASK + r"\x00" * 16 + r"\x20",
    "mips": QEMU_MASK_BE + r"\x00" * 19 + r"\x20",
    "ppc": QEMU_MASK_BE,
    "ppc64": QEMU_MASK_BE,
    "s390x": QEMU_MASK_BE,
    "m68k": QEMU_MASK_BE,
}
# qemu's x86 entries leave the low bit of EI_DATA and EI_VERSION out of the match (a
# historical laxness: \xfe there); ours match those bytes exactly, a subset of qemu's
QEMU_LAX_MASKS = {"x86_64": r"\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff",
                  "i386": r"\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff"}


def binfmt_tool():
    return installed_script("pyqemu-binfmt")


def need_root_and_binfmt_misc():
    if os.geteuid() != 0:
        pytest.skip("needs root: binfmt_misc registrations are system-wide")
    misc = kernel.BinfmtMisc()
    try:
        misc.ensure_mounted()
    except Exception as e:
        pytest.skip(f"binfmt_misc unavailable: {e}")
    if not misc.is_enabled():
        pytest.skip("binfmt_misc is disabled on this host (its status file says so)")
    return misc


@pytest.fixture
def workdir():
    """A directory every user can enter (tmp_path's parent is root's alone), for programs and launchers."""
    path = tempfile.mkdtemp(prefix="pyqemu-binfmt-test-")
    os.chmod(path, 0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def tool_command(command, workdir, *args):
    return [binfmt_tool(), command, "--name-prefix", PREFIX,
            "--launcher-dir", os.path.join(workdir, "launchers")] + list(args)


@pytest.fixture
def binfmt(workdir):
    """Run `pyqemu-binfmt COMMAND ARGS...` with this test's prefix and launcher
    directory; at the end, whatever is registered under the prefix goes."""
    misc = need_root_and_binfmt_misc()

    def call(command, *args, check=True):
        res = run(tool_command(command, workdir, *args), text=True)
        if check:
            assert res.returncode == 0, f"pyqemu-binfmt {command} failed: {res.stderr}"
        return res

    try:
        yield call
    finally:
        for name in cpu.ARCH_NAMES:
            misc.remove(f"{PREFIX}-{name}")


def program(workdir, arch, source="hello.c", mode="static", name=None):
    """A guest program copied into workdir, so a relative ./name runs it."""
    path = os.path.join(workdir, name or f"{os.path.splitext(source)[0]}-{arch}")
    shutil.copy(build(arch, source, mode), path)
    return path


# ---- the entry itself: no root needed -------------------------------------------------

@pytest.mark.parametrize("arch_name", cpu.ARCH_NAMES)
def test_magic_and_mask_are_qemus(arch_name):
    magic, mask = kernel.elf_magic_and_mask(cpu.get(arch_name))
    line = kernel.register_line("x", magic, mask, "/i", "P")
    assert line == f":x:M::{QEMU_MAGIC[arch_name]}:{QEMU_MASKS.get(arch_name, QEMU_MASK)}:/i:P"
    if arch_name in QEMU_LAX_MASKS:  # every byte qemu's entry matches, ours matches too
        theirs = bytes(int(h, 16) for h in QEMU_LAX_MASKS[arch_name].split(r"\x")[1:])
        assert all(t & ~m == 0 for t, m in zip(theirs, mask))


@pytest.mark.parametrize("arch_name", cpu.ARCH_NAMES)
def test_entry_claims_every_kind_of_program_of_its_arch_only(arch_name):
    reg = tool.Registration(arch_name, PREFIX, "/nowhere")
    entry = kernel.Entry("e", f"enabled\ninterpreter /i\nflags: P\noffset 0\nmagic {reg.magic.hex()}\n"
                              f"mask {reg.mask.hex()}\n")
    modes = ["static", "dynamic"] + (["static-pie"] if arch_name == "aarch64" else [])
    for mode in modes:  # ET_EXEC and ET_DYN (PIE, static-pie)
        with open(build(arch_name, "hello.c", mode), "rb") as f:
            assert entry.matches(f.read(64)), mode
    other = next(n for n in cpu.ARCH_NAMES if n != arch_name)
    with open(build(other, "hello.c"), "rb") as f:
        assert not entry.matches(f.read(64))
    with open(sys.executable, "rb") as f:  # the host's own programs stay native
        host_program = f.read(64)
    from usermode.cpu import registry
    if registry.is_host(registry.facts(arch_name)):  # ...which is why it is never registered here
        assert entry.matches(host_program)
    else:
        assert not entry.matches(host_program)


def test_persistent_writes_binfmt_d_file(workdir):
    conf_dir = os.path.join(workdir, "binfmt.d")
    res = run(tool_command("register", workdir, "riscv64", "--persistent", "--binfmt-d", conf_dir,
                           "--flags", "PF"), text=True)
    assert res.returncode == 0, res.stderr
    path = os.path.join(conf_dir, f"{PREFIX}-riscv64.conf")
    launcher_path = os.path.join(workdir, "launchers", f"{PREFIX}-riscv64-boot")
    with open(path) as f:
        lines = [line for line in f.read().splitlines() if not line.startswith("#")]
    assert lines == [f":{PREFIX}-riscv64:M::{QEMU_MAGIC['riscv64']}:{QEMU_MASK}:{launcher_path}:PF"]
    assert os.access(launcher_path, os.X_OK)
    assert not os.path.exists(os.path.join(kernel.MOUNT_POINT, f"{PREFIX}-riscv64")), "registered now, too"
    listed = run(tool_command("list", workdir, "--persistent", "--binfmt-d", conf_dir), text=True)
    assert f"{PREFIX}-riscv64, flags PF" in listed.stdout
    removed = run(tool_command("remove", workdir, "--persistent", "--binfmt-d", conf_dir), text=True)
    assert removed.returncode == 0, removed.stderr
    assert not os.path.exists(path) and not os.path.exists(launcher_path)


def test_boot_order_conflict_is_reported(tmp_path, monkeypatch, capsys):
    """At boot, the binfmt.d file whose name sorts last wins: Debian's qemu-riscv64.conf beats pyqemu-riscv64.conf."""
    etc, lib = tmp_path / "etc", tmp_path / "lib"
    etc.mkdir()
    lib.mkdir()
    (lib / "qemu-riscv64.conf").write_text(f":qemu-riscv64:M::{QEMU_MAGIC['riscv64']}:{QEMU_MASK}:/q:OP\n")
    (lib / "qemu-aarch64.conf").write_text(f":qemu-aarch64:M::{QEMU_MAGIC['aarch64']}:{QEMU_MASK}:/q:OP\n")
    monkeypatch.setattr(tool.persistent, "SYSTEM_DIRS", (str(etc), str(lib)))
    tool.warn_boot_conflicts(tool.Registration("riscv64", "pyqemu", "/l"), str(etc))
    err = capsys.readouterr().err
    assert "qemu-riscv64.conf also claims riscv64 programs" in err and "wins: qemu-riscv64.conf" in err
    assert "aarch64" not in err
    (etc / "qemu-riscv64.conf").symlink_to(os.devnull)  # masked, as the warning advises
    tool.warn_boot_conflicts(tool.Registration("riscv64", "pyqemu", "/l"), str(etc))
    assert capsys.readouterr().err == ""


# ---- refusals: one line, no traceback ------------------------------------------------

def test_refuses_when_not_root(monkeypatch, capsys):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    for command in (["register", "riscv64"], ["remove"]):
        status = tool.main(command + ["--name-prefix", PREFIX, "--launcher-dir", "/nonexistent"])
        err = capsys.readouterr().err
        assert status == 1
        assert err.count("\n") == 1 and "needs root" in err and "Traceback" not in err, err


def test_refuses_when_binfmt_misc_cannot_be_mounted(tmp_path, monkeypatch, capsys):
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "mount").write_text("#!/bin/sh\necho 'mount: permission denied' >&2\nexit 32\n")
    (fake_bin / "mount").chmod(0o755)
    monkeypatch.setenv("PATH", str(fake_bin))
    monkeypatch.setattr(kernel, "MOUNT_POINT", str(tmp_path / "binfmt_misc"))
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    status = tool.main(["register", "riscv64", "--name-prefix", PREFIX, "--launcher-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 1
    assert err.count("\n") == 1 and "binfmt_misc is not mounted, and mounting it failed: mount: permission denied" \
        in err, err


def test_bad_usage_is_one_line():
    for args, wanted in ((["register", "sparc"], "unknown architecture 'sparc'"),
                         (["register", "--flags", "PX"], "unknown flag 'X'"),
                         (["register", "--sysroot", "/nonexistent/dir"], "is not a directory")):
        res = run([binfmt_tool()] + args, text=True)
        assert res.returncode == 1 and res.stderr.count("\n") == 1 and wanted in res.stderr, res.stderr
    shown = run([binfmt_tool(), "register", "-h"], text=True)
    assert shown.returncode == 0 and "preserve argv[0]" in shown.stdout and "--sysroot" in shown.stdout


# ---- registered: foreign programs run directly ---------------------------------------

NATIVE = [n for n in cpu.ARCH_NAMES if registry.runs_natively(n)]


@pytest.mark.parametrize("arch_name", NATIVE)
def test_native_architectures_are_refused(workdir, arch_name):
    """This host runs them itself: registering would catch every such program."""
    res = run(tool_command("register", workdir, arch_name), text=True)
    assert res.returncode != 0 and len(res.stderr.splitlines()) == 1, res.stderr
    assert f"this host runs {arch_name} programs itself" in res.stderr
    res = run(tool_command("register", workdir, arch_name, "--persistent", "--binfmt-d", workdir), text=True)
    assert res.returncode != 0 and not [f for f in os.listdir(workdir) if f.endswith(".conf")]


def test_every_architecture_leaves_out_the_native_ones(workdir):
    """Written as binfmt.d files (nothing registered in the running kernel)."""
    res = run(tool_command("register", workdir, "--persistent", "--binfmt-d", workdir), text=True)
    assert res.returncode == 0, res.stderr
    written = sorted(f for f in os.listdir(workdir) if f.endswith(".conf"))
    assert written == sorted(f"{PREFIX}-{n}.conf" for n in cpu.ARCH_NAMES if n not in NATIVE)
    if NATIVE:
        assert f"left out: {', '.join(NATIVE)}" in res.stdout


@pytest.mark.parametrize("arch_name", [n for n in cpu.ARCH_NAMES if n not in NATIVE])
def test_runs_from_the_shell_and_from_python(binfmt, workdir, arch_name):
    static = program(workdir, arch_name, mode="static", name=f"hello-{arch_name}")
    program(workdir, arch_name, mode="dynamic", name=f"hello-{arch_name}-dynamic")
    binfmt("register", arch_name)
    try:
        shell = run(["sh", "-c", f"./hello-{arch_name} a b; echo status $?; ./hello-{arch_name}-dynamic c"],
                    cwd=workdir, text=True)
        direct = run([static, "x"], text=True)
    finally:
        binfmt("remove", arch_name)
    assert shell.stdout == (f"hello from ./hello-{arch_name} with 2 argument(s)\nargv[1] = a\nargv[2] = b\n"
                            f"status 42\nhello from ./hello-{arch_name}-dynamic with 1 argument(s)\n"
                            "argv[1] = c\n"), shell.stderr
    assert direct.returncode == 42 and direct.stdout == f"hello from {static} with 1 argument(s)\nargv[1] = x\n", \
        direct.stderr


def test_argv0_preserved_with_P_only(binfmt, workdir):
    hello = program(workdir, "riscv64")
    binfmt("register", "riscv64", "--flags", "P")
    try:
        shell = run(["bash", "-c", "exec -a custom-name ./hello-riscv64 x"], cwd=workdir, text=True)
        python = run(["another-name"], executable=hello, text=True)
        binfmt("register", "riscv64", "--flags", "")  # replaces the entry
        plain = run(["another-name"], executable=hello, text=True)
    finally:
        binfmt("remove", "riscv64")
    assert shell.stdout == "hello from custom-name with 1 argument(s)\nargv[1] = x\n", shell.stderr
    assert python.stdout == "hello from another-name with 0 argument(s)\n", python.stderr
    assert plain.stdout == f"hello from {hello} with 0 argument(s)\n", plain.stderr  # without P: the path


def test_foreign_program_starts_foreign_program(binfmt, workdir):
    program(workdir, "riscv64", "exec_argv.c")
    program(workdir, "aarch64", name="hello-aarch64")
    binfmt("register", "riscv64")
    try:
        res = run(["./exec_argv-riscv64", "./hello-aarch64", "y"], cwd=workdir, text=True)
    finally:
        binfmt("remove", "riscv64")
    assert res.returncode == 42 and res.stdout == "hello from ./hello-aarch64 with 1 argument(s)\nargv[1] = y\n", \
        res.stderr


def arm64_rootfs():
    where = os.environ.get("PYQEMU_TEST_ROOTFS")
    if where is None:
        tool_path = shutil.which("pyqemu-sysroot", path=os.path.dirname(sys.executable))
        res = run([tool_path, "path", "aarch64"], text=True) if tool_path else None
        where = res.stdout.strip() if res is not None and res.returncode == 0 else ""
    if not where or not os.access(os.path.join(where, "bin", "bash"), os.X_OK):
        pytest.skip(f"no arm64 Debian root with bash at '{where}' (test_rootfs.py or "
                    "`./dev sysroot create aarch64` builds it)")
    return where


def test_foreign_shell_script(binfmt, workdir):
    """A #! script whose interpreter is the arm64 root's bash: the kernel runs bash through
    binfmt_misc (with the root as sysroot), and bash runs the root's uname and our program."""
    root = arm64_rootfs()
    hello = program(workdir, "aarch64", mode="dynamic")
    script = os.path.join(workdir, "script")
    with open(script, "w") as f:
        f.write(f"#!{root}/bin/bash\necho \"bash ${{BASH_VERSINFO[0]}} on $({root}/bin/uname -m)\"\n"
                f"exec {hello} \"$@\"\n")
    os.chmod(script, 0o755)
    binfmt("register", "aarch64", "--sysroot", f"aarch64={root}")
    try:
        res = run([script, "one"], text=True)
    finally:
        binfmt("remove", "aarch64")
    assert res.returncode == 42, res.stderr
    assert res.stdout.startswith("bash 5 on aarch64\n"), res.stdout
    assert res.stdout.endswith(" with 1 argument(s)\nargv[1] = one\n"), res.stdout


def test_list_and_remove_leave_other_entries_alone(binfmt, workdir):
    """An entry that is not ours (its name only looks like it) claims riscv64 programs
    too: registering warns, ours (registered last) wins, list shows only ours, remove keeps it."""
    misc = kernel.BinfmtMisc()
    other_name = f"{PREFIX}-riscv64-other"
    other_interp = os.path.join(workdir, "other-handler")
    with open(other_interp, "w") as f:
        f.write("#!/bin/sh\necho other handler\n")
    os.chmod(other_interp, 0o755)
    program(workdir, "riscv64")
    try:
        misc.register(f":{other_name}:M::{QEMU_MAGIC['riscv64']}:{QEMU_MASK}:{other_interp}:")
        registered = binfmt("register", "riscv64")
        ran = run(["./hello-riscv64"], cwd=workdir, text=True)
        listed = binfmt("list")
        removed = binfmt("remove")
        assert misc.entry(other_name) is not None, "remove took an entry that is not its own"
        after = run(["./hello-riscv64"], cwd=workdir, text=True)
    finally:
        misc.remove(other_name)
    assert f"entry '{other_name}' ({other_interp}) also claims riscv64 programs" in registered.stderr
    assert f"the entry registered last wins: now {PREFIX}-riscv64" in registered.stderr
    assert ran.stdout.startswith("hello from ./hello-riscv64"), ran.stdout + ran.stderr
    own_lines = [line for line in listed.stdout.splitlines() if not line.startswith(" ")]
    assert own_lines == [f"{PREFIX}-riscv64: enabled, flags P, runs pyqemu-riscv64, interpreter "
                         f"{workdir}/launchers/{PREFIX}-riscv64"], listed.stdout
    assert f"also claimed by '{other_name}'" in listed.stdout
    assert removed.stdout == f"removed {PREFIX}-riscv64\n"
    assert after.stdout == "other handler\n"
    assert not os.path.exists(os.path.join(workdir, "launchers", f"{PREFIX}-riscv64"))


def without_dac_override(cmd):
    """cmd run as root without the capabilities that bypass file permissions."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) missing")
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}"] + cmd


def test_open_binary_flag_runs_execute_only_program(binfmt, workdir):
    secret = program(workdir, "riscv64", name="execute-only")
    os.chown(secret, 65534, -1)  # someone else's, mode --x for us: exec yes, read no
    os.chmod(secret, 0o711)
    cmd = without_dac_override(["./execute-only", "z"])
    binfmt("register", "riscv64", "--flags", "PO")
    try:
        opened = run(cmd, cwd=workdir, text=True)
        binfmt("register", "riscv64", "--flags", "P")
        by_name = run(cmd, cwd=workdir, text=True)
    finally:
        binfmt("remove", "riscv64")
    assert opened.returncode == 42 and opened.stdout == "hello from ./execute-only with 1 argument(s)\nargv[1] = z\n", \
        opened.stderr
    assert by_name.returncode != 0 and "cannot open: Permission denied" in by_name.stderr, by_name.stderr


def test_credentials_flag_applies_setgid(binfmt, workdir):
    ids = program(workdir, "riscv64", "binfmt_ids.c", name="ids")
    os.chown(ids, 0, 65534)
    os.chmod(ids, 0o2755)  # set-gid to group 65534
    binfmt("register", "riscv64", "--flags", "PC")
    try:
        listed = binfmt("list", "riscv64")
        with_c = run(["./ids"], cwd=workdir, text=True)
        binfmt("register", "riscv64", "--flags", "P")
        without_c = run(["./ids"], cwd=workdir, text=True)
    finally:
        binfmt("remove", "riscv64")
    assert "flags POC" in listed.stdout or "flags OC" in listed.stdout, listed.stdout
    uid, gid = os.getuid(), os.getgid()
    assert with_c.stdout == f"./ids uid={uid} euid={uid} gid={gid} egid=65534\n", with_c.stderr
    assert without_c.stdout == f"./ids uid={uid} euid={uid} gid={gid} egid={gid}\n", without_c.stderr


def test_fix_binary_flag_keeps_launcher_open(binfmt, workdir):
    program(workdir, "riscv64")
    launcher_path = os.path.join(workdir, "launchers", f"{PREFIX}-riscv64")
    binfmt("register", "riscv64", "--flags", "PF")
    try:
        launcher.delete(launcher_path)  # the kernel opened it at registration
        fixed = run(["./hello-riscv64"], cwd=workdir, text=True)
        binfmt("register", "riscv64", "--flags", "P")
        launcher.delete(launcher_path)
        by_path = run(["sh", "-c", "./hello-riscv64"], cwd=workdir, text=True)
    finally:
        binfmt("remove", "riscv64")
    assert fixed.returncode == 42 and fixed.stdout.startswith("hello from ./hello-riscv64"), fixed.stderr
    assert by_path.returncode != 0 and by_path.stdout == ""
