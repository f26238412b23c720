"""Unicorn's C API through ctypes, for the hot path.

The unicorn module's convenience methods cost 1-2 us per register; a batched
raw read of seven registers costs under 0.5 us when called through a plain
CDLL function given ready-made ctypes objects (no argtypes conversion: measured
0.47 us against 0.71 us with a typed prototype taking ints). Everything per
syscall goes through here, with buffers allocated once per thread.
"""
import ctypes

from unicorn.unicorn_py3.unicorn import uclib

# Untyped twins of uclib's register functions (callers pass ctypes objects),
# through PyDLL: they keep the GIL, saving a release and re-acquire per call.
_lib = ctypes.PyDLL(uclib._name)
_reg_read_batch = _lib.uc_reg_read_batch
_reg_write = _lib.uc_reg_write
_void_p = ctypes.c_void_p
emu_start = ctypes.CFUNCTYPE(ctypes.c_int, _void_p, ctypes.c_uint64, ctypes.c_uint64,
                             ctypes.c_uint64, ctypes.c_size_t)(("uc_emu_start", uclib))
emu_stop = ctypes.CFUNCTYPE(ctypes.c_int, _void_p)(("uc_emu_stop", uclib))
strerror = uclib.uc_strerror

INTR_CALLBACK = ctypes.CFUNCTYPE(None, _void_p, ctypes.c_uint32, _void_p)
INSN_INVALID_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_bool, _void_p, _void_p)
MEM_INVALID_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_bool, _void_p, ctypes.c_int, ctypes.c_uint64,
                                        ctypes.c_int, ctypes.c_int64, _void_p)


class RegBatch:
    """Read a fixed list of registers in one call: `read()` returns them as a list."""

    def __init__(self, handle, reg_ids):
        n = len(reg_ids)
        self.values = values = (ctypes.c_uint64 * n)()
        base = ctypes.addressof(values)
        args = (_void_p(handle), (ctypes.c_int * n)(*reg_ids),
                (_void_p * n)(*[base + 8 * i for i in range(n)]), ctypes.c_int(n))
        self._args = args  # keeps the buffers alive

        def read(fn=_reg_read_batch, args=args, values=values):
            fn(*args)
            return values[:]
        self.read = read


class RegWriter:
    """Write one register: `write(value)`, value already masked to 64 bits."""

    def __init__(self, handle, reg_id):
        cell = ctypes.c_uint64()
        handle_obj, reg_obj, ref = _void_p(handle), ctypes.c_int(reg_id), ctypes.byref(cell)
        self._keep = (cell, handle_obj, reg_obj, ref)

        def write(value, fn=_reg_write, h=handle_obj, r=reg_obj, ref=ref, cell=cell):
            cell.value = value
            fn(h, r, ref)
        self.write = write


def add_hook(uc, hook_type, callback, begin=1, end=0):
    """Install a raw ctypes callback; the caller must keep `callback` alive."""
    handle = ctypes.c_size_t()
    err = uclib.uc_hook_add(uc._uch, ctypes.byref(handle), hook_type, ctypes.cast(callback, _void_p),
                            None, ctypes.c_uint64(begin), ctypes.c_uint64(end))
    if err:
        raise RuntimeError(f"uc_hook_add: {strerror(err).decode()}")
    return handle.value
