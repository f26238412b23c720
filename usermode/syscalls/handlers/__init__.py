"""Syscall handlers, one module per topic. Importing a module fills the registry
with its declarations; importing this package only tells the registry which
module declares which syscall (handler_index.py), so that a program imports
the few modules whose calls it makes, at their first call."""
from .. import handler_index, registry

# Every module that declares syscalls (or, like devices, ioctl requests).
MODULES = ("fs", "io", "mm", "proc", "signals", "spawn", "threads", "timers", "dirs", "fds", "tty",
           "clock", "info", "net", "poll", "multiplex", "creds", "devices", "fileops", "inotify", "ipc",
           "memlock", "mmsg", "mqueue", "pidfd", "pipes", "sched", "system", "oldcalls")


def load_all():
    """Import every handler module: the whole registry (the index's source, the coverage test)."""
    for name in MODULES:
        __import__(f"{__name__}.{name}")


registry.set_index(handler_index.load(__name__, __path__[0], load_all), load_all)
