"""32-bit Arm, EABI (armhf and armel: one kernel ABI, hard- or soft-float userlands)."""
from ..abi import Abi
from ..errors import GuestError
from ..signals import frames
from ..syscalls.argtypes import Ptr
from ..syscalls.convention import Convention
from ..syscalls.registry import KEEP_REGISTERS, arch_syscall
from ..uclib import constants

A = constants("arm_const")
_UC = constants("unicorn_const")

NAME = "arm"
TRIPLE = "arm-linux-gnueabihf"
DEBIAN_ARCH = "armhf"
DEBIAN_ROOTFS = True
ALIASES = ("armhf", "armv7l")
DEBIAN_VARIANTS = {"armel": "arm-linux-gnueabi"}  # soft-float ARMv5: the kuser helpers' users
GO_ENV = {"GOARCH": "arm", "GOARM": "7"}
ABI = Abi("arm", 32, "little",
          layouts={"stat": "legacy32", "stat64": "legacy", "statfs64": "eabi"},
          quirks=("time32", "uid16", "statfs64_88"))
ELF_MACHINE = 40  # EM_ARM
ELF_CLASS = 32
UNAME_MACHINE = "armv7l"
INTERPRETERS = ("/lib/ld-linux-armhf.so.3", "/lib/ld-linux.so.3")
# User space ends where the kernel's vectors page begins; the reservation covers that
# page too, for the kuser helpers (start_mappings).
TASK_SIZE = 0xFFFF0000
ADDRESS_SPACE_SIZE = 1 << 32
# Unicorn's virtual TLB (our fill hook, page rights from the mappings) when the IT
# state can be mended after each fill (tlb_mode, tlb_filled below); else the CPU's own
# TLB with the MMU off, where every page is executable to QEMU and no store ever takes
# the fast path again (cputlb.c, notdirty_write: sha512 ran 12 times qemu-arm's time).

UC_ARCH, UC_MODE = _UC.UC_ARCH_ARM, _UC.UC_MODE_ARM
# Unicorn's Thumb translator sets uc->no_exit_request itself at every instruction (to 1
# inside an IT block, else to 0: qemu/target/arm/translate.c, thumb_tr_translate_insn),
# so after the first Thumb instruction every load and store is followed by the exit
# check again, and a uc_emu_stop from another thread can land just after a store, which
# then runs twice (raw.py). Stops from outside go through the stop switch.
ASYNC_STOPS = "block-hook"
# "max" is what qemu-arm runs by default: a Cortex-A15 with the ARMv8 AArch32 additions
# (CRC32, AES, SHA); the others are real cores for programs that must not see those.
CPU_MODELS = {
    "max": A.UC_CPU_ARM_MAX,
    "cortex-a15": A.UC_CPU_ARM_CORTEX_A15,
    "cortex-a9": A.UC_CPU_ARM_CORTEX_A9,
    "cortex-a8": A.UC_CPU_ARM_CORTEX_A8,
    "cortex-a7": A.UC_CPU_ARM_CORTEX_A7,
    "arm1176": A.UC_CPU_ARM_1176,
}
DEFAULT_CPU = "max"
CS_ARCH, CS_MODE = 0, 0  # capstone: CS_ARCH_ARM, ARM mode (Thumb: cs_mode())

REG_PC, REG_SP, REG_TLS = A.UC_ARM_REG_PC, A.UC_ARM_REG_SP, A.UC_ARM_REG_C13_C0_3
# env->regs[16] holds r0..r15; the PC (r15) is left out: a write through Unicorn
# changes more than the slot (the Thumb bit), and no syscall needs it.
GPR_IDS = tuple(A.UC_ARM_REG_R0 + i for i in range(13)) + (A.UC_ARM_REG_SP, A.UC_ARM_REG_LR)
GPR_SLOT_BYTES = 4
_CPSR_T = 1 << 5
_CPSR_MODE, _CPSR_USR = 0x1F, 0x10
_CPSR_AIF = 0x1C0  # the asynchronous abort, IRQ and FIQ masks


def _svc_size(uc):
    """svc is 4 bytes in ARM code, 2 in Thumb: a restarted call goes back that far."""
    return 2 if uc.reg_read(A.UC_ARM_REG_CPSR) & _CPSR_T else 4


# Measured: svc arrives as intno 2 (EXCP_SWI) with the PC past it, in ARM and Thumb code.
CONVENTION = Convention(
    number=A.UC_ARM_REG_R7, result=A.UC_ARM_REG_R0, intno=2, insn_size=_svc_size, pairs="aligned",
    args=(A.UC_ARM_REG_R0, A.UC_ARM_REG_R1, A.UC_ARM_REG_R2, A.UC_ARM_REG_R3, A.UC_ARM_REG_R4,
          A.UC_ARM_REG_R5, A.UC_ARM_REG_R6))
# EXCP_UDEF (an undefined instruction, udf), EXCP_BKPT (bkpt)
# EXCP_DATA_ABORT: the only data abort Unicorn raises as an exception is an alignment
# fault (a misaligned ldrex/strex; its memory faults come as errors)
EXCEPTIONS = {1: ("SIGILL", "illegal instruction"), 7: ("SIGTRAP", "breakpoint"),
              4: ("SIGBUS", "misaligned exclusive access", "BUS_ADRALN")}
FAULT_PC_ADJUST = 0
PLATFORM = "v7l"
MINSIGSTKSZ = None  # the arm kernel sets no AT_MINSIGSTKSZ
STACK_ALIGN = 8  # AAPCS
SHMLBA = 4 * 4096  # arch/arm: 4 pages, for VIPT caches (qemu-arm forces the same)


def platform(uc):
    """"v8l" for a model with the ARMv8 AArch32 additions (max: CRC32 in ID_ISAR5), as
    qemu-arm and an arm64 kernel say; "v7l" for the ARMv7 cores."""
    return "v8l" if (_id_reg(uc, 2, 5) >> 16) & 0xF else "v7l"


def resume_address(uc):
    """emu_start's address: the PC with bit 0 set in Thumb state (Unicorn's ARM
    emu_start takes the instruction set from bit 0, as a BX would)."""
    return uc.reg_read(A.UC_ARM_REG_PC) | (1 if uc.reg_read(A.UC_ARM_REG_CPSR) & _CPSR_T else 0)


def set_resume_address(uc, pc):
    """Move the PC, staying in the current instruction set."""
    uc.reg_write(A.UC_ARM_REG_PC, (pc & ~1) | (1 if uc.reg_read(A.UC_ARM_REG_CPSR) & _CPSR_T else 0))


def cs_mode(uc):
    return 16 if uc.reg_read(A.UC_ARM_REG_CPSR) & _CPSR_T else 0  # CS_MODE_THUMB


def prepare(uc):
    # 4 KiB pages as the kernel's (Unicorn's ARM default is 1 KiB), before first use
    uc.ctl_set_page_size(4096)
    # VFP and NEON are off at reset: FPEXC.EN switches them on (CPACR needs no change:
    # measured, ARCHES.md)
    uc.reg_write(A.UC_ARM_REG_FPEXC, 0x40000000)
    # (found in Supervisor mode, before the switch below)
    uc.arm_condexec = _locate_condexec(uc)
    # A process runs in User mode, as under Linux: cp15 system registers, FPEXC and
    # mode changes are privileged there (SIGILL, or ignored as the architecture says).
    # Unicorn starts in Supervisor mode, where they all work. Before anything runs:
    # the switch banks SP and LR. The A, I and F masks are clear for a process, as the
    # kernel leaves them (a signal frame's CPSR and gdb show them; reset set all three).
    uc.reg_write(A.UC_ARM_REG_CPSR, (uc.reg_read(A.UC_ARM_REG_CPSR) & ~(_CPSR_MODE | _CPSR_AIF)) | _CPSR_USR)


# ---- what Unicorn keeps of the CPU beyond its API -------------------------------------
# env->condexec_bits is Thumb's IT state. QEMU keeps it in the translated block while
# the block runs and stores it at the block's end only when an IT block is still open
# (translate.c, gen_set_condexec): "we don't need to care about whether CPUARMState is
# correct in the middle of a TB". Unicorn's virtual TLB calls cpu_restore_state before
# every fill, which writes the IT state of the load or store into env; when the fill
# succeeds and the IT block ends inside the same block, nothing clears it, and the next
# block is translated as if inside an IT block: instructions skipped or run by a stale
# condition. Measured: Debian's perl and python3 died at their first steps with a wild
# load, dynamic programs misread their auxv. The fill hook clears it (tlb_filled): the
# running block writes the right value at its end if an IT block is still open.
_CPSR_IT0, _CPSR_IT2 = 1 << 25, 1 << 10  # condexec_bits bit 0 and bit 2 (cpsr_write)


def _locate_condexec(uc):
    """The condexec_bits word as a one-word view, found next to the register array by
    flipping IT bits through CPSR writes; None where this Unicorn differs."""
    from .. import regfile
    view = regfile.locate(uc._uch.value, GPR_IDS, GPR_SLOT_BYTES)
    if view is None:
        return None
    cpsr = uc.reg_read(A.UC_ARM_REG_CPSR)

    def toggle(bit):
        return (lambda: uc.reg_write(A.UC_ARM_REG_CPSR, cpsr ^ bit),
                lambda: uc.reg_write(A.UC_ARM_REG_CPSR, cpsr))
    return regfile.locate_flag_word(regfile.array_address(view), 4 << 10,
                                    [(*toggle(_CPSR_IT0), 1), (*toggle(_CPSR_IT2), 4)])


def tlb_mode(uc):
    return "virtual" if uc.arm_condexec is not None else "cpu"


def tlb_filled(uc):
    uc.arm_condexec[0] = 0


def check_elf(elf):
    """Only EABI version 5 programs: the old ABI (OABI) has other syscalls and layouts."""
    version = elf.flags >> 24
    if version != 5:
        return (f"an ARM {'OABI' if version == 0 else f'EABI version {version}'} program; "
                "pyqemu-arm runs EABI version 5 programs (every Debian arm port since 2007)")
    return None


# ---- AT_HWCAP, /proc/cpuinfo --------------------------------------------------------
# The kernel's HWCAP bits (arch/arm/include/uapi/asm/hwcap.h) and how it derives them
# from the CPU (arch/arm/kernel/setup.c, vfp/vfpmodule.c). Unicorn does not expose
# MVFR0/1 (the VFP feature registers), so the VFP/NEON part is the model's, as QEMU
# defines the model; divide, LPAE and the crypto extensions come from ID registers.
_HWCAP = {name: 1 << i for i, name in enumerate(
    "swp half thumb 26bit fastmult fpa vfp edsp java iwmmxt crunch thumbee neon vfpv3 vfpv3d16 "
    "tls vfpv4 idiva idivt vfpd32 lpae evtstrm".split())}
_HWCAP2 = {name: 1 << i for i, name in enumerate("aes pmull sha1 sha2 crc32".split())}
_VFP = {
    A.UC_CPU_ARM_MAX: "vfp vfpv3 vfpv4 neon vfpd32",
    A.UC_CPU_ARM_CORTEX_A15: "vfp vfpv3 vfpv4 neon vfpd32",
    A.UC_CPU_ARM_CORTEX_A9: "vfp vfpv3 neon vfpd32",
    A.UC_CPU_ARM_CORTEX_A8: "vfp vfpv3 neon vfpd32",
    A.UC_CPU_ARM_CORTEX_A7: "vfp vfpv3 vfpv4 neon vfpd32",
    A.UC_CPU_ARM_1176: "vfp",
}


def _id_reg(uc, crm, opc2):
    """An ID register of cp15 c0 (mrc p15, 0, rX, c0, crm, opc2)."""
    return uc.reg_read(A.UC_ARM_REG_CP_REG, (15, 0, 0, 0, crm, 0, opc2))


def hwcaps(uc):
    caps = {"half", "thumb", "fastmult", "edsp", "tls"}  # an ARMv7 core (no SWP, as an arm64 kernel says)
    caps.update(_VFP.get(uc.ctl_get_cpu_model(), "vfp").split())
    isar0, isar5, mmfr0 = _id_reg(uc, 2, 0), _id_reg(uc, 2, 5), _id_reg(uc, 1, 4)
    divide = (isar0 >> 24) & 0xF
    if divide >= 1:
        caps.add("idivt")
    if divide >= 2:
        caps.add("idiva")
    if (mmfr0 & 0xF) >= 5:
        caps.add("lpae")
    caps2 = set()
    aes, sha1, sha2, crc32 = (isar5 >> 4) & 0xF, (isar5 >> 8) & 0xF, (isar5 >> 12) & 0xF, (isar5 >> 16) & 0xF
    if aes >= 1:
        caps2.add("aes")
    if aes >= 2:
        caps2.add("pmull")
    if sha1:
        caps2.add("sha1")
    if sha2:
        caps2.add("sha2")
    if crc32:
        caps2.add("crc32")
    return sum(_HWCAP[c] for c in caps), sum(_HWCAP2[c] for c in caps2)


def cpuinfo(hwcap, hwcap2, ncpus):
    """/proc/cpuinfo as an armv7 kernel words it, for the features the guest is told about."""
    names = [n for n, bit in _HWCAP.items() if hwcap & bit] + [n for n, bit in _HWCAP2.items() if hwcap2 & bit]
    block = ("model name\t: ARMv7 Processor rev 1 (v7l)\nBogoMIPS\t: 100.00\n"
             f"Features\t: {' '.join(names)}\n"
             "CPU implementer\t: 0x41\nCPU architecture: 7\nCPU variant\t: 0x2\n"
             "CPU part\t: 0xc0f\nCPU revision\t: 1\n\n")
    return "".join(f"processor\t: {i}\n" + block for i in range(ncpus)) + \
        "Hardware\t: pyqemu\nRevision\t: 0000\nSerial\t\t: 0000000000000000\n"


def emulate_trapped(uc, insn):
    return False


# Measured: Unicorn ends emulation with UC_ERR_INSN_INVALID after yield and wfe (QEMU's
# EXCP_YIELD, which a user-mode CPU only uses to let another vCPU run), the PC already
# past them. For a user program they are hints: nothing more to do.
_HINTS_ARM = (0xE320F001, 0xE320F002)  # yield, wfe (cond AL)
_HINTS_THUMB = (0xBF10, 0xBF20)
_HINTS_THUMB2 = (0xF3AF8001, 0xF3AF8002)


def passed_hint(uc, read):
    pc = uc.reg_read(A.UC_ARM_REG_PC)
    try:
        if uc.reg_read(A.UC_ARM_REG_CPSR) & _CPSR_T:
            if ABI.unpack("H", read(pc - 2, 2))[0] in _HINTS_THUMB:
                return True
            high, low = ABI.unpack("HH", read(pc - 4, 4))
            return (high << 16 | low) in _HINTS_THUMB2
        return ABI.unpack("I", read(pc - 4, 4))[0] & 0x0FFFFFFF in (h & 0x0FFFFFFF for h in _HINTS_ARM)
    except GuestError:
        return False


def undecodable(insn):
    return "SIGILL"


def data_address(uc, insn):
    """A load/store exclusive's address: Rn, bits 19..16 in ARM code; in Thumb-2 the
    first halfword's low 4 bits, plus imm8 * 4 for LDREX/STREX (E84x/E85x)."""
    if len(insn) < 4:
        return None
    if uc.reg_read(A.UC_ARM_REG_CPSR) & _CPSR_T:
        first, second = ABI.unpack("HH", insn[:4])
        offset = (second & 0xFF) * 4 if first & 0xFFE0 == 0xE840 else 0
        return (_reg(uc, first & 0xF) + offset) & 0xFFFFFFFF
    return _reg(uc, (ABI.unpack("I", insn[:4])[0] >> 16) & 0xF)


def _reg(uc, n):
    return uc.reg_read(A.UC_ARM_REG_R0 + n) if n < 13 else uc.reg_read((A.UC_ARM_REG_SP, A.UC_ARM_REG_LR,
                                                                         A.UC_ARM_REG_PC)[n - 13])


def pc_misaligned(uc, pc):
    """ARM code is word-aligned, Thumb code halfword-aligned."""
    return bool(pc & (1 if uc.reg_read(A.UC_ARM_REG_CPSR) & _CPSR_T else 3))


# ---- the kuser helpers (arch/arm/kernel/entry-armv.S) ------------------------------
# The kernel maps a page at 0xffff0000 whose last 160 bytes are small functions that
# old or soft-float programs (Debian armel's glibc among them) call instead of
# ldrex/strex or the TLS register: cmpxchg64 at 0xffff0f60, memory_barrier at
# 0xffff0fa0, cmpxchg at 0xffff0fc0, get_tls at 0xffff0fe0, and the number of helpers
# at 0xffff0ffc. ARMv7 versions, assembled from the kernel's sources' logic.
KUSER_PAGE = 0xFFFF0000
_KUSER_CODE = {
    0xF60: (0xE92D00F0, 0xE1C040D0, 0xE1C160D0, 0xF57FF05B,  # push {r4-r7}; ldrd old; ldrd new; dmb
            0xE1B20F9F, 0xE0303004, 0x00313005, 0x01A23F96,  # 1: ldrexd; eors; eorseq; strexdeq
            0x03330001, 0x0AFFFFF9, 0xF57FF05B, 0xE2730000,  # teqeq r3, #1; beq 1b; dmb; rsbs r0, r3, #0
            0xE8BD00F0, 0xE12FFF1E),                         # pop {r4-r7}; bx lr
    0xFA0: (0xF57FF05B, 0xE12FFF1E),                         # dmb ish; bx lr
    0xFC0: (0xF57FF05B, 0xE1923F9F, 0xE0533000, 0x01823F91,  # dmb; 1: ldrex r3; subs; strexeq
            0x03330001, 0x0AFFFFFA, 0xE2730000, 0xEAFFFFEF), # teqeq; beq 1b; rsbs r0, r3, #0;
                                                             # b __kuser_memory_barrier (8 words a slot)
    0xFE0: (0xEE1D0F70, 0xE12FFF1E),                         # mrc p15, 0, r0, c13, c0, 3; bx lr
    0xFFC: (5,),                                             # __kuser_helper_version
}


def start_mappings(space):
    from ..memory.space import PROT_EXEC, PROT_READ, PROT_WRITE
    space.map(KUSER_PAGE, 4096, PROT_READ | PROT_WRITE, name="[vectors]")
    ends = sorted(_KUSER_CODE)[1:] + [0x1000]
    for (offset, words), end in zip(sorted(_KUSER_CODE.items()), ends):
        assert offset + 4 * len(words) <= end, f"kuser helper at {offset:#x} overruns its slot"
        space.write(KUSER_PAGE + offset, ABI.pack(f"{len(words)}I", *words))
    space.protect(KUSER_PAGE, 4096, PROT_READ | PROT_EXEC)


# ---- private syscalls (__ARM_NR_*, arch/arm/kernel/traps.c arm_syscall) -------------

SYSCALLS = {}


@arch_syscall(SYSCALLS, name="ARM_set_tls")
def set_tls(t, value: Ptr):
    t.uc.reg_write(A.UC_ARM_REG_C13_C0_3, value)


@arch_syscall(SYSCALLS, name="ARM_get_tls")
def get_tls(t):
    return t.uc.reg_read(A.UC_ARM_REG_C13_C0_3)


@arch_syscall(SYSCALLS, name="ARM_cacheflush")
def cacheflush(t, start: Ptr, end: Ptr, flags: Ptr):
    """Code was written there: drop what Unicorn translated of it (the kernel makes
    the caches coherent; for us the translated blocks are the stale copy)."""
    import errno
    if end < start or flags:  # as the kernel's do_cache_op
        raise GuestError(errno.EINVAL)
    t.space.drop_translations(start, end)


@arch_syscall(SYSCALLS, name="ARM_breakpoint")
def breakpoint(t):
    """The kernel sends SIGTRAP (TRAP_BRKPT) to the caller, at the svc."""
    from ..signals.delivery import SigInfo
    sig = t.process.signals.number("SIGTRAP")
    code = t.abi.tables.SIGNAL_FLAGS["TRAP_BRKPT"]
    pc = t.uc.reg_read(REG_PC)
    t.process.signals.post(sig, SigInfo(sig, code, addr=pc), thread=t)
    return KEEP_REGISTERS


def set_thread_pointer(uc, thread, value):
    uc.reg_write(A.UC_ARM_REG_C13_C0_3, value)


# ---- signal frames (arch/arm/kernel/signal.c) ----------------------------------------
# sigframe { ucontext uc; unsigned long retcode[4]; }, rt_sigframe { siginfo; sigframe };
# ucontext { uc_flags, uc_link, stack_t uc_stack, sigcontext uc_mcontext, sigset_t
# uc_sigmask, int __unused[30], unsigned long uc_regspace[128] (8-aligned) } with
# sigcontext { trap_no, error_code, oldmask, r0..r10, fp, ip, sp, lr, pc, cpsr,
# fault_address } and the VFP registers in uc_regspace as a vfp_sigframe record.

SIGNAL_REDZONE = 0
_MCONTEXT_AT = 20
_SIGMASK_AT = 104
_REGSPACE_AT = 232
UCONTEXT_SIZE = _REGSPACE_AT + 128 * 4
SIGFRAME_SIZE = UCONTEXT_SIZE + 16
VFP_MAGIC, VFP_SIZE = 0x56465001, 288
_CORE = [A.UC_ARM_REG_R0 + i for i in range(13)] + [A.UC_ARM_REG_SP, A.UC_ARM_REG_LR]
_CPSR_USER_BITS = 0xF80F0200  # NZCVQ, GE, E: what a user may change
# what glibc's ucontext_t says of the same places (tests/test_layouts.py checks them)
FRAME_LAYOUT = {("ucontext_t", "uc_mcontext"): _MCONTEXT_AT, ("ucontext_t", "uc_sigmask"): _SIGMASK_AT,
                ("ucontext_t", "uc_regspace"): _REGSPACE_AT, ("ucontext_t", None): UCONTEXT_SIZE,
                ("mcontext_t", None): 21 * 4}
TRAMPOLINES = {  # the kernel's sigreturn_codes: mov r7, #nr; svc 0 (ARM), movs r7, #nr; svc 0 (Thumb)
    "sigreturn": ABI.pack("II", 0xE3A07077, 0xEF000000),
    "rt_sigreturn": ABI.pack("II", 0xE3A070AD, 0xEF000000),
    "sigreturn_thumb": ABI.pack("HH", 0x2777, 0xDF00),
    "rt_sigreturn_thumb": ABI.pack("HH", 0x27AD, 0xDF00),
}


def _sigcontext(uc, mask, fault_address):
    regs = [uc.reg_read(r) for r in _CORE]
    return ABI.pack("21I", 0, 0, mask & 0xFFFFFFFF, *regs, uc.reg_read(A.UC_ARM_REG_PC),
                    uc.reg_read(A.UC_ARM_REG_CPSR), fault_address & 0xFFFFFFFF)


def _vfp_record(uc):
    dregs = [uc.reg_read(A.UC_ARM_REG_D0 + i) for i in range(32)]
    record = ABI.pack("II32QI", VFP_MAGIC, VFP_SIZE, *dregs, uc.reg_read(A.UC_ARM_REG_FPSCR))
    record += bytes(4)  # struct user_vfp is 8-aligned
    record += ABI.pack("III", uc.reg_read(A.UC_ARM_REG_FPEXC), 0, 0)
    return record.ljust(VFP_SIZE, b"\0")


def _ucontext(f):
    uc = f.uc
    data = ABI.pack("II", 0, 0) + f.stack_t()
    data += _sigcontext(uc, f.mask, f.info.addr or 0)
    data += f.sigset().ljust(_REGSPACE_AT - _SIGMASK_AT, b"\0")
    data += _vfp_record(uc) + bytes(8)  # then a terminating record (magic 0)
    return data.ljust(UCONTEXT_SIZE, b"\0")


def setup_frame(f):
    uc = f.uc
    handler_thumb = f.action.handler & 1
    sigframe = _ucontext(f) + bytes(16)  # retcode: our trampolines are in the [vdso] page
    frame = (f.siginfo() + sigframe) if f.rt else sigframe
    at = f.place(len(frame), 8)
    f.write(at, frame)
    if f.restorer is not None:
        restorer = f.restorer
    else:
        name = ("rt_sigreturn" if f.rt else "sigreturn") + ("_thumb" if handler_thumb else "")
        restorer = f.thread.process.trampolines[name] | handler_thumb
    uc.reg_write(A.UC_ARM_REG_R0, f.sig)
    if f.rt:
        uc.reg_write(A.UC_ARM_REG_R1, at)
        uc.reg_write(A.UC_ARM_REG_R2, at + frames.SIGINFO_SIZE)
    uc.reg_write(A.UC_ARM_REG_SP, at)
    uc.reg_write(A.UC_ARM_REG_LR, restorer)
    uc.reg_write(A.UC_ARM_REG_PC, f.action.handler)  # bit 0 selects Thumb, as the kernel's setup_return


def restore_frame(thread, rt):
    uc = thread.uc
    at = uc.reg_read(A.UC_ARM_REG_SP)
    if rt:
        at += frames.SIGINFO_SIZE
    data = frames.read_frame(thread, at, UCONTEXT_SIZE)
    values = ABI.unpack("21I", data[_MCONTEXT_AT:])
    for reg, value in zip(_CORE, values[3:18]):
        uc.reg_write(reg, value)
    cpsr = uc.reg_read(A.UC_ARM_REG_CPSR)
    new_cpsr = (cpsr & ~(_CPSR_USER_BITS | _CPSR_T)) | (values[19] & (_CPSR_USER_BITS | _CPSR_T))
    uc.reg_write(A.UC_ARM_REG_CPSR, new_cpsr)
    uc.reg_write(A.UC_ARM_REG_PC, values[18] | (1 if values[19] & _CPSR_T else 0))
    magic, size = ABI.unpack("II", data[_REGSPACE_AT:])
    if magic == VFP_MAGIC:
        vfp = ABI.unpack("32QI", data[_REGSPACE_AT + 8:])
        for i in range(32):
            uc.reg_write(A.UC_ARM_REG_D0 + i, vfp[i])
        uc.reg_write(A.UC_ARM_REG_FPSCR, vfp[32])
    return frames.unpack_sigset(ABI, data[_SIGMASK_AT:_SIGMASK_AT + ABI.sigset_bytes])


# ---- gdb (usermode/gdb/targetxml.py) -----------------------------------------------
# gdb's arm features: r0..r12, sp, lr, pc, cpsr (numbers 0..15, 25), then the VFP
# registers d0..d31 and fpscr.
GDB_ARCHITECTURE = "arm"
GDB_TYPES = ""
GDB_FEATURES = [
    ("org.gnu.gdb.arm.core",
     [(f"r{i}", 32, A.UC_ARM_REG_R0 + i, "uint32", i) for i in range(13)]
     + [("sp", 32, A.UC_ARM_REG_SP, "data_ptr", 13), ("lr", 32, A.UC_ARM_REG_LR, "int", 14),
        ("pc", 32, A.UC_ARM_REG_PC, "code_ptr", 15), ("cpsr", 32, A.UC_ARM_REG_CPSR, "int", 25)]),
    ("org.gnu.gdb.arm.vfp",
     [(f"d{i}", 64, A.UC_ARM_REG_D0 + i, "ieee_double", 26 + i) for i in range(32)]
     + [("fpscr", 32, A.UC_ARM_REG_FPSCR, "int", 58)]),
]

# ---- facts for the test programs (tests/conftest.py writes them as C macros) ----
TEST_C = {
    "ARCH_ILLEGAL": '__asm__ volatile("udf #0")',
    "ARCH_BREAKPOINT": '__asm__ volatile("bkpt #0")',
    "ARCH_GET_SP(v)": '__asm__ volatile("mov %0, sp" : "=r"(v))',
    # past the faulting instruction: 2 or 4 bytes in Thumb (by its first halfword), 4 in ARM
    "ARCH_SKIP_INSN(uc)": "do { unsigned long pc_ = (uc)->uc_mcontext.arm_pc; "
                          "(uc)->uc_mcontext.arm_pc += !((uc)->uc_mcontext.arm_cpsr & 0x20) ? 4 : "
                          "(*(unsigned short *)pc_ >> 11) >= 0x1d ? 4 : 2; } while (0)",
    "ARCH_SYSCALL3(n, a, b, c)": "({ register long r7 __asm__(\"r7\") = (n); register long r0 __asm__(\"r0\") = (a); "
                                 "register long r1 __asm__(\"r1\") = (b); register long r2 __asm__(\"r2\") = (c); "
                                 "__asm__ volatile(\"svc #0\" : \"+r\"(r0) : \"r\"(r7), \"r\"(r1), \"r\"(r2) : \"memory\"); r0; })",
    # code written at run time, in ARM state: mov r0, #n; bx lr
    "ARCH_CODE_RETURN(w, n)": "do { (w)[0] = 0xe3a00000u | (n); (w)[1] = 0xe12fff1eu; } while (0)",
    "ARCH_EXCLUSIVE_LOAD(p)": "({ unsigned long v_; __asm__ volatile(\"ldrex %0, [%1]\" : \"=r\"(v_) : \"r\"(p) : \"memory\"); v_; })",
    # bx to an address with bit 1 set and bit 0 clear: ARM state at a halfword
    "ARCH_MISALIGNED_JUMP(p)": '__asm__ volatile("bx %0" :: "r"(p))',
    # what User mode may run (tests/guest/privileged.c): T(name, the kernel's signal or 0, statement)
    "ARCH_PRIVILEGED(T)": " ".join([
        'T("mrc sctlr", SIGILL, __asm__ volatile("mrc p15, 0, %0, c1, c0, 0" : "=r"(v)));',
        'T("mrc midr", SIGILL, __asm__ volatile("mrc p15, 0, %0, c0, c0, 0" : "=r"(v)));',
        'T("mrc vbar", SIGILL, __asm__ volatile("mrc p15, 0, %0, c12, c0, 0" : "=r"(v)));',
        'T("mcr tpidruro", SIGILL, __asm__ volatile("mcr p15, 0, %0, c13, c0, 3" :: "r"(v)));',
        'T("vmrs fpexc", SIGILL, __asm__ volatile("vmrs %0, fpexc" : "=r"(v)));',
        'T("mrc tpidruro", 0, __asm__ volatile("mrc p15, 0, %0, c13, c0, 3" : "=r"(v)));',
        'T("vmrs fpscr", 0, __asm__ volatile("vmrs %0, fpscr" : "=r"(v)));',
        # a mode change from User mode is ignored, not refused
        'T("msr cpsr_c", 0, __asm__ volatile("msr cpsr_c, %0" :: "r"(0xd3)));',
        'T("still in User mode", 0, ({ __asm__ volatile("mrs %0, cpsr" : "=r"(v)); if ((v & 0x1f) != 0x10) got = -1; }));',
        'T("cpsid i", 0, __asm__ volatile("cpsid i"));',
    ]),
}
