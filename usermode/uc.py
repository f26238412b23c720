"""Uc: the part of Unicorn's Python API that pyqemu uses, straight on libunicorn.

Same names and behaviour as unicorn.Uc (reg_read, mem_map_ptr, hook_add,
ctl_set_cpu_model, ...), without importing the unicorn package (see
uclib.py for why). Registers of any width come back as ints: a register is
read with uc_reg_read2, which says how many bytes it wrote, so 128-bit
vector registers need no per-arch table. This module also exports the
unicorn_const names (UC_HOOK_INTR, UC_ERR_INSN_INVALID, ...).
"""
import ctypes

from .uclib import constants, lib

_const = constants("unicorn_const")
globals().update({k: v for k, v in vars(_const).items() if k.startswith("UC_")})

_REG_BYTES = 64  # room for any register Unicorn has (512-bit vectors on x86)
_REG_MASK = (1 << (8 * _REG_BYTES)) - 1
_void_p, _size_t, _byref = ctypes.c_void_p, ctypes.c_size_t, ctypes.byref


class UcError(Exception):
    def __init__(self, errno, *args):
        super().__init__(errno, *args)
        self.errno = errno

    def __str__(self):
        return lib.uc_strerror(self.errno).decode("ascii", "replace")


def _check(err):
    if err:
        raise UcError(err)


class _Arm64CpReg(ctypes.Structure):
    """uc_arm64_cp_reg: a system register named by its encoding (UC_ARM64_REG_CP_REG)."""
    _fields_ = [("crn", ctypes.c_uint32), ("crm", ctypes.c_uint32), ("op0", ctypes.c_uint32),
                ("op1", ctypes.c_uint32), ("op2", ctypes.c_uint32), ("val", ctypes.c_uint64)]


class _ArmCpReg(ctypes.Structure):
    """uc_arm_cp_reg: a coprocessor register (UC_ARM_REG_CP_REG), as mrc/mcr name it."""
    _fields_ = [("cp", ctypes.c_uint32), ("is64", ctypes.c_uint32), ("sec", ctypes.c_uint32),
                ("crn", ctypes.c_uint32), ("crm", ctypes.c_uint32), ("opc1", ctypes.c_uint32),
                ("opc2", ctypes.c_uint32), ("val", ctypes.c_uint64)]


# the length of the tuple naming a coprocessor register tells which kind it is
_CP_REGS = {5: _Arm64CpReg, 7: _ArmCpReg}


# Native callback types, one per hook family (unicorn.h's uc_cb_hook*_t)
_INTR = ctypes.CFUNCTYPE(None, _void_p, ctypes.c_uint32, _void_p)
_CODE = ctypes.CFUNCTYPE(None, _void_p, ctypes.c_uint64, ctypes.c_uint32, _void_p)
_MEM = ctypes.CFUNCTYPE(None, _void_p, ctypes.c_int, ctypes.c_uint64, ctypes.c_int, ctypes.c_int64, _void_p)
_MEM_INVALID = ctypes.CFUNCTYPE(ctypes.c_bool, _void_p, ctypes.c_int, ctypes.c_uint64, ctypes.c_int,
                                ctypes.c_int64, _void_p)
_INSN_INVALID = ctypes.CFUNCTYPE(ctypes.c_bool, _void_p, _void_p)


def _ctl_code(control, io, nargs):
    return control | (nargs << 26) | (io << 30)  # unicorn.h's UC_CTL(type, nr, rw)


class UcContext:
    """A saved CPU state (uc_context_save), to restore into the same or another instance."""

    def __init__(self, uc):
        self.context = _void_p()
        _check(lib.uc_context_alloc(uc._uch, _byref(self.context)))

    def __del__(self):
        if self.context:
            lib.uc_context_free(self.context)
            self.context = None


class Uc:
    def __init__(self, arch, mode):
        self._uch = _void_p()  # the name unicorn.Uc uses: raw.py reads it
        _check(lib.uc_open(arch, mode, _byref(self._uch)))
        self._arch, self._mode = arch, mode
        self.tlb_flushes = 0  # ctl_flush_tlb calls so far: whether one came since a given moment
        self._callbacks = {}  # hook handle -> native callback, kept alive while hooked
        self.regions_version = 0  # changes with the regions: what mem_regions() said may be kept till then

    def __del__(self):
        self.close()

    def close(self):
        """Free the instance now (its hooks' callbacks may live on in reference cycles)."""
        handle = self._uch
        if handle:
            self._uch = None  # first: a stop from another thread (raw.stop_from_outside) reads it under the GIL
            lib.uc_close(handle)

    # ---- registers ------------------------------------------------------------

    def reg_read(self, reg_id, aux=None):
        if aux is not None:  # a coprocessor register: aarch64 (crn, crm, op0, op1, op2),
            reg = _CP_REGS[len(aux)](*aux)  # arm (cp, is64, sec, crn, crm, opc1, opc2)
            size = _size_t(ctypes.sizeof(reg))
            _check(lib.uc_reg_read2(self._uch, reg_id, _byref(reg), _byref(size)))
            return reg.val
        buf = (ctypes.c_ubyte * _REG_BYTES)()
        size = _size_t(_REG_BYTES)
        _check(lib.uc_reg_read2(self._uch, reg_id, buf, _byref(size)))
        return int.from_bytes(bytes(buf)[:size.value], "little")

    def reg_write(self, reg_id, value):
        # uc_reg_write, not uc_reg_write2: for the PC only the former also makes the
        # next exit skip its PC sync, which thread.py's defer() relies on.
        if isinstance(value, tuple):  # a coprocessor register, then the value
            reg = _CP_REGS[len(value) - 1](*value)
            _check(lib.uc_reg_write(self._uch, ctypes.c_int(reg_id), _byref(reg)))
            return
        buf = (ctypes.c_ubyte * _REG_BYTES).from_buffer_copy((value & _REG_MASK).to_bytes(_REG_BYTES, "little"))
        _check(lib.uc_reg_write(self._uch, ctypes.c_int(reg_id), buf))

    # ---- memory ---------------------------------------------------------------

    def mem_map(self, address, size, perms=7):
        self.regions_version += 1
        _check(lib.uc_mem_map(self._uch, address, size, perms))

    def mem_map_ptr(self, address, size, perms, ptr):
        self.regions_version += 1
        _check(lib.uc_mem_map_ptr(self._uch, address, size, perms, ptr))

    def mem_unmap(self, address, size):
        self.regions_version += 1
        _check(lib.uc_mem_unmap(self._uch, address, size))

    def mem_protect(self, address, size, perms=7):  # (splits regions)
        self.regions_version += 1
        _check(lib.uc_mem_protect(self._uch, address, size, perms))

    def mem_read(self, address, size):
        data = ctypes.create_string_buffer(size)
        _check(lib.uc_mem_read(self._uch, address, data, size))
        return bytearray(data.raw)

    def mem_write(self, address, data):
        data = bytes(data)
        _check(lib.uc_mem_write(self._uch, address, data, len(data)))

    def mem_regions(self):
        """(begin, end inclusive, perms) of each mapping."""
        regions, count = _void_p(), ctypes.c_uint32()
        _check(lib.uc_mem_regions(self._uch, _byref(regions), _byref(count)))
        try:
            raw = ctypes.string_at(regions, 24 * count.value) if count.value else b""
            return [(int.from_bytes(raw[i:i + 8], "little"), int.from_bytes(raw[i + 8:i + 16], "little"),
                     int.from_bytes(raw[i + 16:i + 20], "little")) for i in range(0, len(raw), 24)]
        finally:
            if regions:
                lib.uc_free(regions)

    # ---- hooks ----------------------------------------------------------------

    def hook_add(self, htype, callback, user_data=None, begin=1, end=0):
        """callback(uc, ..., user_data) with the arguments unicorn.Uc gives it."""
        if htype & _const.UC_HOOK_MEM_INVALID:
            native = _MEM_INVALID(lambda h, access, addr, size, value, _: bool(
                callback(self, access, addr, size, value, user_data)))
        elif htype & (_const.UC_HOOK_MEM_VALID | _const.UC_HOOK_MEM_READ_AFTER):
            native = _MEM(lambda h, access, addr, size, value, _: callback(self, access, addr, size, value,
                                                                           user_data))
        elif htype == _const.UC_HOOK_INTR:
            native = _INTR(lambda h, intno, _: callback(self, intno, user_data))
        elif htype in (_const.UC_HOOK_CODE, _const.UC_HOOK_BLOCK):
            native = _CODE(lambda h, addr, size, _: callback(self, addr, size, user_data))
        elif htype == _const.UC_HOOK_INSN_INVALID:
            native = _INSN_INVALID(lambda h, _: bool(callback(self, user_data)))
        else:
            raise UcError(_const.UC_ERR_HOOK)
        handle = _size_t()
        _check(lib.uc_hook_add(self._uch, _byref(handle), htype, ctypes.cast(native, _void_p), None, begin, end))
        self._callbacks[handle.value] = native
        return handle.value

    def hook_del(self, handle):
        _check(lib.uc_hook_del(self._uch, handle))
        self._callbacks.pop(handle, None)

    # ---- running --------------------------------------------------------------

    def emu_start(self, begin, until, timeout=0, count=0):
        _check(lib.uc_emu_start(self._uch, begin, until, timeout, count))

    def emu_stop(self):
        _check(lib.uc_emu_stop(self._uch))

    def query(self, prop):
        result = _size_t()
        _check(lib.uc_query(self._uch, prop, _byref(result)))
        return result.value

    # ---- CPU context ----------------------------------------------------------

    def context_save(self):
        context = UcContext(self)
        _check(lib.uc_context_save(self._uch, context.context))
        return context

    def context_update(self, context):
        _check(lib.uc_context_save(self._uch, context.context))

    def context_restore(self, context):
        _check(lib.uc_context_restore(self._uch, context.context))

    # ---- uc_ctl ---------------------------------------------------------------

    def ctl(self, control, io, *args):
        """uc_ctl with ctypes arguments (its arguments are variadic)."""
        _check(lib.uc_ctl(self._uch, ctypes.c_int(_ctl_code(control, io, len(args))), *args))

    def _ctl_read(self, control, ctype):
        cell = ctype()
        self.ctl(control, _const.UC_CTL_IO_READ, _byref(cell))
        return cell.value

    def ctl_set_cpu_model(self, model):
        if model is None:  # Unicorn's default model (a cpu module's CPU_MODELS: ppc64's only working one)
            return
        self.ctl(_const.UC_CTL_CPU_MODEL, _const.UC_CTL_IO_WRITE, ctypes.c_int(model))

    def ctl_get_cpu_model(self):
        return self._ctl_read(_const.UC_CTL_CPU_MODEL, ctypes.c_int)

    def ctl_set_page_size(self, size):
        """Target page size (arm and aarch64 only), before the first use of the instance."""
        self.ctl(_const.UC_CTL_UC_PAGE_SIZE, _const.UC_CTL_IO_WRITE, ctypes.c_uint32(size))

    def ctl_get_page_size(self):
        return self._ctl_read(_const.UC_CTL_UC_PAGE_SIZE, ctypes.c_uint32)

    def ctl_set_tcg_buffer_size(self, size):
        self.ctl(_const.UC_CTL_TCG_BUFFER_SIZE, _const.UC_CTL_IO_WRITE, ctypes.c_uint32(size))

    def ctl_get_tcg_buffer_size(self):
        return self._ctl_read(_const.UC_CTL_TCG_BUFFER_SIZE, ctypes.c_uint32)

    def ctl_remove_cache(self, lbound, ubound):
        self.ctl(_const.UC_CTL_TB_REMOVE_CACHE, _const.UC_CTL_IO_WRITE, ctypes.c_uint64(lbound),
                 ctypes.c_uint64(ubound))

    def ctl_flush_tb(self):
        self.ctl(_const.UC_CTL_TB_FLUSH, _const.UC_CTL_IO_WRITE)

    def ctl_flush_tlb(self):
        self.ctl(_const.UC_CTL_TLB_FLUSH, _const.UC_CTL_IO_WRITE)
        self.tlb_flushes += 1

    def ctl_set_tlb_mode(self, mode):
        """UC_TLB_CPU (the guest MMU's, the default) or UC_TLB_VIRTUAL."""
        self.ctl(_const.UC_CTL_TLB_TYPE, _const.UC_CTL_IO_WRITE, ctypes.c_int(mode))

    ctl_tlb_mode = ctl_set_tlb_mode  # unicorn.Uc's older name
