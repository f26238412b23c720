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

    def flush_if_due(self, uc):
        """At the safe point: empty a TLB that missed its budget, so QEMU resizes it."""
        if self.misses < self.budget or self.budget < 0:
            return
        uc.ctl_flush_tlb()
        self.misses = 0
        if self.budget < MISSES_PER_ENTRY * MAX_ENTRIES:
            self.budget *= 2
