"""The m68k FPU's registers (fp0-fp7, fpcr, fpsr), which Unicorn 2.1.4's API does not
expose (its UC_M68K_REG_* end at the control registers): read and written in the CPU
state beside the integer registers regfile.locate() finds, for signal frames and gdb.

Unicorn's CPUM68KState (qemu/target/m68k/cpu.h) holds, from dregs[0]: dregs[8],
aregs[8], pc, sr, current_sp, sp[3], cc_op and five flags (112 bytes), then
fregs[8] and fp_result as floatx80 (a 64-bit mantissa, then 16 bits of sign and
exponent; 16 bytes each on this host), then fpcr and fpsr. Before any use the layout
is checked once per process on a scratch instance by running FPU instructions on it
(this build lays out every instance alike): values put in the fields must be what
fmove reads, and what fmove writes must appear there. If the check fails, or
PYQEMU_NO_UNSAFE=regfile, fpu() gives None: signal frames then carry no FPU state
(as a kernel's for a task that never used it) and gdb shows no FPU registers."""
import struct
import weakref

from .. import regfile

FREGS_AT, FPCR_AT, FPSR_AT = 112, 256, 260
SIZE = 264
_checked = None
_fpus = weakref.WeakKeyDictionary()


class Fpu:
    """One instance's FPU registers, in the 68881's 96-bit memory format for fpN."""

    def __init__(self, memory):
        self.memory = memory  # alive as long as the Unicorn instance (the caller's uc)

    def read(self, n):
        """fpN as 12 big-endian bytes: sign and exponent, 16 zero bits, the mantissa."""
        mantissa, top = struct.unpack_from("<QH", self.memory, FREGS_AT + 16 * n)
        return struct.pack(">HHQ", top, 0, mantissa)

    def write(self, n, data):
        top, _, mantissa = struct.unpack(">HHQ", data)
        struct.pack_into("<QH", self.memory, FREGS_AT + 16 * n, mantissa, top)

    @property
    def fpcr(self):
        return struct.unpack_from("<I", self.memory, FPCR_AT)[0]

    @fpcr.setter
    def fpcr(self, value):
        struct.pack_into("<I", self.memory, FPCR_AT, value & 0xFFFF)

    @property
    def fpsr(self):
        return struct.unpack_from("<I", self.memory, FPSR_AT)[0]

    @fpsr.setter
    def fpsr(self, value):
        struct.pack_into("<I", self.memory, FPSR_AT, value & 0xFFFFFFFF)


def _locate(uc, ids):
    view = regfile.locate(uc._uch.value, ids, 4)
    memory = regfile.beside(view, 0, SIZE)
    return None if memory is None else Fpu(memory)


# fmove.d %fp0,(%a0); fmove.d (%a1),%fp1; fmove.l %fpcr,%d0; fmove.l %d1,%fpcr
_CHECK_CODE = bytes.fromhex("f2107400" "f2115480" "f200b000" "f2019000")


def _layout_holds(module):
    """Run FPU instructions on a scratch instance: fp0 and fpcr put in place must be what
    fmove reads, fp1 and fpcr written by fmove must be there afterwards."""
    from ..uc import Uc
    uc = Uc(module.UC_ARCH, module.UC_MODE)
    uc.ctl_set_cpu_model(module.CPU_MODELS[module.DEFAULT_CPU])
    module.prepare(uc)
    code, data = 0x10000, 0x11000
    uc.mem_map(code, 0x2000)
    uc.mem_write(code, _CHECK_CODE)
    uc.mem_write(data + 8, struct.pack(">d", -10.0))
    fpu = _locate(uc, module.GPR_IDS)
    if fpu is None:
        return False
    fpu.write(0, struct.pack(">HHQ", 0x4000, 0, 0xA000000000000000))  # 2.5
    fpu.fpcr = 0x20  # round toward zero
    D, A = module.D, module.A
    uc.reg_write(A[0], data)
    uc.reg_write(A[1], data + 8)
    uc.reg_write(D[1], 0x10)  # round to nearest, extended: changed
    uc.emu_start(code, code + len(_CHECK_CODE))
    return (uc.mem_read(data, 8) == struct.pack(">d", 2.5) and uc.reg_read(D[0]) == 0x20
            and fpu.read(1) == struct.pack(">HHQ", 0xC002, 0, 0xA000000000000000) and fpu.fpcr == 0x10)


def fpu(uc, module):
    """uc's Fpu, or None where the layout could not be confirmed."""
    global _checked
    if uc in _fpus:
        return _fpus[uc]
    if _checked is None:
        try:
            _checked = _layout_holds(module)
        except Exception:  # noqa: BLE001 -- any surprise from the scratch run: no shortcut
            _checked = False
    found = _locate(uc, module.GPR_IDS) if _checked else None
    _fpus[uc] = found
    return found
