"""The emulator's own output (one-line reports, -strace and -d logs): best effort.

The guest's standard streams are the emulator's too, and the guest may have been
started with them closed (`prog >&-`) or pointing at a full device (2>/dev/full).
A report that cannot be written is dropped; it never changes what happens to the
guest (its exit status, the signal it dies of)."""
import os
import sys


def say(line):
    """One line on stderr (descriptor 2, whatever it is now), or nothing."""
    data = (line + "\n").encode("utf-8", "backslashreplace")
    try:
        while data:
            data = data[os.write(2, data):]
    except OSError:
        pass


def flush(stream):
    try:
        if stream is not None:
            stream.flush()
    except (OSError, ValueError):
        pass


class Log:
    """-strace and -d output: a text stream (the -D file, or stderr) whose failures
    are dropped. `to_stderr` says whether it is the emulator's stderr (no -D)."""

    def __init__(self, stream=None):
        self.to_stderr = stream is None
        self.stream = stream

    def _target(self):
        return sys.stderr if self.to_stderr else self.stream

    def write(self, text):
        try:
            target = self._target()
            if target is not None:
                target.write(text)
        except (OSError, ValueError):
            pass

    def flush(self):
        flush(self._target())

    def fileno(self):
        return self._target().fileno()
