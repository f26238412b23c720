"""-strace: every call decoded from its declaration, errors by name."""
import os
import re

from usermode import cpu
from conftest import build, run_pyqemu


def strace_lines(stderr):
    return [re.sub(r"^\d+ ", "", line) for line in stderr.decode().splitlines() if re.match(r"^\d+ \w+\(", line)]


def check_trace(lines, path):
    assert 'openat(AT_FDCWD, "/nonexistent/pyqemu-file", O_RDONLY) = -1 ENOENT (No such file or directory)' in lines
    opened = [line for line in lines if line.startswith(f'openat(AT_FDCWD, "{path}", O_RDONLY|O_CLOEXEC) = ')]
    assert len(opened) == 1, lines
    fd = int(opened[0].rsplit("= ", 1)[1])
    assert any(re.fullmatch(rf"read\({fd}, 0x[0-9a-f]+, 16\) = 16", line) for line in lines), lines
    assert f"close({fd}) = 0" in lines
    assert 'write(1, "strace demo\\n", 12) = 12' in lines
    assert lines[-1] == "exit_group(7) = ?"


def test_strace_decodes_calls(arch, tmp_path):
    data = tmp_path / "data"
    data.write_bytes(b"0123456789abcdefXYZ")
    prog = build(arch, "strace_demo.c", "static")
    res = run_pyqemu(arch, prog, str(data), options=["-strace"])
    assert res.returncode == 7 and res.stdout == b"strace demo\n"
    check_trace(strace_lines(res.stderr), str(data))


def test_strace_by_environment_and_to_a_log_file(arch, tmp_path):
    data = tmp_path / "data"
    data.write_bytes(b"0123456789abcdefXYZ")
    prog = build(arch, "strace_demo.c", "static")
    res = run_pyqemu(arch, prog, str(data), env=dict(os.environ, PYQEMU_STRACE="1"))
    check_trace(strace_lines(res.stderr), str(data))
    log = tmp_path / "log"
    res = run_pyqemu(arch, prog, str(data), options=["-d", "strace", "-D", str(log)])
    assert res.returncode == 7 and not strace_lines(res.stderr)
    check_trace(strace_lines(log.read_bytes()), str(data))


def test_in_asm_log_disassembles_guest_code(arch, tmp_path):
    prog = build(arch, "hello.c", "static")
    log = tmp_path / "log"
    res = run_pyqemu(arch, prog, options=["-d", "in_asm", "-D", str(log)])
    assert res.returncode == 42
    text = log.read_text()
    assert text.startswith("IN:\n")
    mnemonic = {"riscv64": "ecall", "aarch64": "svc", "arm": "svc", "x86_64": "syscall", "i386": "int",
                "ppc": "sc", "ppc64": "sc", "s390x": "svc", "m68k": "trap"}.get(arch, "syscall")  # MIPS: syscall
    assert re.search(rf"^0x[0-9a-f]{{16}}:\s+[0-9a-f]+\s+{mnemonic}\b", text, re.M)


def test_unimplemented_syscall_warns_once_by_name(arch):
    prog = build(arch, "unimplemented.c", "static")
    res = run_pyqemu(arch, prog)
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().splitlines() == ["ENOSYS", "ENOSYS", "ENOSYS"]
    warnings = [line for line in res.stderr.decode().splitlines() if "unsupported syscall" in line
                or "unknown syscall" in line]
    assert sum("syscall lookup_dcookie" in w for w in warnings) == 1, warnings
    unknown = cpu.get(arch).CONVENTION.number_base + 4000  # none of the ABI's (o32: 4000 is syscall())
    assert sum(f"unknown syscall number {unknown}" in w for w in warnings) == 1, warnings
