"""Which handler module declares which syscall: name -> module names.

Made by importing every handler module and asking each declaration where it
was registered (registry.Declaration.module), then kept as Python keeps
bytecode: in the handlers' __pycache__, valid while no file of that folder
(nor registry.py, nor this file) has changed size or modification time. Where
it cannot be written (PYTHONDONTWRITEBYTECODE, a read-only install) every
start imports every module, as before the index existed; `./dev` writes it.
"""
import os
import sys

from ..cpu.registry import load_stamped, save_stamped

_HERE = os.path.dirname(os.path.abspath(__file__))
_FORMAT = 1  # bumped when what the file holds changes


def _stamp(folder):
    """Each module's name, size and mtime: the handlers', registry.py's and this file's."""
    paths = [os.path.join(folder, entry) for entry in sorted(os.listdir(folder)) if entry.endswith(".py")]
    stamp = [_FORMAT]
    for path in paths + [os.path.join(_HERE, "registry.py"), os.path.join(_HERE, "handler_index.py")]:
        st = os.stat(path)
        stamp.append((os.path.basename(path), st.st_size, st.st_mtime_ns))
    return tuple(stamp)


def _cache_path(folder):
    return os.path.join(folder, "__pycache__", f"syscall-index.{sys.implementation.cache_tag}.marshal")


def build():
    """The index of what is registered now (every handler module imported)."""
    from .registry import REGISTRY
    return {name: tuple(sorted({decl.module for decl in variants if decl.module}))
            for name, variants in REGISTRY.items()}


def load(package, folder, load_all):
    """The index for the handler package in `folder`; load_all() imports its modules
    when the index has to be made again."""
    stamp = _stamp(folder)
    path = _cache_path(folder)
    index = load_stamped(path, stamp)
    index = index if isinstance(index, dict) else None
    if index is None:
        load_all()
        index = build()
        if not sys.dont_write_bytecode:  # -B, PYTHONDONTWRITEBYTECODE: nothing written, as for bytecode
            save_stamped(path, stamp, index)
    return index
