"""Time slices: while more than one guest thread exists, a ticker stops the
thread running guest code every SLICE seconds if another one is waiting for
the emulator lock. With one thread nothing runs and nothing is paid."""
import threading
import time

SLICE = 0.010


class Preempter:
    def __init__(self, process):
        self.process = process
        self.thread = None
        self.stopped = False

    def start(self):
        """Called when the second guest thread appears; idempotent."""
        if self.thread is None:
            self.thread = threading.Thread(target=self._tick, name="pyqemu-preempt", daemon=True)
            self.thread.start()

    def stop(self):
        """The process is gone (execve in place): the ticker ends at its next tick."""
        self.stopped = True

    def _tick(self):
        from ..signals.host import block_all_here
        block_all_here()  # host signals are for guest threads
        process = self.process
        while not self.stopped:
            time.sleep(SLICE)
            running = process.running
            if running is not None and process.lock.contended:
                running.preempt_requested = True
                running.stop()
