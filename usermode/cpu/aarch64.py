"""AArch64 (ARMv8-A and later, little-endian, lp64)."""
from ..abi import Abi
from ..errors import GuestError
from ..signals import frames
from ..structs import Layouts
from ..syscalls.convention import Convention
from ..uclib import constants

A = constants("arm64_const")
_UC = constants("unicorn_const")

NAME = "aarch64"
TRIPLE = "aarch64-linux-gnu"
DEBIAN_ARCH = "arm64"
DEBIAN_ROOTFS = True
ALIASES = ("arm64",)
GO_ENV = {"GOARCH": "arm64"}
ABI = Abi("aarch64", 64, "little")
ELF_MACHINE = 183  # EM_AARCH64
ELF_CLASS = 64
UNAME_MACHINE = "aarch64"
INTERPRETERS = ("/lib/ld-linux-aarch64.so.1",)
TASK_SIZE = 1 << 40  # big enough for Go's arena hints at 0xc000000000

UC_ARCH, UC_MODE = _UC.UC_ARCH_ARM64, _UC.UC_MODE_ARM
CPU_MODELS = {
    "max": A.UC_CPU_ARM64_MAX,
    "cortex-a72": A.UC_CPU_ARM64_A72,
    "cortex-a57": A.UC_CPU_ARM64_A57,
    "cortex-a53": A.UC_CPU_ARM64_A53,
}
DEFAULT_CPU = "max"  # qemu-aarch64's default too
CS_ARCH, CS_MODE = 1, 0  # capstone: CS_ARCH_ARM64, little-endian

REG_PC, REG_SP, REG_TLS = A.UC_ARM64_REG_PC, A.UC_ARM64_REG_SP, A.UC_ARM64_REG_TPIDR_EL0
# The integer registers in the order the CPU state keeps them (env->xregs, whose
# slot 31 is the SP): see regfile.py.
GPR_IDS = tuple(A.UC_ARM64_REG_X0 + i for i in range(29)) + (A.UC_ARM64_REG_X29, A.UC_ARM64_REG_X30)
GPR_SLOT_BYTES = 8

# Measured: svc arrives as intno 2 (EXCP_SWI) with the PC past it; udf as 1
# (EXCP_UDEF); brk as 7 (EXCP_BKPT).
CONVENTION = Convention(
    number=A.UC_ARM64_REG_X8, result=A.UC_ARM64_REG_X0, intno=2, insn_size=4,
    args=(A.UC_ARM64_REG_X0, A.UC_ARM64_REG_X1, A.UC_ARM64_REG_X2, A.UC_ARM64_REG_X3,
          A.UC_ARM64_REG_X4, A.UC_ARM64_REG_X5))
# and a misaligned exclusive or atomic access (alignment is the only data abort
# Unicorn raises as an exception: its memory faults come as errors) as 4 (EXCP_DATA_ABORT)
EXCEPTIONS = {1: ("SIGILL", "illegal instruction"), 7: ("SIGTRAP", "breakpoint"),
              4: ("SIGBUS", "misaligned exclusive or atomic access", "BUS_ADRALN")}
FAULT_PC_ADJUST = 0  # udf and brk leave the PC on the instruction
PLATFORM = "aarch64"
MINSIGSTKSZ = 5120  # arch/arm64: signal frame without SVE state, rounded as the kernel does


# SCTLR_EL1 bits that decide what EL0 may do (arch/arm64/include/asm/sysreg.h)
_SCTLR_UMA, _SCTLR_DZE, _SCTLR_UCT, _SCTLR_NTWI, _SCTLR_NTWE, _SCTLR_UCI = 1 << 9, 1 << 14, 1 << 15, 1 << 16, 1 << 18, 1 << 26
_CNTKCTL_EL0VCTEN = 1 << 1
_SCTLR, _CNTKCTL = (1, 0, 3, 0, 0), (14, 1, 3, 0, 0)  # (crn, crm, op0, op1, op2)
_HCR_EL2, _SCR_EL3 = (1, 1, 3, 4, 0), (1, 1, 3, 6, 0)
_TCR, _TCR_T0SZ_48, _TCR_TBI0 = (2, 0, 3, 0, 2), 16, 1 << 37
_SCR_NS, _SCR_RW, _SCR_API_APK = 1, 1 << 10, 3 << 16
_HCR_RW, _HCR_API_APK = 1 << 31, 3 << 40
# Top-byte-ignore: the kernel sets TCR_EL1.TBI0, so a load or store through a tagged
# pointer reaches the untagged address. With the MMU off Unicorn leaves that to the TLB
# fill, which is ours (thread.py): it masks the tag off.
ADDRESS_MASK = (1 << 56) - 1


def prepare(uc):
    # Unicorn's arm64 CPU uses 1 KiB pages unless told: with the guest's 4 KiB
    # ones the TLB covers four times the memory and fills four times less often.
    uc.ctl_set_page_size(4096)
    # A process runs at EL0, as under Linux: privileged instructions and system
    # registers fault (SIGILL), and the controls the kernel sets in SCTLR_EL1 and
    # CNTKCTL_EL1 decide the rest: DC ZVA, CTR_EL0 and the virtual counter are the
    # program's, DAIF and WFI are not. One difference on purpose: cache maintenance
    # (UCI clear) traps, so `ic ivau` reaches emulate_trapped, which drops the line's
    # translations in every thread (the kernel traps it too on CPUs with errata).
    # (Unicorn starts at EL1; PSTATE's write takes effect with the next system
    # register write, which rebuilds the cached flags.)
    uc.reg_write(A.UC_ARM64_REG_PSTATE, 0)  # EL0t, flags and DAIF clear
    sctlr = _id_reg(uc, 3, 0, 1, 0, 0)
    sctlr = (sctlr | _SCTLR_DZE | _SCTLR_UCT | _SCTLR_NTWE) & ~(_SCTLR_UMA | _SCTLR_NTWI | _SCTLR_UCI)
    uc.reg_write(A.UC_ARM64_REG_CP_REG, _SCTLR + (sctlr,))
    uc.reg_write(A.UC_ARM64_REG_CP_REG, _CNTKCTL + (_CNTKCTL_EL0VCTEN,))
    # TCR_EL1 as Linux sets it for EL0: a 48-bit VA and TBI0. The MMU stays off, but the
    # CPU reads both for pointer authentication: without TBI0 a PAC took the top byte too
    # (QEMU's tests/tcg pauth-2: an address signed with pacda kept bits 63:56 changed).
    uc.reg_write(A.UC_ARM64_REG_CP_REG, _TCR + (_TCR_T0SZ_48 | _TCR_TBI0,))
    # The levels above, as a machine running Linux sets them: non-secure, EL2 and EL1 in
    # AArch64 (NS, RW), and PAC instructions not trapped there (API, APK). Unicorn starts
    # secure, where HCR_EL2 reads as 0 and traps every PAC instruction to EL2.
    for reg, bits in ((_SCR_EL3, _SCR_API_APK | _SCR_NS | _SCR_RW), (_HCR_EL2, _HCR_API_APK | _HCR_RW)):
        try:
            value = _id_reg(uc, reg[2], reg[3], reg[0], reg[1], reg[4])
        except Exception:  # a model without that level
            continue
        uc.reg_write(A.UC_ARM64_REG_CP_REG, reg + (value | bits,))


# ---- -cpu MODEL,FEATURE=on|off ---------------------------------------------------------
# What a process is offered beyond the model's instructions, each needing the kernel's
# part. (name: (what, offered by default where the model has it)). SVE is never offered:
# Unicorn gives no access to the Z and P registers, so signal frames could not hold
# them (a handler's NEON code would clobber them); its instructions trap (SIGILL) as
# on a CPU without them, and PR_SVE_* say EINVAL. MTE and SME: not in Unicorn's models.
CPU_FEATURES = {
    "pauth": ("pointer authentication (PAC): per-process keys, HWCAP_PACA/PACG, the PR_PAC_* prctls", None),
    "sve": ("the Scalable Vector Extension", "pyqemu cannot offer SVE: Unicorn gives no access to its Z and P "
                                             "registers, which signal frames must save"),
}


def configure(uc, features):
    """The model's features as -cpu chose them (features: name -> bool, the ones given);
    recorded on the instance for hwcaps, the ID registers and the prctls."""
    offered = {"pauth": features.get("pauth", True) and _model_has_pac(uc)}
    uc.cpu_features = offered
    if offered["pauth"]:  # the kernel enables every key for a new process
        sctlr = _id_reg(uc, 3, 0, 1, 0, 0) | _SCTLR_PAC_KEYS
        uc.reg_write(A.UC_ARM64_REG_CP_REG, _SCTLR + (sctlr,))


def _offers(uc, feature):
    return getattr(uc, "cpu_features", {}).get(feature, False)


# ---- pointer authentication (arch/arm64/kernel/pointer_auth.c) -------------------------
# Keys are per process (a thread starts with its creator's: clone copies the CPU), new at
# exec (initial_registers), and each thread may reset them (PR_PAC_RESET_KEYS) or turn
# some off (PR_PAC_SET_ENABLED_KEYS: SCTLR_EL1's EnIA, EnIB, EnDA, EnDB).
_PAC_KEY_REGS = {  # PR_PAC_* key bit -> its (CRm, op2) pair, Lo then Hi, at op0 3, op1 0, CRn 2
    1: (1, 0), 2: (1, 2), 4: (2, 0), 8: (2, 2), 16: (3, 0)}  # APIA, APIB, APDA, APDB, APGA
_SCTLR_ENABLE = {1: 1 << 31, 2: 1 << 30, 4: 1 << 27, 8: 1 << 13}  # EnIA, EnIB, EnDA, EnDB
_SCTLR_PAC_KEYS = sum(_SCTLR_ENABLE.values())
_PAC_ALL_KEYS, _PAC_ENABLE_KEYS = 31, 15


def _model_has_pac(uc):
    isar1 = _id_reg(uc, 3, 0, 0, 6, 1)
    return any(_field(isar1, shift) for shift in (4, 8, 24, 28))  # APA, API, GPA, GPI


def _new_pac_keys(uc, keys):
    import os
    for key, (crm, op2) in _PAC_KEY_REGS.items():
        if keys & key:
            lo, hi = int.from_bytes(os.urandom(8), "little"), int.from_bytes(os.urandom(8), "little")
            uc.reg_write(A.UC_ARM64_REG_CP_REG, (2, crm, 3, 0, op2, lo))
            uc.reg_write(A.UC_ARM64_REG_CP_REG, (2, crm, 3, 0, op2 + 1, hi))


def initial_registers(uc, entry, sp):
    if _offers(uc, "pauth"):
        _new_pac_keys(uc, _PAC_ALL_KEYS)


def _einval():
    import errno
    return GuestError(errno.EINVAL)


def _pac_reset_keys(t, keys, arg3, arg4, arg5):
    if not _offers(t.uc, "pauth") or keys & ~_PAC_ALL_KEYS or arg3 or arg4 or arg5:
        raise _einval()
    _new_pac_keys(t.uc, keys or _PAC_ALL_KEYS)
    return 0


def _pac_set_enabled_keys(t, keys, enabled, arg4, arg5):
    if not _offers(t.uc, "pauth") or keys & ~_PAC_ENABLE_KEYS or enabled & ~keys or arg4 or arg5:
        raise _einval()
    sctlr = _id_reg(t.uc, 3, 0, 1, 0, 0)
    for key, bit in _SCTLR_ENABLE.items():
        if keys & key:
            sctlr = sctlr | bit if enabled & key else sctlr & ~bit
    t.uc.reg_write(A.UC_ARM64_REG_CP_REG, _SCTLR + (sctlr,))
    t.uc.ctl_flush_tb()  # translations test the enable bits when they are made
    return 0


def _pac_get_enabled_keys(t, arg2, arg3, arg4, arg5):
    if not _offers(t.uc, "pauth") or arg2 or arg3 or arg4 or arg5:
        raise _einval()
    sctlr = _id_reg(t.uc, 3, 0, 1, 0, 0)
    return sum(key for key, bit in _SCTLR_ENABLE.items() if sctlr & bit)


def _refused(t, *args):
    raise _einval()


# prctl options of this architecture (info.prctl): name -> handler(t, arg2, arg3, arg4, arg5).
# SVE and SME are not offered, and neither is the tagged address ABI (syscalls take
# untagged pointers; loads and stores ignore the tag): EINVAL, as a kernel without them.
PRCTLS = {
    "PR_PAC_RESET_KEYS": _pac_reset_keys, "PR_PAC_SET_ENABLED_KEYS": _pac_set_enabled_keys,
    "PR_PAC_GET_ENABLED_KEYS": _pac_get_enabled_keys,
    "PR_SVE_SET_VL": _refused, "PR_SVE_GET_VL": _refused, "PR_SME_SET_VL": _refused, "PR_SME_GET_VL": _refused,
    "PR_SET_TAGGED_ADDR_CTRL": _refused, "PR_GET_TAGGED_ADDR_CTRL": _refused,
}


def _id_reg(uc, op0, op1, crn, crm, op2):
    return uc.reg_read(A.UC_ARM64_REG_CP_REG, (crn, crm, op0, op1, op2))


def _field(reg, shift):
    return (reg >> shift) & 0xF


# (register, field shift, minimum value, AT_HWCAP bit) as arch/arm64/kernel/cpufeature.c
# derives them, so what we claim is exactly what the chosen CPU model implements.
# SVE, MTE, SME and BTI are left out (CPU_FEATURES, _UNAVAILABLE; BTI's guarded pages
# need page tables Unicorn's MMU-off CPU does not walk); PAC when -cpu turned it off.
_HWCAP_RULES = (
    ("pfr0", 16, 0, 0),    # FP (field value 0 or 1; 0xF means absent)
    ("pfr0", 20, 0, 1),    # ASIMD
    ("isar0", 4, 1, 3),    # AES
    ("isar0", 4, 2, 4),    # PMULL
    ("isar0", 8, 1, 5),    # SHA1
    ("isar0", 12, 1, 6),   # SHA2
    ("isar0", 16, 1, 7),   # CRC32
    ("isar0", 20, 2, 8),   # ATOMICS
    ("pfr0", 16, 1, 9),    # FPHP
    ("pfr0", 20, 1, 10),   # ASIMDHP
    ("isar0", 28, 1, 12),  # ASIMDRDM
    ("isar1", 12, 1, 13),  # JSCVT
    ("isar1", 16, 1, 14),  # FCMA
    ("isar1", 20, 1, 15),  # LRCPC
    ("isar1", 0, 1, 16),   # DCPOP
    ("isar0", 32, 1, 17),  # SHA3
    ("isar0", 36, 1, 18),  # SM3
    ("isar0", 40, 1, 19),  # SM4
    ("isar0", 44, 1, 20),  # ASIMDDP
    ("isar0", 12, 2, 21),  # SHA512
    ("isar0", 48, 1, 23),  # ASIMDFHM
    ("pfr0", 48, 1, 24),   # DIT
    ("isar1", 20, 2, 26),  # ILRCPC
    ("isar0", 52, 1, 27),  # FLAGM
    ("pfr1", 4, 2, 28),    # SSBS
    ("isar1", 36, 1, 29),  # SB
    ("isar1", 4, 1, 30),   # PACA (APA)
    ("isar1", 8, 1, 30),   # PACA (API)
    ("isar1", 24, 1, 31),  # PACG (GPA)
    ("isar1", 28, 1, 31),  # PACG (GPI)
)
_PAC_HWCAPS = (1 << 30) | (1 << 31)
_HWCAP2_RULES = (
    ("isar1", 0, 2, 0),    # DCPODP
    ("isar0", 52, 2, 7),   # FLAGM2
    ("isar1", 32, 1, 8),   # FRINT
    ("isar0", 60, 1, 16),  # RNG
    ("isar1", 44, 1, 14),  # BF16
    ("isar1", 52, 1, 15),  # I8MM
)
HWCAP_CPUID = 1 << 11  # the kernel emulates MRS of ID registers; Unicorn executes them


def hwcaps(uc):
    regs = {
        "pfr0": _id_reg(uc, 3, 0, 0, 4, 0), "pfr1": _id_reg(uc, 3, 0, 0, 4, 1),
        "isar0": _id_reg(uc, 3, 0, 0, 6, 0), "isar1": _id_reg(uc, 3, 0, 0, 6, 1),
    }

    def collect(rules):
        caps = 0
        for reg, shift, minimum, bit in rules:
            value = _field(regs[reg], shift)
            if value != 0xF and value >= minimum:
                caps |= 1 << bit
        return caps

    hwcap = collect(_HWCAP_RULES) | HWCAP_CPUID
    if not _offers(uc, "pauth"):
        hwcap &= ~_PAC_HWCAPS
    return hwcap, collect(_HWCAP2_RULES)


def data_address(uc, insn):
    """An exclusive, acquire/release or atomic instruction's address: its base register
    Rn (bits 9..5; 31 is the SP), with no offset."""
    if len(insn) < 4:
        return None
    rn = (int.from_bytes(insn[:4], "little") >> 5) & 31
    return uc.reg_read(REG_SP if rn == 31 else GPR_IDS[rn])


def pc_misaligned(uc, pc):
    return bool(pc & 3)


# ---- instructions EL0 traps that the kernel carries out (emulate_trapped) ------------
# MRS of the ID registers (arch/arm64/kernel/cpufeature.c, emulate_mrs; HWCAP_CPUID):
# op0 3, op1 0, CRn 0, CRm 0 (MIDR, MPIDR, REVIDR) or 2..7. The value is the kernel's
# sanitised view: only the fields it shows user space, others at their safe value
# (Documentation/arch/arm64/cpu-feature-registers.rst); unknown ones read as 0.
_ID_REG_USER = {
    # (CRm, op2): (name, fields shown as (shift, width=4), fixed value)
    (4, 0): ("ID_AA64PFR0_EL1", (16, 20, 48), 0x11),          # FP, AdvSIMD, DIT; EL0/EL1: AArch64 only
    (4, 1): ("ID_AA64PFR1_EL1", (4,), 0),                     # SSBS (BT, MTE, SME: not offered)
    (4, 4): ("ID_AA64ZFR0_EL1", (), 0),                       # SVE: not offered (README)
    (5, 0): ("ID_AA64DFR0_EL1", (), 0x6),                     # DebugVer: ARMv8 debug
    (6, 0): ("ID_AA64ISAR0_EL1", (4, 8, 12, 16, 20, 28, 32, 36, 40, 44, 48, 52, 60), 0),
    (6, 1): ("ID_AA64ISAR1_EL1", (0, 12, 16, 20, 32, 36, 44, 48, 52), 0),
    (6, 2): ("ID_AA64ISAR2_EL1", (0, 4), 0),
    (7, 0): ("ID_AA64MMFR0_EL1", (60,), 0xFF000000),          # ECV; TGran4/64 at their safe 0xf
    (7, 1): ("ID_AA64MMFR1_EL1", (44,), 0),                   # AFP
    (7, 2): ("ID_AA64MMFR2_EL1", (32,), 0),                   # AT
}
# pointer authentication's fields, shown when it is offered: APA, API, GPA, GPI; GPA3, APA3
_PAC_FIELDS = {(6, 1): (4, 8, 24, 28), (6, 2): (8, 12)}
_MPIDR_SAFE = 1 << 31
# Cache maintenance by address EL0 may do (SYS #3, C7, CRm, #1): ic ivau drops code
_CACHE_OPS = {5: "ic ivau", 10: "dc cvac", 11: "dc cvau", 12: "dc cvap", 13: "dc cvadp", 14: "dc civac"}
_WFI = 0xD503207F


def user_id_register(uc, crm, op2):
    """What an MRS of ID register (3, 0, c0, c<crm>, op2) gives a process, or None
    where the kernel sends SIGILL."""
    if crm == 0:
        if op2 == 0:
            return _id_reg(uc, 3, 0, 0, 0, 0)  # MIDR_EL1
        return {5: _MPIDR_SAFE, 6: 0}.get(op2)  # MPIDR_EL1, REVIDR_EL1
    if not 2 <= crm <= 7:
        return None
    known = _ID_REG_USER.get((crm, op2))
    if known is None:
        return 0
    _, fields, fixed = known
    if _offers(uc, "pauth"):
        fields += _PAC_FIELDS.get((crm, op2), ())
    value = _id_reg(uc, 3, 0, 0, crm, op2)
    return fixed | sum(value & (0xF << shift) for shift in fields)


def _xreg(n):
    return GPR_IDS[n] if n < 31 else None  # 31 is XZR for these instructions


def emulate_trapped(uc, insn):
    """An instruction EL0 trapped that the kernel carries out: a finish(thread) for
    the safe point (which moves the PC past it), or False for SIGILL."""
    if len(insn) < 4:
        return False
    word = int.from_bytes(insn[:4], "little")
    rt = word & 31
    if word & 0xFFF00000 == 0xD5300000 and (word >> 19) & 3 == 3:  # MRS, op0 3
        op1, crn, crm, op2 = (word >> 16) & 7, (word >> 12) & 15, (word >> 8) & 15, (word >> 5) & 7
        value = user_id_register(uc, crm, op2) if op1 == 0 and crn == 0 else None
        if value is None:
            return False

        def finish(thread):
            if rt != 31:
                thread.uc.reg_write(GPR_IDS[rt], value)
            thread.uc.reg_write(REG_PC, thread.uc.reg_read(REG_PC) + 4)
        return finish
    if word & 0xFFFFF0E0 == 0xD50B7020 and (word >> 8) & 15 in _CACHE_OPS:  # SYS #3, C7, Cm, #1
        op = _CACHE_OPS[(word >> 8) & 15]

        def finish(thread):
            if op == "ic ivau":
                line = 4 << (_id_reg(thread.uc, 3, 3, 0, 0, 1) & 0xF)  # CTR_EL0.IminLine: words
                start = (thread.uc.reg_read(GPR_IDS[rt]) if rt != 31 else 0) & ~(line - 1)
                thread.space.drop_translations(start, start + line)
            thread.uc.reg_write(REG_PC, thread.uc.reg_read(REG_PC) + 4)
        return finish
    if word == _WFI:  # the kernel skips it (wfi_handler)
        return lambda thread: thread.uc.reg_write(REG_PC, thread.uc.reg_read(REG_PC) + 4)
    return False


def undecodable(insn):
    return "SIGILL"


# ---- signal frames (arch/arm64/kernel/signal.c) --------------------------------
# struct sigcontext: fault_address, x0..x30, sp, pc, pstate, then 4096 reserved
# bytes (16-aligned) holding records: fpsimd_context, then a terminator.
# A frame record (fp, lr) sits just above the frame, and x29 points to it.

SIGNAL_REDZONE = 0
_XREGS = [A.UC_ARM64_REG_X0 + i for i in range(29)] + [A.UC_ARM64_REG_X29, A.UC_ARM64_REG_X30]
_RESERVED_AT = 288
MCONTEXT_SIZE = _RESERVED_AT + 4096
FPSIMD_MAGIC, FPSIMD_SIZE = 0x46508001, 16 + 32 * 16
_NZCV_MASK = 0xF0000000
# used when a handler has no SA_RESTORER (glibc always gives one): mov x8, #139; svc #0
# where glibc's ucontext_t has the mcontext (tests/test_layouts.py checks it)
FRAME_LAYOUT = {("ucontext_t", "uc_mcontext"): frames.generic_mcontext_offset(ABI, Layouts(ABI))}
TRAMPOLINES = {"rt": (0xD2801168).to_bytes(4, "little") + (0xD4000001).to_bytes(4, "little")}


def save_mcontext(uc, fault_address=0):
    regs = [uc.reg_read(r) for r in _XREGS]
    sp, pc = uc.reg_read(A.UC_ARM64_REG_SP), uc.reg_read(A.UC_ARM64_REG_PC)
    pstate = uc.reg_read(A.UC_ARM64_REG_NZCV) & _NZCV_MASK
    head = ABI.pack("Q31QQQQ", fault_address, *regs, sp, pc, pstate)
    head += bytes(_RESERVED_AT - len(head))
    fpsimd = ABI.pack("IIII", FPSIMD_MAGIC, FPSIMD_SIZE, uc.reg_read(A.UC_ARM64_REG_FPSR),
                      uc.reg_read(A.UC_ARM64_REG_FPCR))
    fpsimd += b"".join(uc.reg_read(A.UC_ARM64_REG_Q0 + i).to_bytes(16, "little") for i in range(32))
    data = head + fpsimd + bytes(8)  # the terminator record: magic 0, size 0
    return data + bytes(MCONTEXT_SIZE - len(data))


def restore_mcontext(uc, data):
    values = ABI.unpack("Q31QQQQ", data)
    for reg, value in zip(_XREGS, values[1:32]):
        uc.reg_write(reg, value)
    uc.reg_write(A.UC_ARM64_REG_SP, values[32])
    uc.reg_write(A.UC_ARM64_REG_PC, values[33])
    uc.reg_write(A.UC_ARM64_REG_NZCV, values[34] & _NZCV_MASK)
    magic, size, fpsr, fpcr = ABI.unpack("IIII", data[_RESERVED_AT:])
    if magic == FPSIMD_MAGIC:
        uc.reg_write(A.UC_ARM64_REG_FPSR, fpsr)
        uc.reg_write(A.UC_ARM64_REG_FPCR, fpcr)
        base = _RESERVED_AT + 16
        for i in range(32):
            uc.reg_write(A.UC_ARM64_REG_Q0 + i, int.from_bytes(data[base + 16 * i:base + 16 * i + 16], "little"))


def setup_frame(f):
    """The asm-generic rt_sigframe (arm64 has no other), below a frame record
    (x29, x30) that x29 points to, so a backtrace walks through the handler."""
    uc = f.uc
    frame = f.siginfo() + frames.generic_ucontext(f, save_mcontext(uc, f.info.addr or 0))
    record = (f.top - 16) & ~15
    f.top = record
    at = f.place(len(frame), 16)
    f.write(record, ABI.pack("QQ", uc.reg_read(A.UC_ARM64_REG_X29), uc.reg_read(A.UC_ARM64_REG_X30)))
    f.write(at, frame)
    uc.reg_write(A.UC_ARM64_REG_PC, f.action.handler)
    uc.reg_write(A.UC_ARM64_REG_SP, at)
    uc.reg_write(A.UC_ARM64_REG_X30, f.restorer if f.restorer is not None else f.thread.process.trampolines["rt"])
    uc.reg_write(A.UC_ARM64_REG_X0, f.sig)
    uc.reg_write(A.UC_ARM64_REG_X1, at)
    uc.reg_write(A.UC_ARM64_REG_X2, at + frames.SIGINFO_SIZE)
    uc.reg_write(A.UC_ARM64_REG_X29, record)


def restore_frame(thread, rt):
    mask, mcontext = frames.generic_restore(thread, thread.uc.reg_read(REG_SP), MCONTEXT_SIZE)
    restore_mcontext(thread.uc, mcontext)
    return mask


# /proc/cpuinfo's Features: the kernel's names of the AT_HWCAP and AT_HWCAP2 bits
# (arch/arm64/kernel/cpuinfo.c), in bit order.
_HWCAP_NAMES = ("fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm "
                "jscvt fcma lrcpc dcpop sha3 sm3 sm4 asimddp sha512 sve asimdfhm dit uscat ilrcpc "
                "flagm ssbs sb paca pacg").split()
_HWCAP2_NAMES = ("dcpodp sve2 sveaes svepmull svebitperm svesha3 svesm4 flagm2 frint svei8mm "
                 "svef32mm svef64mm svebf16 i8mm bf16 dgh rng bti mte").split()


def cpuinfo(hwcap, hwcap2, ncpus):
    """/proc/cpuinfo as arm64 Linux words it, for the features the guest is told about."""
    features = [n for i, n in enumerate(_HWCAP_NAMES) if hwcap >> i & 1] + \
               [n for i, n in enumerate(_HWCAP2_NAMES) if hwcap2 >> i & 1]
    block = ("BogoMIPS\t: 100.00\n"
             f"Features\t: {' '.join(features)}\n"
             "CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\n"
             "CPU part\t: 0xd07\nCPU revision\t: 0\n\n")
    return "".join(f"processor\t: {i}\n" + block for i in range(ncpus))


# ---- gdb (usermode/gdb/targetxml.py) -----------------------------------------------
# Registers as gdb's aarch64 features name and number them: x0..x30, sp, pc,
# cpsr (the NZCV flags a user-mode thread sees), then v0..v31, fpsr, fpcr.
GDB_ARCHITECTURE = "aarch64"
_GDB_X = [A.UC_ARM64_REG_X0 + i for i in range(29)] + [A.UC_ARM64_REG_X29, A.UC_ARM64_REG_X30]
GDB_TYPES = """<vector id="v2d" type="ieee_double" count="2"/><vector id="v2u" type="uint64" count="2"/>\
<vector id="v2i" type="int64" count="2"/><vector id="v4f" type="ieee_single" count="4"/>\
<vector id="v4u" type="uint32" count="4"/><vector id="v4i" type="int32" count="4"/>\
<vector id="v16u" type="uint8" count="16"/>\
<union id="vnd"><field name="f" type="v2d"/><field name="u" type="v2u"/><field name="s" type="v2i"/></union>\
<union id="vns"><field name="f" type="v4f"/><field name="u" type="v4u"/><field name="s" type="v4i"/></union>\
<union id="aarch64v"><field name="d" type="vnd"/><field name="s" type="vns"/>\
<field name="b" type="v16u"/><field name="q" type="uint128"/></union>"""
GDB_FEATURES = [
    ("org.gnu.gdb.aarch64.core",
     [(f"x{i}", 64, reg, "int", i) for i, reg in enumerate(_GDB_X)]
     + [("sp", 64, A.UC_ARM64_REG_SP, "data_ptr", 31), ("pc", 64, A.UC_ARM64_REG_PC, "code_ptr", 32),
        ("cpsr", 32, A.UC_ARM64_REG_NZCV, "int", 33)]),
    ("org.gnu.gdb.aarch64.fpu",
     [(f"v{i}", 128, A.UC_ARM64_REG_V0 + i, "aarch64v", 34 + i) for i in range(32)]
     + [("fpsr", 32, A.UC_ARM64_REG_FPSR, "int", 66), ("fpcr", 32, A.UC_ARM64_REG_FPCR, "int", 67)]),
]

# ---- facts for the test programs (tests/conftest.py writes them as C macros) ----
TEST_C = {
    "ARCH_ILLEGAL": '__asm__ volatile(".word 0x00000000")',  # udf #0
    "ARCH_BREAKPOINT": '__asm__ volatile("brk #0")',
    "ARCH_GET_SP(v)": '__asm__ volatile("mov %0, sp" : "=r"(v))',
    "ARCH_SKIP_INSN(uc)": "((uc)->uc_mcontext.pc += 4)",
    "ARCH_SYSCALL3(n, a, b, c)": "({ register long x8 __asm__(\"x8\") = (n); register long x0 __asm__(\"x0\") = (a); "
                                 "register long x1 __asm__(\"x1\") = (b); register long x2 __asm__(\"x2\") = (c); "
                                 "__asm__ volatile(\"svc #0\" : \"+r\"(x0) : \"r\"(x8), \"r\"(x1), \"r\"(x2) : \"memory\"); x0; })",
    # code written at run time: mov w0, #n; ret
    "ARCH_CODE_RETURN(w, n)": "do { (w)[0] = 0x52800000u | ((n) << 5); (w)[1] = 0xd65f03c0u; } while (0)",
    "ARCH_EXCLUSIVE_LOAD(p)": "({ unsigned long v_; __asm__ volatile(\"ldxr %0, [%1]\" : \"=r\"(v_) : \"r\"(p) : \"memory\"); v_; })",
    "ARCH_MISALIGNED_JUMP(p)": '__asm__ volatile("br %0" :: "r"(p))',
    # what EL0 may run (tests/guest/privileged.c): T(name, the kernel's signal or 0, statement)
    "ARCH_PRIVILEGED(T)": " ".join([
        'T("mrs sctlr_el1", SIGILL, __asm__ volatile("mrs %0, sctlr_el1" : "=r"(v)));',
        'T("mrs currentel", SIGILL, __asm__ volatile("mrs %0, currentel" : "=r"(v)));',
        'T("mrs daif", SIGILL, __asm__ volatile("mrs %0, daif" : "=r"(v)));',
        'T("msr daifset", SIGILL, __asm__ volatile("msr daifset, #2"));',
        'T("hvc", SIGILL, __asm__ volatile("hvc #0"));',
        'T("smc", SIGILL, __asm__ volatile("smc #0"));',
        'T("eret", SIGILL, __asm__ volatile("eret"));',
        'T("tlbi vmalle1", SIGILL, __asm__ volatile("tlbi vmalle1"));',
        'T("dc ivac", SIGILL, __asm__ volatile("dc ivac, %0" :: "r"(&v)));',
        'T("mrs id_pfr0_el1", SIGILL, __asm__ volatile("mrs %0, id_pfr0_el1" : "=r"(v)));',
        'T("mrs tpidr_el0", 0, __asm__ volatile("mrs %0, tpidr_el0" : "=r"(v)));',
        'T("mrs ctr_el0", 0, __asm__ volatile("mrs %0, ctr_el0" : "=r"(v)));',
        'T("mrs dczid_el0", 0, __asm__ volatile("mrs %0, dczid_el0" : "=r"(v)));',
        'T("mrs cntvct_el0", 0, __asm__ volatile("mrs %0, cntvct_el0" : "=r"(v)));',
        'T("mrs cntfrq_el0", 0, __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v)));',
        'T("mrs midr_el1", 0, __asm__ volatile("mrs %0, midr_el1" : "=r"(v)));',
        'T("mrs id_aa64isar0_el1", 0, __asm__ volatile("mrs %0, id_aa64isar0_el1" : "=r"(v)));',
        'T("dc cvau", 0, __asm__ volatile("dc cvau, %0" :: "r"(&v)));',
        'T("ic ivau", 0, __asm__ volatile("ic ivau, %0" :: "r"(&v)));',
        'T("wfi", 0, __asm__ volatile("wfi"));',
    ]),
}
