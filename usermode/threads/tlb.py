"""Growing Unicorn's TLB to the guest's working set.

QEMU's software TLB starts small (256 entries per MMU mode) and is resized only
when it is flushed: grown when most of it was used since the last flush
(cputlb.c, tlb_mmu_resize_locked). Unicorn never flushes it by itself, so a
guest touching more than about a megabyte misses it on most accesses, for ever
(40M random reads over 16 MiB: 8 s against qemu-user's 0.6 s, DESIGN.md).

So each thread starts with a warm-up: for its first WARMUP seconds of guest
code it is stopped every TICK (its stop switch, armed by one ticker thread per
process) and its TLB flushed at the safe point, so the table doubles while the
working set overflows it. Then the stops end: a thread that has no other use
for its stop switch loses it, and from there on nothing is paid."""
import threading
import time

TICK = 0.010
WARMUP = 0.4

class Warmup:
    """The process's ticker: arms the switch of every thread still warming up."""

    def __init__(self):
        self.threads = set()
        self.lock = threading.Lock()
        self.ticking = False

    def add(self, thread):
        thread.warm_until = None  # set when it first runs guest code
        with self.lock:
            self.threads.add(thread)
            if not self.ticking:
                self.ticking = True
                threading.Thread(target=self._tick, name="pyqemu-tlb", daemon=True).start()

    def _tick(self):
        from ..signals.host import block_all_here
        block_all_here()  # host signals are for guest threads
        while True:
            time.sleep(TICK)
            with self.lock:
                if not self.threads:
                    self.ticking = False
                    return
                warming = list(self.threads)
            for thread in warming:
                switch = thread.stop_switch
                if switch is not None:
                    switch.arm()

    def at_safe_point(self, thread):
        """Flush the thread's TLB; True once its warm-up is over."""
        now = time.monotonic()
        if thread.warm_until is None:
            thread.warm_until = now + WARMUP
        thread.uc.ctl_flush_tlb()
        if now < thread.warm_until:
            return False
        with self.lock:
            self.threads.discard(thread)
        return True
