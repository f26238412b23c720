"""Unicorn's C API through ctypes, for the hot path.

The unicorn module's convenience methods cost 1-2 us per register; a batched
raw read of seven registers costs under 1 us (DESIGN.md). Everything per
syscall goes through here, with buffers allocated once per thread.
"""
import ctypes

from unicorn.unicorn_py3.unicorn import uclib

_void_p = ctypes.c_void_p
reg_read_batch = ctypes.CFUNCTYPE(ctypes.c_int, _void_p, _void_p, _void_p, ctypes.c_int)(
    ("uc_reg_read_batch", uclib))
reg_write = ctypes.CFUNCTYPE(ctypes.c_int, _void_p, ctypes.c_int, _void_p)(("uc_reg_write", uclib))
reg_read = ctypes.CFUNCTYPE(ctypes.c_int, _void_p, ctypes.c_int, _void_p)(("uc_reg_read", uclib))
emu_start = ctypes.CFUNCTYPE(ctypes.c_int, _void_p, ctypes.c_uint64, ctypes.c_uint64,
                             ctypes.c_uint64, ctypes.c_size_t)(("uc_emu_start", uclib))
emu_stop = ctypes.CFUNCTYPE(ctypes.c_int, _void_p)(("uc_emu_stop", uclib))
hook_add = uclib.uc_hook_add
strerror = uclib.uc_strerror

INTR_CALLBACK = ctypes.CFUNCTYPE(None, _void_p, ctypes.c_uint32, _void_p)
INSN_INVALID_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_bool, _void_p, _void_p)
MEM_INVALID_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_bool, _void_p, ctypes.c_int, ctypes.c_uint64,
                                        ctypes.c_int, ctypes.c_int64, _void_p)


class RegBatch:
    """Read a fixed list of registers in one call into preallocated storage."""

    def __init__(self, handle, reg_ids):
        n = len(reg_ids)
        self.handle = handle
        self.count = n
        self.ids = (ctypes.c_int * n)(*reg_ids)
        self.values = (ctypes.c_uint64 * n)()
        base = ctypes.addressof(self.values)
        self.ptrs = (ctypes.c_void_p * n)(*[base + 8 * i for i in range(n)])
        self._ids_addr = ctypes.addressof(self.ids)
        self._ptrs_addr = ctypes.addressof(self.ptrs)

    def read(self):
        reg_read_batch(self.handle, self._ids_addr, self._ptrs_addr, self.count)
        return self.values


class RegWriter:
    """Write one register from a preallocated 64-bit cell."""

    def __init__(self, handle, reg_id):
        self.handle = handle
        self.reg_id = reg_id
        self.cell = ctypes.c_uint64()
        self.addr = ctypes.addressof(self.cell)

    def write(self, value):
        self.cell.value = value
        reg_write(self.handle, self.reg_id, self.addr)


def add_hook(uc, hook_type, callback, begin=1, end=0):
    """Install a raw ctypes callback; the caller must keep `callback` alive."""
    handle = ctypes.c_size_t()
    err = hook_add(uc._uch, ctypes.byref(handle), hook_type, ctypes.cast(callback, _void_p),
                   None, ctypes.c_uint64(begin), ctypes.c_uint64(end))
    if err:
        raise RuntimeError(f"uc_hook_add: {strerror(err).decode()}")
    return handle.value
