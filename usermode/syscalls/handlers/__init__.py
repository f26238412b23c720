"""Syscall handlers, one module per topic. Importing them fills the registry."""
from . import fs, io, mm, proc  # noqa: F401
