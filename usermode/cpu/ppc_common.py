"""What 32-bit and 64-bit PowerPC (ppc.py, ppc64.py) share: the CR0.SO error
flag, the program-check exceptions, the saved register set of a signal frame,
gdb's register numbering, the test programs' facts.

A helper module of the folder (no NAME): not an architecture.
"""
from .. import raw
from ..errors import GuestError
from ..uclib import constants

P = constants("ppc_const")

R = [P.UC_PPC_REG_0 + i for i in range(32)]
F = [P.UC_PPC_REG_FPR0 + i for i in range(32)]
PC, MSR, CR, CR0, LR, CTR, XER, FPSCR = (P.UC_PPC_REG_PC, P.UC_PPC_REG_MSR, P.UC_PPC_REG_CR, P.UC_PPC_REG_CR0,
                                         P.UC_PPC_REG_LR, P.UC_PPC_REG_CTR, P.UC_PPC_REG_XER, P.UC_PPC_REG_FPSCR)

MSR_FP = 1 << 13
MSR_PR = 1 << 14  # problem state: privileged instructions trap, as in a user process

# ---- system calls -------------------------------------------------------------------
# Measured: `sc` arrives as intno 8 (POWERPC_EXCP_SYSCALL) with the PC past it. The
# kernel reports an error as a positive errno in r3 with CR0's summary-overflow bit
# set, and clears that bit on success (arch/powerpc/kernel/syscall.c); the other bits
# of CR0 stay. UC_PPC_REG_CR0 is the 4-bit field (LT GT EQ SO): SO is its bit 0.
SYSCALL_INTNO = 8
_SO = 1


def cache_auxv(line):
    """The auxv entries the ppc kernels put first (ELF_PLAT_INIT's AT_IGNOREPPC pair and
    the cache geometry), for a core with `line`-byte cache lines."""
    return [("AT_IGNOREPPC", 22), ("AT_IGNOREPPC", 22), ("AT_DCACHEBSIZE", line),
            ("AT_ICACHEBSIZE", line), ("AT_UCACHEBSIZE", 0)]


def set_summary_overflow(uc, failed):
    """The Convention's error hook: CR0.SO = failed."""
    handle = uc._uch.value
    cr0 = raw.reg_read(handle, CR0)
    new = cr0 | _SO if failed else cr0 & ~_SO
    if new != cr0:
        raw.reg_write(handle, CR0, new)


def prepare(uc):
    """User mode (privileged instructions trap) with the FPU on: the kernel enables it
    on first use, Unicorn's CPU starts with it off (every FP instruction: intno 7)."""
    uc.reg_write(MSR, uc.reg_read(MSR) | MSR_FP | MSR_PR)


# ---- exceptions other than sc -------------------------------------------------------
# Measured (Unicorn 2.1.4, 32- and 64-bit cores): the hook sees the PC 4 bytes past the
# instruction that raised it. An undefined opcode arrives as intno 96, a program check
# (trap instruction, privileged instruction in problem state) as 6, FP unavailable as 7,
# alignment as 5. Which program check it was is in env->error_code, which Unicorn does
# not expose: the instruction tells (tw/twi/td/tdi are traps, the rest privileged).
FAULT_PC_ADJUST = 4
EXCP_ALIGN, EXCP_PROGRAM, EXCP_FPU, EXCP_INVALID = 5, 6, 7, 96
EXCEPTIONS = {EXCP_INVALID: ("SIGILL", "illegal instruction"), EXCP_PROGRAM: ("SIGILL", "privileged instruction"),
              EXCP_FPU: ("SIGILL", "floating point unavailable"), EXCP_ALIGN: ("SIGBUS", "unaligned access")}


MFPVR = 31 << 26 | 0x3E8 << 11 | 339 << 1  # mfspr rD, 287 (SPR numbers are encoded halves swapped)


def is_trap(insn):
    """tw, twi, td, tdi: the trap instructions (a breakpoint is `trap` = tw 31,0,0)."""
    primary = insn >> 26
    return primary in (2, 3) or (primary == 31 and (insn >> 1) & 0x3FF in (4, 68))


def exception_fault(thread, intno):
    """The signal the kernel sends for a CPU exception, at the instruction's address."""
    from ..threads.thread import GuestFault
    pc = (thread.uc.reg_read(PC) - FAULT_PC_ADJUST) & thread.abi.word_mask
    signal, what = EXCEPTIONS.get(intno, ("SIGILL", f"cpu exception {intno}"))
    code = "ILL_ILLOPC"
    if intno == EXCP_PROGRAM:
        try:
            insn = thread.abi.unpack("I", thread.space.read(pc, 4))[0]
        except GuestError:
            insn = 0
        if is_trap(insn):
            signal, what, code = "SIGTRAP", "breakpoint", "TRAP_BRKPT"
        elif insn & 0xFC1FFFFE == MFPVR:
            # the kernel emulates mfspr rD, PVR for user code (traps.c emulate_instruction);
            # the PC is already past it
            thread.uc.reg_write(R[(insn >> 21) & 31], thread.arch.pvr(thread.uc))
            return None
        else:
            code = "ILL_PRVOPC"
    elif intno == EXCP_ALIGN:
        code = "BUS_ADRALN"
        return GuestFault(signal, pc, _effective_address(thread, pc), what, code)
    return GuestFault(signal, pc, pc, what, code)


def _effective_address(thread, pc):
    """The address an alignment interrupt was for (the kernel reports the DAR, which
    Unicorn does not expose): decoded from the load or store, X-form (primary opcode 31:
    rA|0 + rB, as lwarx/ldarx) or D/DS-form (rA|0 + displacement); else the PC."""
    try:
        insn = thread.abi.unpack("I", thread.space.read(pc, 4))[0]
    except GuestError:
        return pc
    primary, ra = insn >> 26, (insn >> 16) & 31
    base = thread.uc.reg_read(R[ra]) if ra else 0
    if primary == 31:
        offset = thread.uc.reg_read(R[(insn >> 11) & 31])
    elif 32 <= primary <= 63:
        offset = (insn & 0xFFFF) - ((insn & 0x8000) << 1)
        if primary in (58, 62):  # DS-form: the low two bits select the instruction
            offset &= ~3
    else:
        return pc
    return (base + offset) & thread.abi.word_mask


def undecodable(insn):
    return "SIGILL"


def emulate_trapped(uc, insn):
    return False


# ---- the registers a signal frame saves (struct pt_regs, asm/ptrace.h) -------------
# mc_gregs / gp_regs: r0..r31, then these, at PT_NIP (32) and on; 48 words in all.
PT_NIP, PT_MSR, PT_ORIG_R3, PT_CTR, PT_LNK, PT_XER, PT_CCR, PT_TRAP = 32, 33, 34, 35, 36, 37, 38, 40
NGREG = 48
NFPREG = 33  # f0..f31 and the FPSCR (in a 64-bit slot)


def save_gregs(uc, pc=None):
    """The 48 words of elf_gregset_t for the current registers."""
    regs = [uc.reg_read(r) for r in R] + [0] * (NGREG - 32)
    regs[PT_NIP] = uc.reg_read(PC) if pc is None else pc
    regs[PT_MSR] = uc.reg_read(MSR)
    regs[PT_ORIG_R3] = regs[3]
    regs[PT_CTR] = uc.reg_read(CTR)
    regs[PT_LNK] = uc.reg_read(LR)
    regs[PT_XER] = uc.reg_read(XER)
    regs[PT_CCR] = uc.reg_read(CR)
    regs[PT_TRAP] = 0xC00  # the system call vector: a signal seen from a syscall or an interrupt
    return regs


def restore_gregs(uc, regs, word_mask):
    """Registers back from elf_gregset_t: the GPRs, NIP, CTR, LR, XER, CR (a user
    cannot change its MSR through sigreturn, except for the byte order)."""
    for reg, value in zip(R, regs[:32]):
        uc.reg_write(reg, value & word_mask)
    uc.reg_write(CTR, regs[PT_CTR] & word_mask)
    uc.reg_write(LR, regs[PT_LNK] & word_mask)
    uc.reg_write(XER, regs[PT_XER] & 0xFFFFFFFF)
    uc.reg_write(CR, regs[PT_CCR] & 0xFFFFFFFF)
    uc.reg_write(PC, regs[PT_NIP] & word_mask)


def save_fpregs(uc):
    return [uc.reg_read(f) for f in F] + [uc.reg_read(FPSCR)]


def restore_fpregs(uc, values):
    for reg, value in zip(F, values[:32]):
        uc.reg_write(reg, value)
    uc.reg_write(FPSCR, values[32] & 0xFFFFFFFF)


# ---- gdb: rs6000-tdep's numbering (r0-r31 0..31, f0-f31 32..63, pc 64, msr 65, cr 66,
# lr 67, ctr 68, xer 69, fpscr 70) and its features' names
def gdb_features(bits):
    return [
        ("org.gnu.gdb.power.core",
         [(f"r{i}", bits, R[i], "uint" + str(bits), i) for i in range(32)]
         + [("pc", bits, PC, "code_ptr", 64), ("msr", bits, MSR, "uint" + str(bits), 65),
            ("cr", 32, CR, "uint32", 66), ("lr", bits, LR, "code_ptr", 67),
            ("ctr", bits, CTR, "uint" + str(bits), 68), ("xer", 32, XER, "uint32", 69)]),
        ("org.gnu.gdb.power.fpu",
         [(f"f{i}", 64, F[i], "ieee_double", 32 + i) for i in range(32)]
         + [("fpscr", 32, FPSCR, "int", 70)]),
    ]


# ---- facts for the test programs (tests/conftest.py writes them as C macros) ----------
TEST_C = {
    "ARCH_ILLEGAL": '__asm__ volatile(".long 0")',
    "ARCH_BREAKPOINT": '__asm__ volatile("trap")',
    "ARCH_GET_SP(v)": '__asm__ volatile("mr %0, 1" : "=r"(v))',
    # a symbol's run-time address without the GOT (unrelocated in a freestanding PIE)
    "ARCH_ADDRESS_OF(sym)": '({ void *p_; __asm__("bcl 20,31,1f\\n1: mflr %0\\n\\taddis %0,%0,(" #sym "-1b)@ha\\n'
                            '\\taddi %0,%0,(" #sym "-1b)@l" : "=b"(p_) : : "lr"); p_; })',
    # the raw call: r3 holds a positive errno when CR0.SO says it failed
    "ARCH_SYSCALL3(n, a, b, c)": "({ register long r0 __asm__(\"r0\") = (n); register long r3 __asm__(\"r3\") = (a); "
                                 "register long r4 __asm__(\"r4\") = (b); register long r5 __asm__(\"r5\") = (c); "
                                 "long so_; __asm__ volatile(\"sc\\n\\tmfcr %1\" : \"+r\"(r3), \"=r\"(so_), \"+r\"(r0), "
                                 "\"+r\"(r4), \"+r\"(r5) : : \"memory\", \"cr0\", \"r6\", \"r7\", \"r8\", \"r9\", \"r10\", "
                                 "\"r11\", \"r12\", \"ctr\"); (so_ & 0x10000000) ? -r3 : r3; })",
    # code written at run time: li r3, n; blr
    "ARCH_CODE_RETURN(w, n)": "do { (w)[0] = 0x38600000u | (n); (w)[1] = 0x4e800020u; } while (0)",
    # no ARCH_MISALIGNED_JUMP: a branch ignores its target's two low bits
    # what problem state may run (tests/guest/privileged.c): the supervisor's registers
    # trap; the time base, and the PVR (which the kernel emulates), read
    "ARCH_PRIVILEGED(T)": " ".join([
        'T("mfmsr", SIGILL, __asm__ volatile("mfmsr %0" : "=r"(v)));',
        'T("mtmsr", SIGILL, __asm__ volatile("mtmsr %0" :: "r"(v)));',
        'T("mfsprg0", SIGILL, __asm__ volatile("mfsprg %0, 0" : "=r"(v)));',
        'T("mfsrr0", SIGILL, __asm__ volatile("mfsrr0 %0" : "=r"(v)));',
        'T("tlbsync", SIGILL, __asm__ volatile("tlbsync"));',
        'T("mfpvr", 0, __asm__ volatile("mfpvr %0" : "=r"(v)));',
        'T("mftb", 0, __asm__ volatile("mftb %0" : "=r"(v)));',
    ]),
}
