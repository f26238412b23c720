"""64-bit PowerPC, big-endian: the ELFv1 ABI of Debian's ppc64 port (a function
pointer is the address of a descriptor {entry, TOC, environment}).

Unicorn 2.1.4 runs 64-bit PowerPC code only on its default model (POWER10) and only
under its virtual TLB: an explicit ppc64 model selects a 32-bit core, and the
POWER10's own hash MMU stops the first fetch (tests/test_unicorn_limits.py).
"""
import errno

from ..abi import Abi
from ..errors import GuestError
from ..signals import frames
from ..syscalls.convention import Convention
from ..syscalls.argtypes import Long, Ptr
from ..syscalls.registry import KEEP_REGISTERS, arch_syscall
from ..uclib import constants
from . import ppc64_vsx
from . import ppc_common as common

P = constants("ppc_const")
_UC = constants("unicorn_const")

NAME = "ppc64"
TRIPLE = "powerpc64-linux-gnu"
DEBIAN_ARCH = "ppc64"
DEBIAN_ROOTFS = False  # a Debian port (debian-ports), not in Debian 12: the cross glibc is the sysroot
ALIASES = ("powerpc64",)
GO_ENV = {"GOARCH": "ppc64"}
ABI = Abi("ppc64", 64, "big", layouts={"stat": "ppc64", "termios": "ppc", "msqid_ds": "ppc64",
                                           "semid_ds": "ppc64", "shmid_ds": "ppc64"})
ELF_MACHINE = 21  # EM_PPC64
ELF_CLASS = 64
UNAME_MACHINE = "ppc64"
INTERPRETERS = ("/lib64/ld64.so.1",)
TASK_SIZE = 1 << 46  # the kernel's TASK_SIZE_64TB (4K pages)

UC_ARCH, UC_MODE = _UC.UC_ARCH_PPC, _UC.UC_MODE_PPC64 | _UC.UC_MODE_BIG_ENDIAN
# The only model that runs 64-bit code (see above) is the default one: None, never
# ctl_set_cpu_model (even with UC_CPU_PPC64_POWER10_V1_0 it would select a 32-bit core).
CPU_MODELS = {"power10": None}
DEFAULT_CPU = "power10"
# The virtual TLB always: with the CPU's own (the hash MMU) nothing runs.
TLB_MODE = "virtual-only"
CODE_CHANGES_HEARD = False  # icbi is a plain load to Unicorn's PowerPC: no hook hears it
CS_ARCH, CS_MODE = 4, 8 | 1 << 31  # capstone: CS_ARCH_PPC, CS_MODE_64 | CS_MODE_BIG_ENDIAN

REG_PC, REG_SP = P.UC_PPC_REG_PC, P.UC_PPC_REG_1
REG_TLS = P.UC_PPC_REG_13  # the 64-bit ABI keeps the thread pointer in r13 (clone's tls)
GPR_IDS = tuple(common.R)  # env->gpr[32], 64-bit
GPR_SLOT_BYTES = 8

CONVENTION = Convention(
    number=common.R[0], result=common.R[3], intno=common.SYSCALL_INTNO, insn_size=4,
    error="hook", error_hook=common.set_summary_overflow, args=tuple(common.R[3:9]))
EXCEPTIONS = common.EXCEPTIONS
FAULT_PC_ADJUST = common.FAULT_PC_ADJUST
exception_fault = common.exception_fault
undecodable = common.undecodable
emulate_trapped = common.emulate_trapped
PLATFORM = "power10"
MINSIGSTKSZ = None
SIGNAL_REDZONE = 0  # the frame holds its own 512-byte gap below the interrupted r1
PVR_POWER10 = 0x00800100  # Unicorn's POWER10 v1.0
PVR_DEFAULT = PVR_POWER10
QEMU_CPU = "power10_v1.0"  # the same model under qemu-ppc64 (its default is a POWER9)


def pvr(uc):
    """The Processor Version Register, which user code reads through the kernel."""
    return PVR_POWER10


MSR_SF = 1 << 63  # 64-bit mode
MSR_VEC, MSR_VSX = 1 << 25, 1 << 23


def prepare(uc):
    """A 64-bit user process with the FPU and the vector units on (the kernel enables
    them at first use; Go's ppc64 code, built for POWER8, uses VSX unconditionally).
    Signal frames save the vector registers where ppc64_vsx.py finds them (Unicorn's
    API has none). AT_HWCAP offers no vector unit all the same (see hwcaps)."""
    uc.reg_write(common.MSR, uc.reg_read(common.MSR) | MSR_SF | common.MSR_FP | common.MSR_PR | MSR_VEC | MSR_VSX)


# ---- the ELFv1 entry: e_entry is a function descriptor ------------------------------
def elf_entry_registers(uc, space, entry, bias):
    """The kernel's start_thread for ELFv1: the PC and r2 (the TOC) from the descriptor
    e_entry points to, each moved by the image's load bias (the interpreter's when
    there is one)."""
    try:
        pc, toc = ABI.unpack("QQ", space.read(entry, 16))
    except GuestError:  # as the kernel's __get_user: zeros, and the first fetch faults
        pc = toc = 0
    uc.reg_write(REG_PC, (pc + bias) & ABI.word_mask)
    uc.reg_write(common.R[2], (toc + bias) & ABI.word_mask)


# ---- the auxiliary vector (arch/powerpc/include/asm/elf.h ARCH_DLINFO) ---------------
# POWER's cache blocks are 128 bytes (glibc's memset zeroes whole blocks with dcbz).
CACHE_LINE = 128


def extra_auxv(uc):
    return common.cache_auxv(CACHE_LINE)


# The kernel's COMMON_USER_PPC64 (asm/cputable.h): 32- and 64-bit, FPU, MMU. Not the
# POWER10's vector and ISA-level bits: Unicorn's POWER10 is QEMU 5's, without ISA 3.1
# (glibc would pick code using it), and a frame saves the vector registers only through
# the ppc64_vsx.py shortcut. glibc then takes its POWER4 paths, Debian's baseline.
PPC_FEATURE_32, PPC_FEATURE_64, PPC_FEATURE_HAS_FPU, PPC_FEATURE_HAS_MMU = \
    0x80000000, 0x40000000, 0x08000000, 0x04000000


def hwcaps(uc):
    return PPC_FEATURE_32 | PPC_FEATURE_64 | PPC_FEATURE_HAS_FPU | PPC_FEATURE_HAS_MMU, 0


def cpuinfo(hwcap, hwcap2, ncpus):
    """/proc/cpuinfo as a ppc64 kernel words it (arch/powerpc/kernel/setup-common.c)."""
    block = "cpu\t\t: POWER10 (raw), altivec supported\nclock\t\t: 2000.000000MHz\n" \
            "revision\t: 1.0 (pvr 0080 0100)\n\n"
    return "".join(f"processor\t: {i}\n" + block for i in range(ncpus)) + \
        "timebase\t: 512000000\nplatform\t: pyqemu\nmodel\t\t: pyqemu\n"


# ---- signal frames (arch/powerpc/kernel/signal_64.c): rt frames only -------------------
# rt_sigframe { ucontext uc; ulong _unused[2]; u32 tramp[7]; siginfo *pinfo; void *puc;
#               siginfo info; char abigap[512]; } (16-aligned)
# ucontext    { ulong uc_flags; ucontext *uc_link; stack_t uc_stack; sigset_t uc_sigmask;
#               sigset_t __unused[15]; sigcontext uc_mcontext; }
# sigcontext  { ulong _unused[4]; int signal; int _pad0; ulong handler; ulong oldmask;
#               pt_regs *regs; elf_gregset_t gp_regs (48); elf_fpregset_t fp_regs (33);
#               vrreg *v_regs; long vmx_reserve[34 + 34 + 1 + 32]; }
# The handler's r1 is __SIGNAL_FRAMESIZE (128) below the frame, the old r1 stored there.
SIGNAL_FRAMESIZE = 128
USER_REDZONE = 512
_SIGMASK_AT, _MCONTEXT_AT = 40, 168
_GP_REGS, _FP_REGS, _V_REGS, _VMX_RESERVE = 64, 64 + 48 * 8, 64 + 48 * 8 + 33 * 8, 64 + 48 * 8 + 33 * 8 + 8
SIGCONTEXT_SIZE = _VMX_RESERVE + (34 + 34 + 1 + 32) * 8
UCONTEXT_SIZE = _MCONTEXT_AT + SIGCONTEXT_SIZE
_TRAMP_AT = UCONTEXT_SIZE + 16
_PINFO_AT = (_TRAMP_AT + 7 * 4 + 7) & ~7
_INFO_AT = _PINFO_AT + 16
RT_SIGFRAME_SIZE = (_INFO_AT + frames.SIGINFO_SIZE + USER_REDZONE + 15) & ~15
PT_SOFTE = 39
# what glibc's ucontext_t says of the same places (tests/test_layouts.py checks them;
# glibc's vmx_reserve is shorter than the kernel's, so not the size)
FRAME_LAYOUT = {("ucontext_t", "uc_sigmask"): _SIGMASK_AT, ("ucontext_t", "uc_mcontext"): _MCONTEXT_AT,
                ("mcontext_t", "signal"): 32, ("mcontext_t", "handler"): 40, ("mcontext_t", "regs"): 56,
                ("mcontext_t", "gp_regs"): _GP_REGS, ("mcontext_t", "fp_regs"): _FP_REGS,
                ("mcontext_t", "v_regs"): _V_REGS}
TRAMPOLINES = {  # li r0, nr; sc
    "rt_sigreturn": ABI.pack("II", 0x38000000 | ABI.tables.SYSCALLS["rt_sigreturn"], 0x44000002),
}


def _module():
    from . import get
    return get(NAME)


def _sigcontext(uc, at, sig, handler, oldmask, pc=None, vsx_region=True):
    """The sigcontext (mcontext_t) for the current registers, placed at `at`: with the
    vector registers in the v_regs area when they can be read (ppc64_vsx.py), VR0-31
    then (vscr, vrsave) then the low halves of VSR0-31 (if the context has room)."""
    regs = common.save_gregs(uc, pc)
    regs[PT_SOFTE] = 1
    msr = regs[common.PT_MSR] & ~(MSR_VEC | MSR_VSX)
    v_regs = (at + _VMX_RESERVE + 15) & ~15
    vectors = b""
    vsx = ppc64_vsx.vsx(uc, _module())
    if vsx is not None:
        msr |= MSR_VEC
        # VSCR and VRSAVE are not in the API nor located: saved as zeros (non-Java mode off)
        vectors = b"".join(vsx.vr(n) for n in range(32)) + bytes(32)
        if vsx_region:
            msr |= MSR_VSX
            vectors += ABI.pack("32Q", *[vsx.low(n) for n in range(32)])
    regs[common.PT_MSR] = msr
    data = ABI.pack("4QiiQQQ", 0, 0, 0, 0, sig, 0, handler, oldmask, at + _GP_REGS)
    data += ABI.pack(f"{common.NGREG}Q", *[v & ABI.word_mask for v in regs])
    data += ABI.pack(f"{common.NFPREG}Q", *common.save_fpregs(uc))
    data += ABI.pack("Q", v_regs)
    data = data.ljust(v_regs - at, b"\0") + vectors
    return data.ljust(SIGCONTEXT_SIZE, b"\0")


def _restore_sigcontext(thread, at, keep_r13=False):
    data = frames.read_frame(thread, at + _GP_REGS, common.NGREG * 8 + common.NFPREG * 8 + 8)
    regs = list(ABI.unpack(f"{common.NGREG}Q", data))
    if keep_r13:  # setcontext keeps the thread pointer
        regs[13] = thread.uc.reg_read(common.R[13])
    common.restore_gregs(thread.uc, regs, ABI.word_mask)
    common.restore_fpregs(thread.uc, ABI.unpack(f"{common.NFPREG}Q", data[common.NGREG * 8:]))
    msr, v_regs = regs[common.PT_MSR], ABI.unpack("Q", data[-8:])[0]
    vsx = ppc64_vsx.vsx(thread.uc, _module()) if msr & MSR_VEC and v_regs else None
    if vsx is not None:  # as the kernel: VRs if the frame says MSR_VEC, VSX halves if MSR_VSX
        size = 34 * 16 + (32 * 8 if msr & MSR_VSX else 0)
        vectors = frames.read_frame(thread, v_regs, size)
        for n in range(32):
            vsx.set_vr(n, vectors[16 * n:16 * n + 16])
        if msr & MSR_VSX:
            for n, value in enumerate(ABI.unpack("32Q", vectors[34 * 16:])):
                vsx.set_low(n, value)


def setup_frame(f):
    uc = f.uc
    old_sp = uc.reg_read(REG_SP)
    at = f.place(RT_SIGFRAME_SIZE, 16)
    new_sp = at - SIGNAL_FRAMESIZE
    if f.space.accessible(new_sp, SIGNAL_FRAMESIZE, 2) < SIGNAL_FRAMESIZE:
        raise frames.FrameFault()
    handler = f.action.handler
    try:  # the handler's descriptor: its entry and TOC
        entry, toc = ABI.unpack("QQ", f.space.read(handler, 16))
    except GuestError:
        raise frames.FrameFault() from None
    mask = f.mask
    ucontext = ABI.pack("QQ", 0, 0) + f.stack_t() + f.sigset().ljust(_MCONTEXT_AT - _SIGMASK_AT, b"\0")
    ucontext += _sigcontext(uc, at + _MCONTEXT_AT, f.sig, handler, mask & ABI.word_mask)
    body = ucontext + bytes(_PINFO_AT - UCONTEXT_SIZE) + ABI.pack("QQ", at + _INFO_AT, at)
    body += f.siginfo()
    f.write(new_sp, ABI.pack("Q", old_sp) + bytes(SIGNAL_FRAMESIZE - 8) + body.ljust(RT_SIGFRAME_SIZE, b"\0"))
    restorer = f.restorer if f.restorer is not None else f.thread.process.trampolines["rt_sigreturn"]
    uc.reg_write(REG_SP, new_sp)
    uc.reg_write(common.R[3], f.sig)
    if f.rt:
        uc.reg_write(common.R[4], at + _INFO_AT)
        uc.reg_write(common.R[5], at)
        uc.reg_write(common.R[6], at)
    else:
        uc.reg_write(common.R[4], at + _MCONTEXT_AT)
    uc.reg_write(common.R[2], toc)
    uc.reg_write(common.LR, restorer)
    uc.reg_write(REG_PC, entry)


def restore_frame(thread, rt):
    """sys_rt_sigreturn: the ucontext __SIGNAL_FRAMESIZE above r1."""
    uc_at = thread.uc.reg_read(REG_SP) + SIGNAL_FRAMESIZE
    mask = frames.unpack_sigset(ABI, frames.read_frame(thread, uc_at + _SIGMASK_AT, ABI.sigset_bytes))
    _restore_sigcontext(thread, uc_at + _MCONTEXT_AT)
    return mask


SYSCALLS = {}


def _not_on_ppc64(t):
    """Calls the 64-bit kernel's table has as sys_ni_syscall: ENOSYS."""
    raise GuestError(errno.ENOSYS)


for _name in ("sigreturn", "modify_ldt", "vm86"):
    if _name in ABI.tables.SYSCALLS:
        arch_syscall(SYSCALLS, name=_name)(_not_on_ppc64)


# ---- swapcontext (signal_64.c sys_swapcontext): save the caller's context into old,
# load new's. A context shorter than the kernel's ucontext without its VSX area is EINVAL.
UCONTEXT_SIZE_WITHOUT_VSX = UCONTEXT_SIZE - 32 * 8
_SO_IN_CR = 0x10000000


@arch_syscall(SYSCALLS, name="swapcontext")
def swapcontext(t, old: Ptr, new: Ptr, size: Long):
    """The saved context resumes as a return of 0 from the call (CR0.SO clear, as the
    kernel's entry clears it); the new one is loaded at the safe point, every register
    the PC too (r13, the thread pointer, kept)."""
    if new:
        t.space.read(new + _MCONTEXT_AT + _GP_REGS + common.PT_MSR * 8, 8)  # EFAULT first, as the kernel
    if size < UCONTEXT_SIZE_WITHOUT_VSX:
        raise GuestError(errno.EINVAL)
    if old:
        sc_at = old + _MCONTEXT_AT
        data = _sigcontext(t.uc, sc_at, 0, 0, 0, vsx_region=size >= UCONTEXT_SIZE)
        regs_at = _GP_REGS + common.PT_CCR * 8
        ccr = ABI.unpack("Q", data[regs_at:])[0] & ~_SO_IN_CR
        data = data[:regs_at] + ABI.pack("Q", ccr) + data[regs_at + 8:]
        t.space.write(sc_at + 32, data[32:48])  # signal, handler (oldmask is left alone)
        end = SIGCONTEXT_SIZE if size >= UCONTEXT_SIZE else SIGCONTEXT_SIZE - 32 * 8
        t.space.write(sc_at + 56, data[56:end])  # regs, gp_regs, fp_regs, v_regs and its area
        t.space.write(old + _SIGMASK_AT, frames.pack_sigset(ABI, t.signals.blocked))
    if not new:
        return 0
    mask = frames.unpack_sigset(ABI, t.space.read(new + _SIGMASK_AT, ABI.sigset_bytes))
    t.space.read(new + _MCONTEXT_AT + _GP_REGS, common.NGREG * 8 + common.NFPREG * 8)

    def load():
        try:
            _restore_sigcontext(t, new + _MCONTEXT_AT, keep_r13=True)
        except frames.FrameFault:
            t.process.die_of_signal(t.process.signals.number("SIGSEGV"))
        t.signals.set_blocked(mask)
    t.defer(load)
    return KEEP_REGISTERS


# ---- gdb (usermode/gdb/targetxml.py) -----------------------------------------------
GDB_ARCHITECTURE = "powerpc:common64"
GDB_TYPES = ""
GDB_FEATURES = common.gdb_features(64)

TEST_C = dict(common.TEST_C)
# past the faulting instruction: the NIP slot (PT_NIP) of the sigcontext's gp_regs
TEST_C["ARCH_SKIP_INSN(uc)"] = "do { (uc)->uc_mcontext.gp_regs[32] += 4; } while (0)"
TEST_C["ARCH_EXCLUSIVE_LOAD(p)"] = ("({ unsigned long v_; __asm__ volatile(\"ldarx %0, 0, %1\" : \"=r\"(v_) "
                                   ": \"r\"(p) : \"memory\"); v_; })")
# ELFv1: a function pointer is a descriptor {entry, TOC, environment}; code made at run
# time gets one on the stack (it needs no TOC; the barrier: the compiler does not see the
# call read it)
TEST_C["ARCH_CALL_CODE(p)"] = ("({ void *d_[3] = {(void *)(p), 0, 0}; __asm__ volatile(\"\" :: \"r\"(d_) : \"memory\"); "
                               "((int (*)(void))(void *)d_)(); })")
