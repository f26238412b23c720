"""The emulator lock: one guest thread executes guest code at a time.

Unicorn's atomic instructions are not atomic across instances (DESIGN.md), so
guest code runs under this lock; a thread releases it around blocking host
calls (`with t.unlocked(): os.read(...)`) so the others can run meanwhile.
"""
import threading


class EmulatorLock:
    def __init__(self):
        self._lock = threading.Lock()
        self.acquire = self._lock.acquire
        self.release = self._lock.release

    def __enter__(self):
        self._lock.acquire()
        return self

    def __exit__(self, *exc):
        self._lock.release()


class Unlocked:
    """Context manager: release the emulator lock for a blocking host call."""

    __slots__ = ("lock",)

    def __init__(self, lock):
        self.lock = lock

    def __enter__(self):
        self.lock.release()

    def __exit__(self, *exc):
        self.lock.acquire()
