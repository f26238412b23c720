"""What Unicorn 2.1.4 cannot do for the guests pyqemu does not have, each reproduced in a
few instructions (README's table of architectures gives the reasons). A test here
failing means a newer Unicorn lifted the limit: the guest may be feasible now."""
from usermode.uc import UC_TLB_CPU, UC_TLB_VIRTUAL, Uc, UcError
from usermode.uclib import constants
from usermode import raw

U = constants("unicorn_const")


def test_sparc64_has_no_register_window_state():
    """sparc64: the first `save` traps to spill_0_normal (0x80; CANSAVE is 0 at reset),
    and a user-mode kernel cannot spill or fill the windows: the API has no CWP,
    CANSAVE, CANRESTORE, OTHERWIN, WSTATE or CLEANWIN, nor NPC."""
    S = constants("sparc_const")
    window_state = ("CWP", "CANSAVE", "CANRESTORE", "OTHERWIN", "WSTATE", "CLEANWIN", "NPC")
    assert not [n for n in dir(S) if n.startswith("UC_SPARC_REG_") and n[len("UC_SPARC_REG_"):] in window_state]
    uc = Uc(U.UC_ARCH_SPARC, U.UC_MODE_SPARC64 | U.UC_MODE_BIG_ENDIAN)
    uc.mem_map(0x10000, 0x4000)  # (8 KiB pages)
    uc.mem_write(0x10000, bytes.fromhex("9de3bf40" "01000000"))  # save %sp, -192, %sp; nop
    uc.reg_write(S.UC_SPARC_REG_SP, 0x13000 - 2047)
    seen = []

    def on_interrupt(handle, intno, user_data):
        seen.append(intno)
        uc.emu_stop()
    callback = raw.INTR_CALLBACK(on_interrupt)
    raw.add_hook(uc, raw.UC_HOOK_INTR, callback)
    uc.emu_start(0x10000, 0x10008, count=2)
    assert seen == [0x80]


def _ppc64(model, tlb):
    """li r3,-1; ld r4,0(r5) on a 64-bit big-endian PowerPC: (r3, r4), or None if it stopped."""
    P = constants("ppc_const")
    uc = Uc(U.UC_ARCH_PPC, U.UC_MODE_PPC64 | U.UC_MODE_BIG_ENDIAN)
    if model is not None:
        uc.ctl_set_cpu_model(getattr(P, model))
    uc.ctl_set_tlb_mode(tlb)
    uc.mem_map(0x10000, 0x1000)
    uc.mem_write(0x10000, bytes.fromhex("3860ffff" "e8850000"))
    uc.mem_write(0x10800, bytes.fromhex("0123456789abcdef"))
    uc.reg_write(P.UC_PPC_REG_5, 0x10800)
    try:
        uc.emu_start(0x10000, 0x10008)
    except UcError:
        return None
    return uc.reg_read(P.UC_PPC_REG_3), uc.reg_read(P.UC_PPC_REG_4)


def test_ppc64_runs_only_on_the_default_model_with_the_virtual_tlb():
    """ppc64: the default model (POWER10) runs 64-bit code only under UC_TLB_VIRTUAL (its
    hash MMU stops the first fetch otherwise), and an explicit ppc64 model stops at once:
    what pyqemu-ppc64 uses."""
    assert _ppc64(None, UC_TLB_VIRTUAL) == ((1 << 64) - 1, 0x0123456789ABCDEF)
    assert _ppc64(None, UC_TLB_CPU) is None
    assert _ppc64("UC_CPU_PPC64_POWER9_V2_0", UC_TLB_VIRTUAL) is None
