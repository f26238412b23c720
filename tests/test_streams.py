"""The guest's standard streams closed or full, and a guest killed in the middle of
its output: the exit status (or the signal) is always the guest's, and nothing the
guest wrote is lost (tests/guest/streams.c, compared with its native run)."""
import os
import signal
import subprocess

import pytest

from usermode import cpu

from conftest import build, build_native, pyqemu_command, run


def close_fds(*fds):
    def child():
        for fd in fds:
            os.close(fd)
    return child


@pytest.mark.parametrize("mode,status", [("write", 3), ("threads", 5)])
def test_stdout_closed(arch, mode, status):
    """prog >&-: exit_group failed on a flush (AttributeError) and a multithreaded guest hung."""
    native = run([build_native(arch, "streams.c", ["-lpthread"]), mode], preexec_fn=close_fds(1), timeout=60)
    ours = run(pyqemu_command(arch) + [build(arch, "streams.c", "static", ["-lpthread"]), mode],
               preexec_fn=close_fds(1), timeout=60)
    assert native.returncode == status
    assert ours.returncode == status, ours.stderr
    assert ours.stderr == native.stderr == b"write(1): EBADF\nprintf+fflush: EBADF\n"


@pytest.mark.parametrize("stderr", ["closed", "/dev/full"])
@pytest.mark.parametrize("stdout", ["open", "closed"])
def test_fault_with_stderr_unwritable(arch, stderr, stdout):
    """The one-line report cannot be written: the guest still dies of its signal (was status 70)."""
    prog = build(arch, "streams.c", "static", ["-lpthread"])
    closing = ([1] if stdout == "closed" else []) + ([2] if stderr == "closed" else [])
    with open(os.devnull if stderr == "closed" else stderr, "wb") as err:
        res = subprocess.run(pyqemu_command(arch) + [prog, "fault"], stdout=subprocess.PIPE, stderr=err,
                             preexec_fn=close_fds(*closing), timeout=60)
    assert res.returncode == -signal.SIGSEGV
    assert res.stdout == (b"" if stdout == "closed" else b"x\nhello\n")


def test_exit_with_stderr_full(arch):
    res = subprocess.run(pyqemu_command(arch) + ["-strace", build(arch, "streams.c", "static", ["-lpthread"])],
                         stdout=subprocess.PIPE, stderr=open("/dev/full", "wb"), timeout=60)
    assert res.returncode == 3 and res.stdout == b"x\nhello\n"


@pytest.mark.parametrize("into", ["pipe", "file"])
def test_sigkill_loses_no_completed_write(arch, into, tmp_path):
    """Every write() that returned before SIGKILL is in the pipe or the file, whole."""
    prog = build(arch, "streams.c", "static", ["-lpthread"])
    counter = tmp_path / "done"
    out = open(tmp_path / "out", "w+b") if into == "file" else subprocess.PIPE
    proc = subprocess.Popen(pyqemu_command(arch) + [prog, "count", str(counter)], stdout=out,
                            stderr=subprocess.PIPE)
    data = b""
    if into == "pipe":
        while len(data) < 9 * 20000:
            data += os.read(proc.stdout.fileno(), 65536)
    else:
        while os.path.getsize(tmp_path / "out") < 9 * 20000:
            os.sched_yield()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    if into == "pipe":
        data += proc.stdout.read()
    else:
        out.seek(0)
        data = out.read()
    assert proc.returncode == -signal.SIGKILL
    abi = cpu.get(arch).ABI  # the guest's long, in its byte order
    done = int.from_bytes(counter.read_bytes()[:abi.word_bytes], abi.endian)
    lines = len(data) // 9
    assert lines >= done > 0
    assert len(data) == 9 * lines, "a write was cut short"
    assert data == b"".join(b"%08d\n" % i for i in range(lines))
