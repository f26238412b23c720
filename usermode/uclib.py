"""libunicorn itself, without the unicorn Python package.

`import unicorn` costs 35-45 ms of every start-up here (its bindings import
typing, inspect, importlib.resources, pathlib and tempfile before they load
the library), about half the start-up budget. pyqemu uses a small part of it,
so it loads the same libunicorn.so.2 from the installed package's lib folder
(the `unicorn` wheel, pinned in pyproject) and reads the same generated
constant modules (unicorn_const.py, riscv_const.py, ...) as plain files,
without running the package's __init__. usermode/uc.py is the Uc class on top.

The library may instead be pyqemu's patched core (tools/core, `./dev core`):
the same Unicorn 2.1.4 built from source with a few patches, same API and
constants; -version says which one runs.
"""
import ctypes
import os
import sys
import types
try:  # importlib.machinery's own class, without importing importlib and warnings (0.5 ms)
    from _frozen_importlib_external import SourceFileLoader
except ImportError:  # an interpreter without CPython's frozen import machinery
    from importlib.machinery import SourceFileLoader

LIBRARY_NAME = "libunicorn.so.2"


def _package_dir():
    """The installed unicorn package's folder, found along sys.path as import would."""
    for entry in sys.path:
        folder = os.path.join(entry or ".", "unicorn")
        if os.path.isfile(os.path.join(folder, "unicorn_const.py")):
            return folder
    raise ImportError("the unicorn package (Unicorn 2.1.4) is not installed: pip install -e . installs it")


PACKAGE_DIR = _package_dir()


# pyqemu's patched core (tools/core/build.py, `./dev core`): a libunicorn.so.2
# built from Unicorn 2.1.4's source with pyqemu's patches, and its core.json,
# in a folder the virtualenv links as VENV/pyqemu-core. PYQEMU_CORE=stock
# ignores it; PYQEMU_CORE=DIR uses the core built in DIR.
CORE_LINK = "pyqemu-core"


def _choose_library(environ, prefix):
    """(path of the libunicorn to load, the folder of the patched core or None,
    what it is in words)."""
    override = environ.get("LIBUNICORN_PATH")  # as the unicorn bindings honour it
    if override:
        path = override if os.path.isfile(override) else os.path.join(override, LIBRARY_NAME)
        return path, None, f"LIBUNICORN_PATH={override}"
    stock = os.path.join(PACKAGE_DIR, "lib", LIBRARY_NAME), None, "stock PyPI wheel"
    choice = environ.get("PYQEMU_CORE", "")
    if choice == "stock":
        return stock
    folder = choice or os.path.join(prefix, CORE_LINK)
    path = os.path.join(folder, LIBRARY_NAME)
    if os.path.isfile(path):
        return path, folder, "patched core"
    if choice:
        from .errors import UserError
        raise UserError(f"PYQEMU_CORE={choice}: no patched core there (no {LIBRARY_NAME}; "
                        "`./dev core` builds one, PYQEMU_CORE=stock uses the PyPI wheel's)")
    return stock


LIBRARY_PATH, CORE_DIR, _CORE_KIND = _choose_library(os.environ, sys.prefix)
# Lazy binding: the library's 7,800 PLT slots are bound at their first call instead of
# all at load (ctypes' default is RTLD_NOW): 0.4 ms of every start-up. (raw.py's MIPS
# mend finds its slot bound or not yet, and checks either.)
lib = ctypes.CDLL(LIBRARY_PATH, mode=os.RTLD_LAZY)

_loaded = {}


def constants(name):
    """One of the package's constant modules ("unicorn_const", "riscv_const",
    "arm64_const"), loaded from its file (and its cached bytecode). It is not
    entered in sys.modules, so a later real `import unicorn` is unaffected."""
    module = _loaded.get(name)
    if module is None:
        loader = SourceFileLoader(f"_pyqemu_unicorn_{name}", os.path.join(PACKAGE_DIR, f"{name}.py"))
        module = types.ModuleType(loader.name)
        loader.exec_module(module)
        _loaded[name] = module
    return module


# Prototypes of the calls usermode/uc.py makes (unicorn.h of 2.1.4). The hot
# path's calls are in raw.py, untyped, for speed.
_u32, _u64, _int, _size, _ptr = ctypes.c_uint32, ctypes.c_uint64, ctypes.c_int, ctypes.c_size_t, ctypes.c_void_p
for _name, _restype, _argtypes in (
        ("uc_open", _int, (_int, _int, ctypes.POINTER(_ptr))),
        ("uc_close", _int, (_ptr,)),
        ("uc_strerror", ctypes.c_char_p, (_int,)),
        ("uc_reg_read2", _int, (_ptr, _int, _ptr, ctypes.POINTER(_size))),
        ("uc_reg_write2", _int, (_ptr, _int, _ptr, ctypes.POINTER(_size))),
        ("uc_mem_map", _int, (_ptr, _u64, _u64, _u32)),
        ("uc_mem_map_ptr", _int, (_ptr, _u64, _u64, _u32, _ptr)),
        ("uc_mem_unmap", _int, (_ptr, _u64, _u64)),
        ("uc_mem_protect", _int, (_ptr, _u64, _u64, _u32)),
        ("uc_mem_read", _int, (_ptr, _u64, _ptr, _u64)),
        ("uc_mem_write", _int, (_ptr, _u64, _ptr, _u64)),
        ("uc_mem_regions", _int, (_ptr, ctypes.POINTER(_ptr), ctypes.POINTER(_u32))),
        ("uc_free", _int, (_ptr,)),
        ("uc_hook_add", _int, (_ptr, ctypes.POINTER(_size), _int, _ptr, _ptr, _u64, _u64)),
        ("uc_hook_del", _int, (_ptr, _size)),
        ("uc_emu_start", _int, (_ptr, _u64, _u64, _u64, _size)),
        ("uc_emu_stop", _int, (_ptr,)),
        ("uc_query", _int, (_ptr, _int, ctypes.POINTER(_size))),
        ("uc_context_alloc", _int, (_ptr, ctypes.POINTER(_ptr))),
        ("uc_context_save", _int, (_ptr, _ptr)),
        ("uc_context_restore", _int, (_ptr, _ptr)),
        ("uc_context_free", _int, (_ptr,)),
        ("uc_version", _u32, (_ptr, _ptr))):
    _fn = getattr(lib, _name)
    _fn.restype, _fn.argtypes = _restype, _argtypes
# uc_ctl is variadic: its arguments are given as ctypes objects, call by call.
lib.uc_ctl.restype = _int


def version():
    """The loaded library's version, "2.1.4"."""
    combined = lib.uc_version(None, None)
    return f"{combined >> 24}.{(combined >> 16) & 0xFF}.{(combined >> 8) & 0xFF}"


def core_description():
    """Which library runs guest code, for -version: "stock PyPI wheel", or
    "patched core (3 patches, 1a2b3c4d5e6f7a8b)" from the core's core.json."""
    if CORE_DIR is None:
        return _CORE_KIND
    import json
    try:
        with open(os.path.join(CORE_DIR, "core.json")) as f:
            info = json.load(f)
        return f"patched core ({len(info['patches'])} patches, {info['key']})"
    except (OSError, ValueError, KeyError, TypeError):
        return f"patched core ({CORE_DIR}, without a readable core.json)"
