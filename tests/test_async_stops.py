"""Stopping a busy guest thread from another host thread (a signal arriving, a time
slice ending): it stops between two instructions and nothing runs twice, by
uc_emu_stop itself where Unicorn's exit checks after loads and stores are off
(raw.stop_from_outside), by the stop switch (a block hook) where they are not
(ARM's Thumb code, PYQEMU_NO_UNSAFE=direct-stops or exit-flag, gdb)."""
import os
import threading

import pytest

from conftest import build, run_pyqemu, run_reference
from usermode import cpu, raw
from usermode.uc import Uc

EXACT = ["alone: 30 signals taken while busy", "alone: counter exact", "alone: chase exact",
         "threads: counter exact", "threads: chases exact exact", "threads: busy workers took signals: yes"]
# the amoadd test that found the replay (2 threads x 3,000,000 atomic adds, stopped from outside)
ITERATIONS = "3000000"


def _program(arch):
    return build(arch, "async_stops.c", "static", ["-pthread"])


# where a stop from outside goes through the stop switch: arm's Thumb translator turns
# the exit checks back on
SWITCHED = {"arm"}


def _expected_note(arch):
    return "the stop switch" if arch in SWITCHED else "uc_emu_stop"


def test_busy_threads_stopped_from_outside_lose_nothing(arch, tmp_path):
    """A lone busy thread takes 30 timer signals without making a syscall; two busy
    threads are stopped for time slices and for signals: every atomic add and every
    load whose address register is its destination ran once (with a stop landing
    after them, as Unicorn's exit checks after accesses made it, ARM's direct stops
    counted high)."""
    log = tmp_path / "log"
    res = run_pyqemu(arch, _program(arch), ITERATIONS, options=["-d", "page", "-D", str(log)], timeout=300)
    assert res.stdout.decode().splitlines() == EXACT, res.stderr.decode()[-2000:]
    assert res.returncode == 0
    assert f"stops from outside: {_expected_note(arch)}" in log.read_text()
    theirs = run_reference(arch, _program(arch), ITERATIONS, timeout=300)  # qemu-user, or this host's kernel
    assert theirs.stdout.decode().splitlines() == EXACT


@pytest.mark.parametrize("off", ["direct-stops", "exit-flag"])
def test_the_stop_switch_fallback_loses_nothing_either(arch, off, tmp_path):
    """The fallback forced: the stop switch, a block hook, on every arch."""
    log = tmp_path / "log"
    res = run_pyqemu(arch, _program(arch), ITERATIONS, options=["-d", "page", "-D", str(log)], timeout=300,
                     env=dict(os.environ, PYQEMU_NO_UNSAFE=off))
    assert res.stdout.decode().splitlines() == EXACT, res.stderr.decode()[-2000:]
    assert res.returncode == 0
    assert "stops from outside: the stop switch" in log.read_text()


def test_a_pc_moved_through_the_api_in_the_syscall_hook_keeps_direct_stops_exact(tmp_path):
    """m68k moves the PC past `trap #0` in the register array; without it (regfile off)
    through the API, as s390x always does (raw.reg_write_from_hook, uc_reg_write2:
    uc_reg_write would make the next stop at a block start resume at a stale PC): its
    stops from outside stay direct, and lose nothing."""
    log = tmp_path / "log"
    res = run_pyqemu("m68k", _program("m68k"), ITERATIONS, options=["-d", "page", "-D", str(log)], timeout=300,
                     env=dict(os.environ, PYQEMU_NO_UNSAFE="regfile"))
    assert res.stdout.decode().splitlines() == EXACT, res.stderr.decode()[-2000:]
    assert "stops from outside: uc_emu_stop" in log.read_text()


def _looping_instance():
    """A riscv64 instance on `j .` (an endless loop of one block), its exit checks after
    accesses off as the emulator's threads have them."""
    arch = cpu.get("riscv64")
    uc = Uc(arch.UC_ARCH, arch.UC_MODE)
    uc.ctl_set_cpu_model(arch.CPU_MODELS[arch.DEFAULT_CPU])
    arch.prepare(uc)
    uc.mem_map(0x10000, 0x1000)
    uc.mem_write(0x10000, (0x6F).to_bytes(4, "little"))  # jal zero, 0
    assert raw.set_memory_exit_checks(uc, False)
    return arch, uc


def test_stop_from_outside_stops_a_running_instance_at_a_block_start():
    arch, uc = _looping_instance()
    ended = threading.Event()

    def run():
        raw.emu_start(uc._uch.value, 0x10000, 1, 0, 0)
        ended.set()

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    # asked again until it lands: one made before emu_start began is lost (it clears the
    # request), which is why the emulator's run loop looks at its flags just before
    for _ in range(10000):
        raw.stop_from_outside(uc)
        if ended.wait(0.001):
            break
    assert ended.is_set()
    assert uc.reg_read(arch.REG_PC) == 0x10000  # on the loop's first instruction, as it started


def test_stop_from_outside_is_a_no_op_on_a_closed_instance():
    """The handle is cleared before uc_close, so a stop racing with a thread's end
    (execve in place closes the old CPU) never reaches freed memory."""
    _, uc = _looping_instance()
    uc.close()
    raw.stop_from_outside(uc)
    assert not uc._uch
