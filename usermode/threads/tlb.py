"""Growing Unicorn's TLB to the guest's working set, paid for by misses only.

QEMU's software TLB starts at 256 entries per MMU mode and is resized only
when it is flushed: doubled when more than 70% of it was in use since the
last flush (cputlb.c, tlb_mmu_resize_locked). Unicorn never flushes it by
itself, so a guest touching more than about a megabyte misses it on most
accesses, for ever (40M random reads over 16 MiB: 8 s against qemu-user's
0.6 s, DESIGN.md).

Every miss already reaches the thread's TLB fill hook (thread.py, Unicorn's
virtual TLB), so the hook counts them. Once a thread has missed twice as
often as its TLB is believed to have entries, the table is mostly in use and
the working set is larger: the hook asks for a stop, which lands at the next
block start (raw.py: no exit checks after loads and stores), and the thread's
safe point flushes the TLB, so QEMU doubles it. The belief doubles at each
flush whether QEMU grew the table or not, so a working set that never fills
70% of it costs a few flushes spaced further and further apart. A program
whose pages fit never misses after its first pages and never stops: nothing
is paid per block, and a short program runs at full speed from its start.
(Before, every thread spent its first 0.4 s with a block hook and a flush
every 10 ms: half a second of a 300M-iteration register loop.)
"""

import threading
import time

INITIAL_ENTRIES = 1 << 8  # CPU_TLB_DYN_DEFAULT_BITS
MAX_ENTRIES = 1 << 22  # CPU_TLB_DYN_MAX_BITS on a 64-bit host
MISSES_PER_ENTRY = 2  # after 2N fills into N entries, 1 - e^-2 = 86% of a table far smaller than the set is in use


class TlbGrowth:
    """One thread's count of TLB misses since its last flush. The fill hook adds
    to `misses` and stops the thread when it reaches `budget`; the safe point
    then calls flush_if_due()."""

    __slots__ = ("misses", "budget")

    def __init__(self, enabled=True):
        """enabled=False: the count never reaches the budget (the TLB keeps its size)."""
        self.misses = 0
        self.budget = MISSES_PER_ENTRY * INITIAL_ENTRIES if enabled else -1

    def stop_asking(self):
        """No more stops from the fill hook (Unicorn's exit checks after loads and stores
        are back on: gdb attached, thread.keep_exit_checks): the TLB keeps its size."""
        self.budget = -1

    def flush_if_due(self, uc):
        """At the safe point: empty a TLB that missed its budget, so QEMU resizes it."""
        if self.misses < self.budget or self.budget < 0:
            return
        uc.ctl_flush_tlb()
        self.misses = 0
        if self.budget < MISSES_PER_ENTRY * MAX_ENTRIES:
            self.budget *= 2


class TimedGrowth:
    """For a CPU whose misses reach no hook (Unicorn's own CPU TLB: ARM, MIPS): for
    its first WARMUP seconds of guest code the thread is stopped every TICK at a
    block start (its stop switch, armed by the process's ticker thread), and its TLB
    flushed there, so QEMU grows it while the working set overflows it. Then the
    ticks end; the switch stays only if the process needs it for other reasons.
    (Flushing where a stop left the CPU is safe in this TLB mode: 0 of 20 stressed
    runs went wrong, where the virtual TLB on ARM failed 5 of 20.)"""

    TICK = 0.010
    WARMUP = 0.4

    def __init__(self, thread):
        self.thread = thread
        self.until = None  # set when the thread first runs guest code
        thread.install_stop_switch(fresh=True)  # the ticker arms it, whatever stops the process uses
        _Ticker.of(thread.process).add(self)

    def forget(self):
        """The thread is gone without finishing its warm-up (execve in place)."""
        _Ticker.of(self.thread.process).remove(self)

    def flush_if_due(self, uc):
        now = time.monotonic()
        if self.until is None:
            self.until = now + self.WARMUP
        uc.ctl_flush_tlb()
        if now >= self.until:
            _Ticker.of(self.thread.process).remove(self)
            self.thread.tlb_growth = TlbGrowth(enabled=False)
            self.thread.drop_stop_switch_unless_needed()


class _Ticker:
    """One thread per process arming the stop switch of every thread still warming up."""

    @classmethod
    def of(cls, process):
        ticker = process.__dict__.get("_tlb_ticker")
        if ticker is None:
            ticker = process._tlb_ticker = cls()
        return ticker

    def __init__(self):
        self.growths = set()
        self.lock = threading.Lock()
        self.running = False

    def add(self, growth):
        with self.lock:
            self.growths.add(growth)
            if not self.running:
                self.running = True
                threading.Thread(target=self._tick, name="pyqemu-tlb", daemon=True).start()

    def remove(self, growth):
        with self.lock:
            self.growths.discard(growth)

    def _tick(self):
        from ..signals.host import block_all_here
        block_all_here()  # host signals are for guest threads
        while True:
            time.sleep(TimedGrowth.TICK)
            with self.lock:
                if not self.growths:
                    self.running = False
                    return
                warming = list(self.growths)
            for growth in warming:
                switch = growth.thread.stop_switch
                if switch is not None:
                    switch.arm()


def forget(thread):
    """A thread ended: the ticker lets it go (it kept the thread, and with it its Unicorn
    instance, 3 MB and its code buffer's address space, for as long as the process ran)."""
    growth = getattr(thread, "tlb_growth", None)
    if isinstance(growth, TimedGrowth):
        _Ticker.of(thread.process).remove(growth)
