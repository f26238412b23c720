"""The x87/SSE state in a signal frame, as an x86-64 kernel saves it.

A handler's frame holds the FPU state in the format `xsave` writes (the CPU
models pyqemu offers have XSAVE, and XCR0 enables x87 and SSE: 576 bytes), the
kernel's software bytes in the legacy area's reserved tail (struct
_fpx_sw_bytes: FP_XSTATE_MAGIC1, sizes, features), FP_XSTATE_MAGIC2 just after
it, and, for a 32-bit process, the old `fsave` image in front (112 bytes:
struct user_i387_ia32_struct, status word, magic 0 = "fxsr data follows").
Sources: arch/x86/kernel/fpu/signal.c, regset.c (convert_from_fxsr,
twd_fxsr_to_i387), include/uapi/asm/sigcontext.h.

Built from Unicorn's registers in Python: FCW, FSW (with TOP), the tags,
FOP, FIP, FDP, MXCSR, ST0-7 and XMM0-15 (0-7 for a 32-bit process).
"""
import struct

from ..uclib import constants

X = constants("x86_const")

FXSAVE_SIZE = 512
XSAVE_HEADER_SIZE = 64
XSTATE_SIZE = FXSAVE_SIZE + XSAVE_HEADER_SIZE   # user_size with XCR0 = x87 | SSE
XFEATURES = 0x3                                  # x87, SSE
MAGIC1, MAGIC2 = 0x46505853, 0x46505845          # FP_XSTATE_MAGIC1, FP_XSTATE_MAGIC2
MAGIC2_SIZE = 4
FSAVE_HEADER_SIZE = 112                          # struct fregs_state
SW_BYTES_AT = 464                                # fxregs_state.sw_reserved
MXCSR_MASK = 0xFFFF                              # what Unicorn's fxsave reports
MXCSR_DEFAULT = 0x1F80
FCW_DEFAULT = 0x37F


def frame_size(ia32):
    """xstate_sigframe_size (+ the fsave header for 32-bit frames): the bytes the
    state takes below the frame (fpu__alloc_mathframe)."""
    return XSTATE_SIZE + MAGIC2_SIZE + (FSAVE_HEADER_SIZE if ia32 else 0)


def _abridged_tags(full):
    """The 2-bit tags of the 8 physical registers -> fxsave's one bit each (1 = in use)."""
    return sum(1 << i for i in range(8) if (full >> (2 * i)) & 3 != 3)


def _full_tags(abridged, fsw, st_bytes):
    """twd_fxsr_to_i387: the full tag word from the abridged one and the contents."""
    top = (fsw >> 11) & 7
    tags = 0xFFFF0000
    for i in range(8):
        if abridged >> i & 1:
            st = st_bytes[((i - top) & 7) * 10:((i - top) & 7) * 10 + 10]
            mantissa, exponent = struct.unpack("<QH", st)
            exponent &= 0x7FFF
            if exponent == 0x7FFF:
                tag = 2
            elif exponent == 0:
                tag = 1 if mantissa == 0 else 2
            else:
                tag = 0 if mantissa >> 63 else 2
        else:
            tag = 3
        tags |= tag << (2 * i)
    return tags


def _xmm_count(long_mode):
    return 16 if long_mode else 8


def fxsave(uc, long_mode):
    """The 512-byte legacy area (fxsave64 format, as the 64-bit kernel writes it)."""
    fcw, fsw, ftw = uc.reg_read(X.UC_X86_REG_FPCW), uc.reg_read(X.UC_X86_REG_FPSW), uc.reg_read(X.UC_X86_REG_FPTAG)
    head = struct.pack("<HHBxHQQII", fcw, fsw, _abridged_tags(ftw), uc.reg_read(X.UC_X86_REG_FOP) & 0x7FF,
                       uc.reg_read(X.UC_X86_REG_FIP), uc.reg_read(X.UC_X86_REG_FDP),
                       uc.reg_read(X.UC_X86_REG_MXCSR), MXCSR_MASK)
    st = b"".join((uc.reg_read(X.UC_X86_REG_ST0 + i) & ((1 << 80) - 1)).to_bytes(16, "little") for i in range(8))
    xmm = b"".join(uc.reg_read(X.UC_X86_REG_XMM0 + i).to_bytes(16, "little") for i in range(_xmm_count(long_mode)))
    data = head + st + xmm
    return data + bytes(FXSAVE_SIZE - len(data))


def xsave_image(uc, long_mode, ia32):
    """The xsave area the frame holds, its software bytes filled, MAGIC2 after it."""
    legacy = bytearray(fxsave(uc, long_mode))
    extended = XSTATE_SIZE + MAGIC2_SIZE + (FSAVE_HEADER_SIZE if ia32 else 0)
    legacy[SW_BYTES_AT:SW_BYTES_AT + 48] = struct.pack("<IIQI28x", MAGIC1, extended, XFEATURES, XSTATE_SIZE)
    header = struct.pack("<QQ48x", XFEATURES, 0)  # xstate_bv (the kernel always sets FP|SSE), xcomp_bv
    return bytes(legacy) + header + struct.pack("<I", MAGIC2)


def fsave_header(uc, cs, ds):
    """The 32-bit frame's fsave image (convert_from_fxsr), then the status word and
    X86_FXSR_MAGIC (0: the fxsave state follows)."""
    fcw, fsw = uc.reg_read(X.UC_X86_REG_FPCW), uc.reg_read(X.UC_X86_REG_FPSW)
    st = b"".join((uc.reg_read(X.UC_X86_REG_ST0 + i) & ((1 << 80) - 1)).to_bytes(10, "little") for i in range(8))
    abridged = _abridged_tags(uc.reg_read(X.UC_X86_REG_FPTAG))
    env = struct.pack("<IIIIIII", fcw | 0xFFFF0000, fsw | 0xFFFF0000, _full_tags(abridged, fsw, st),
                      uc.reg_read(X.UC_X86_REG_FIP) & 0xFFFFFFFF, cs, uc.reg_read(X.UC_X86_REG_FDP) & 0xFFFFFFFF,
                      ds | 0xFFFF0000)
    return env + st + struct.pack("<HH", fsw, 0)


def reset(uc, long_mode):
    """fpu__clear_user_states: a handler starts with the FPU in its initial state."""
    uc.reg_write(X.UC_X86_REG_FPCW, FCW_DEFAULT)
    uc.reg_write(X.UC_X86_REG_FPSW, 0)
    uc.reg_write(X.UC_X86_REG_FPTAG, 0xFFFF)
    uc.reg_write(X.UC_X86_REG_MXCSR, MXCSR_DEFAULT)
    for i in range(8):
        uc.reg_write(X.UC_X86_REG_FP0 + i, 0)
    for i in range(_xmm_count(long_mode)):
        uc.reg_write(X.UC_X86_REG_XMM0 + i, 0)


def restore(uc, long_mode, area, legacy_x87=None):
    """Registers back from an xsave area (sigreturn). A feature whose xstate_bv bit
    is clear goes to its initial state, as xrstor does; `legacy_x87` (a 32-bit
    frame's fsave image) overrides the x87 part, as the kernel folds it in.
    False if MXCSR holds reserved bits (the kernel refuses the frame)."""
    fcw, fsw, ftw, fop, fip, fdp, mxcsr = struct.unpack_from("<HHBxHQQI", area)
    magic1, _ext, features, size = struct.unpack_from("<IIQI", area, SW_BYTES_AT)
    xstate_bv = XFEATURES
    if magic1 == MAGIC1 and len(area) >= XSTATE_SIZE:
        xstate_bv = struct.unpack_from("<Q", area, FXSAVE_SIZE)[0] & features
    if mxcsr & ~MXCSR_MASK and long_mode:
        return False
    mxcsr &= MXCSR_MASK
    if legacy_x87 is not None:
        cwd, swd, twd, fip32, fcs, foo, _fos = struct.unpack_from("<IIIIIII", legacy_x87)
        fcw, fsw, fip, fdp, fop = cwd & 0xFFFF, swd & 0xFFFF, fip32, foo, (fcs >> 16) & 0x7FF
        st_regs = [legacy_x87[28 + 10 * i:38 + 10 * i] for i in range(8)]
        full = twd & 0xFFFF
    else:
        st_regs = [area[32 + 16 * i:42 + 16 * i] for i in range(8)]
        full = sum((0 if ftw >> i & 1 else 3) << (2 * i) for i in range(8))
    if xstate_bv & 1 or legacy_x87 is not None:
        uc.reg_write(X.UC_X86_REG_FPCW, fcw)
        uc.reg_write(X.UC_X86_REG_FPSW, fsw)
        for i, data in enumerate(st_regs):
            uc.reg_write(X.UC_X86_REG_ST0 + i, int.from_bytes(data, "little"))
        uc.reg_write(X.UC_X86_REG_FPTAG, full)
        uc.reg_write(X.UC_X86_REG_FOP, fop)
        uc.reg_write(X.UC_X86_REG_FIP, fip)
        uc.reg_write(X.UC_X86_REG_FDP, fdp)
    else:
        uc.reg_write(X.UC_X86_REG_FPCW, FCW_DEFAULT)
        uc.reg_write(X.UC_X86_REG_FPSW, 0)
        uc.reg_write(X.UC_X86_REG_FPTAG, 0xFFFF)
    uc.reg_write(X.UC_X86_REG_MXCSR, mxcsr)
    for i in range(_xmm_count(long_mode)):
        value = int.from_bytes(area[160 + 16 * i:176 + 16 * i], "little") if xstate_bv & 2 else 0
        uc.reg_write(X.UC_X86_REG_XMM0 + i, value)
    return True
