"""Credentials (set*id, setfs*id, capget/capset), scheduling (sched_*), I/O
priorities and personality: the guest program checks the kernel's answers
itself (tests/guest/creds_sched.c), and qemu-user must print the same."""
from conftest import build, have_qemu, run_pyqemu, run_qemu


def test_credentials_and_scheduling(arch):
    prog = build(arch, "creds_sched.c", "static")
    res = run_pyqemu(arch, prog, timeout=60)
    lines = res.stdout.decode().splitlines()
    assert len(lines) == 27 and all(l.endswith(": ok") for l in lines), \
        "\n".join(l for l in lines if not l.endswith(": ok")) + res.stderr.decode()[-2000:]
    assert res.returncode == 0
    if have_qemu(arch):
        assert run_qemu(arch, prog, timeout=60).stdout.decode().splitlines() == lines
