"""The TLB grows from the fill hook's miss count (usermode/threads/tlb.py):
flushes happen when a program's pages outgrow the TLB and never otherwise,
results are the same with growth off (the fallback where Unicorn's exit
checks stay on), and the policy itself."""
import os
import sys

from conftest import HERE, assert_same_as_qemu, build, run
from usermode.threads.tlb import INITIAL_ENTRIES, MISSES_PER_ENTRY, TlbGrowth

ROOT = os.path.dirname(HERE)

# Runs pyqemu in this interpreter with TlbGrowth.flush_if_due counting the
# flushes it does, and raw.set_memory_exit_checks failing when asked (the
# fallback: the checks stay on, so no thread may be stopped from a hook).
RUNNER = """
import os, sys
from usermode import raw
from usermode.threads import tlb
if os.environ.get("FORCE_FALLBACK"):
    raw.set_memory_exit_checks = lambda uc, on: False
flushes = [0]
flush = tlb.TlbGrowth.flush_if_due
def counted(self, uc):
    due = 0 <= self.budget <= self.misses
    flush(self, uc)
    flushes[0] += due
tlb.TlbGrowth.flush_if_due = counted
timed = tlb.TimedGrowth.flush_if_due
def timed_counted(self, uc):
    timed(self, uc)
    flushes[0] += 1
tlb.TimedGrowth.flush_if_due = timed_counted
exit = os._exit
def report(status):
    sys.stdout.flush()
    sys.stderr.write(f"tlb flushes: {flushes[0]}\\n")
    exit(status)
os._exit = report
from usermode.cli import main
os._exit(main(sys.argv[2:], sys.argv[1]))
"""


def run_counting(arch, *args, fallback=False):
    env = dict(os.environ)
    if fallback:
        env["FORCE_FALLBACK"] = "1"
    res = run([sys.executable, "-c", RUNNER, arch, *args], env=env, cwd=ROOT, timeout=300)
    lines = res.stderr.decode().splitlines()
    assert lines and lines[-1].startswith("tlb flushes: "), res.stderr.decode()[-2000:]
    return res.stdout, int(lines[-1].split(": ")[1])


def test_a_large_working_set_grows_the_tlb_and_a_small_one_never_flushes(arch):
    from usermode import cpu
    if cpu.get(arch).TLB_MODE == "cpu":
        return _timed_growth(arch)
    sweep = build(arch, "tlb_sweep.c", "static")
    out, flushes = run_counting(arch, sweep, "2000000")
    assert 3 <= flushes <= 20  # 256 -> 4096 entries is 4 doublings; the budget's doubling bounds the rest
    assert out == assert_same_as_qemu(arch, sweep, "2000000").stdout
    hello = build(arch, "hello.c", "static")
    out, flushes = run_counting(arch, hello)
    assert flushes == 0 and out.startswith(b"hello from")


def _timed_growth(arch):
    """Unicorn's own CPU TLB (ARM, MIPS) sends no miss to a hook: the TLB grows by a
    short warm-up of timed stops instead, each flushing it; results do not change."""
    from usermode.threads.tlb import TimedGrowth
    sweep = build(arch, "tlb_sweep.c", "static")
    out, flushes = run_counting(arch, sweep, "2000000")
    assert flushes >= 3
    assert out == assert_same_as_qemu(arch, sweep, "2000000").stdout
    hello = build(arch, "hello.c", "static")
    out, flushes = run_counting(arch, hello)
    assert flushes <= TimedGrowth.WARMUP / TimedGrowth.TICK + 2 and out.startswith(b"hello from")


def test_without_exact_stops_the_tlb_keeps_its_size_and_results_are_the_same(arch):
    sweep = build(arch, "tlb_sweep.c", "static")
    grown, _ = run_counting(arch, sweep, "300000")
    kept, flushes = run_counting(arch, sweep, "300000", fallback=True)
    assert flushes == 0 and kept == grown


class FakeUc:
    def __init__(self):
        self.flushes = 0

    def ctl_flush_tlb(self):
        self.flushes += 1


def test_policy_flushes_at_the_budget_and_doubles_it():
    growth, uc = TlbGrowth(), FakeUc()
    assert growth.budget == MISSES_PER_ENTRY * INITIAL_ENTRIES
    growth.misses = growth.budget - 1
    growth.flush_if_due(uc)
    assert uc.flushes == 0
    growth.misses += 1
    growth.flush_if_due(uc)
    assert (uc.flushes, growth.misses, growth.budget) == (1, 0, 2 * MISSES_PER_ENTRY * INITIAL_ENTRIES)
    off = TlbGrowth(enabled=False)
    off.misses = 10 ** 9
    off.flush_if_due(uc)
    assert uc.flushes == 1
