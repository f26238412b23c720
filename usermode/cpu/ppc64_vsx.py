"""ppc64's vector registers, which Unicorn 2.1.4's API does not expose (its
UC_PPC_REG_* have the FPRs but no VR or VSR): read and written in the CPU state,
for the signal frames (the kernel saves VR0-31 and the low halves of VSR0-31).

Unicorn's CPUPPCState (qemu/target/ppc/cpu.h) holds `ppc_vsr_t vsr[64]` far after
the GPRs (past spr_cb[1024]): FPR n is vsr[n]'s high doubleword (the second host
word on this little-endian host), VRn is vsr[32 + n]. The array is found once per
process on a scratch instance, by the FPR values the API writes, and checked there
by running stvx/lvx/stxvd2x on it: what is put in the fields must be what the
instructions store, and what lvx loads must appear there. If any of it fails, or
PYQEMU_NO_UNSAFE=regfile, vsx() gives None: frames then carry no vector state
(MSR_VEC and MSR_VSX clear in them, as a kernel's for a task that used none).
"""
import struct
import weakref

from .. import regfile
from . import ppc_common as common

SIZE = 64 * 16
_CHUNK = 4096
_LIMIT = 1 << 17  # the search's end: the array was measured at 76576 bytes from gpr[0]
_MARKS = (0x7079716530564653, 0x5856534D41524B31)  # FPR0, FPR1 during the search
_offset = None  # from gpr[0] to vsr[0]: None unknown, False not found
_vsx = weakref.WeakKeyDictionary()


class Vsx:
    def __init__(self, memory):
        self.memory = memory  # alive as long as the Unicorn instance

    def vr(self, n):
        """VRn as the 16 big-endian bytes a stvx stores."""
        low, high = struct.unpack_from("<QQ", self.memory, (32 + n) * 16)
        return struct.pack(">QQ", high, low)

    def set_vr(self, n, data):
        high, low = struct.unpack(">QQ", data)
        struct.pack_into("<QQ", self.memory, (32 + n) * 16, low, high)

    def low(self, n):
        """VSRn's low doubleword (its high one is FPRn)."""
        return struct.unpack_from("<Q", self.memory, n * 16)[0]

    def set_low(self, n, value):
        struct.pack_into("<Q", self.memory, n * 16, value)


def _search(uc, module):
    """The offset of vsr[0] from gpr[0] in uc's CPU state, or None."""
    view = regfile.locate(uc._uch.value, module.GPR_IDS, 8)
    if view is None:
        return None
    saved = [uc.reg_read(common.F[i]) for i in (0, 1)]
    for reg, mark in zip(common.F, _MARKS):
        uc.reg_write(reg, mark)
    try:
        first, second = (struct.pack("<Q", m) for m in _MARKS)
        for start in range(0, _LIMIT, _CHUNK):  # chunk by chunk: never read far past the array
            memory = bytes(regfile.beside(view, start, _CHUNK + 32))
            at = memory.find(first)
            while 0 <= at < _CHUNK:
                if memory[at + 16:at + 24] == second and (start + at - 8) % 16 == 0:
                    return start + at - 8
                at = memory.find(first, at + 1)
        return None
    finally:
        for reg, value in zip(common.F, saved):
            uc.reg_write(reg, value)


# stvx v0,0,r3; lvx v1,0,r4; stxvd2x vs4,0,r5
_CHECK_CODE = bytes.fromhex("7c0019ce" "7c2020ce" "7c802f98")


def _layout_holds(module, offset):
    from ..uc import UC_TLB_VIRTUAL, Uc
    uc = Uc(module.UC_ARCH, module.UC_MODE)
    uc.ctl_set_cpu_model(module.CPU_MODELS[module.DEFAULT_CPU])
    uc.ctl_set_tlb_mode(UC_TLB_VIRTUAL)
    module.prepare(uc)
    code, data = 0x10000, 0x11000
    uc.mem_map(code, 0x2000)
    uc.mem_write(code, _CHECK_CODE)
    loaded = bytes(range(0x40, 0x50))
    uc.mem_write(data + 0x10, loaded)
    if _search(uc, module) != offset:
        return False
    vsx = Vsx(regfile.beside(regfile.locate(uc._uch.value, module.GPR_IDS, 8), offset, SIZE))
    stored = bytes(range(0x20, 0x30))
    vsx.set_vr(0, stored)
    uc.reg_write(common.F[4], 0x0102030405060708)
    vsx.set_low(4, 0x1112131415161718)
    uc.reg_write(common.R[3], data)
    uc.reg_write(common.R[4], data + 0x10)
    uc.reg_write(common.R[5], data + 0x20)
    uc.emu_start(code, code + len(_CHECK_CODE))
    return (bytes(uc.mem_read(data, 16)) == stored and vsx.vr(1) == loaded
            and bytes(uc.mem_read(data + 0x20, 16)) == struct.pack(">QQ", 0x0102030405060708, 0x1112131415161718))


def vsx(uc, module):
    """uc's Vsx, or None where the layout could not be confirmed."""
    global _offset
    if uc in _vsx:
        return _vsx[uc]
    if _offset is None:
        try:
            found = _search(uc, module)
            _offset = found if found is not None and _layout_holds(module, found) else False
        except Exception:  # noqa: BLE001 -- any surprise from the scratch run: no shortcut
            _offset = False
    result = None
    if _offset is not False:
        view = regfile.locate(uc._uch.value, module.GPR_IDS, 8)
        memory = regfile.beside(view, _offset, SIZE)
        result = None if memory is None else Vsx(memory)
    _vsx[uc] = result
    return result
