"""Syscall handlers, one module per topic. Importing them fills the registry."""
from . import fs, io, mm, proc, signals, spawn, threads, timers  # noqa: F401
from . import dirs, fds, tty  # noqa: F401
from . import clock, info, net, poll  # noqa: F401
from . import multiplex  # noqa: F401
from . import creds, fileops, inotify, ipc, memlock, mmsg, mqueue, pidfd, pipes, sched, system  # noqa: F401
from . import oldcalls  # noqa: F401
