"""32-bit PowerPC, big-endian: the SysV ABI of Debian's powerpc port and most
embedded ppc userlands (Unicorn has no little-endian PowerPC)."""
import errno

from ..abi import Abi
from ..errors import GuestError
from ..signals import frames
from ..syscalls.argtypes import Ptr, Size
from ..syscalls.convention import Convention
from ..syscalls.registry import KEEP_REGISTERS, arch_syscall
from ..uclib import constants
from . import ppc_common as common

P = constants("ppc_const")
_UC = constants("unicorn_const")

NAME = "ppc"
TRIPLE = "powerpc-linux-gnu"
DEBIAN_ARCH = "powerpc"
DEBIAN_ROOTFS = False  # a Debian port (debian-ports), not in Debian 12: the cross glibc is the sysroot
ALIASES = ("powerpc",)
ABI = Abi("ppc", 32, "big", layouts={"stat": "ppc32", "stat64": "ppc", "termios": "ppc", "old_sigaction": "ppc",
                                     "msqid_ds": "ppc", "semid_ds": "ppc", "shmid_ds": "ppc"}, quirks=("time32",))
ELF_MACHINE = 20  # EM_PPC
ELF_CLASS = 32
UNAME_MACHINE = "ppc"
INTERPRETERS = ("/lib/ld.so.1",)
TASK_SIZE = 0xC0000000  # a 32-bit kernel's CONFIG_TASK_SIZE
CODE_CHANGES_HEARD = False  # icbi is a plain load to Unicorn's PowerPC: no hook hears it

UC_ARCH, UC_MODE = _UC.UC_ARCH_PPC, _UC.UC_MODE_PPC32 | _UC.UC_MODE_BIG_ENDIAN
# Classic 32-bit cores with an FPU and without AltiVec: Unicorn exposes no vector
# register, so a signal frame could not save them (the G4s are left out). The 750
# (G3) is what qemu-ppc runs by default. -cpu name -> (model, AT_PLATFORM, its PVR:
# measured, mfpvr run in supervisor state on each)
_MODELS = {
    "750": (P.UC_CPU_PPC32_750_V3_1, "ppc750", 0x00080301),
    "750cl": (P.UC_CPU_PPC32_750CL_V2_0, "ppc750", 0x00087210),
    "750fx": (P.UC_CPU_PPC32_750FX_V2_3, "ppc750", 0x70000203),
    "750gx": (P.UC_CPU_PPC32_750GX_V1_2, "ppc750", 0x70020102),
    "604e": (P.UC_CPU_PPC32_604E_V2_4, "ppc604", 0x00090204),
    "603e": (P.UC_CPU_PPC32_603E_V4_1, "ppc603", 0x00060401),
}
CPU_MODELS = {name: model for name, (model, _, _) in _MODELS.items()}
DEFAULT_CPU = "750"
CS_ARCH, CS_MODE = 4, 4 | 1 << 31  # capstone: CS_ARCH_PPC, CS_MODE_32 | CS_MODE_BIG_ENDIAN

REG_PC, REG_SP, REG_TLS = P.UC_PPC_REG_PC, P.UC_PPC_REG_1, P.UC_PPC_REG_2  # glibc keeps the TP in r2
GPR_IDS = tuple(common.R)  # env->gpr[32], target_ulong: 32-bit on Unicorn's ppc32 core
GPR_SLOT_BYTES = 4

CONVENTION = Convention(
    number=common.R[0], result=common.R[3], intno=common.SYSCALL_INTNO, insn_size=4, pairs="aligned",
    error="hook", error_hook=common.set_summary_overflow, args=tuple(common.R[3:9]))
EXCEPTIONS = common.EXCEPTIONS
FAULT_PC_ADJUST = common.FAULT_PC_ADJUST
exception_fault = common.exception_fault
undecodable = common.undecodable
emulate_trapped = common.emulate_trapped
prepare = common.prepare
PLATFORM = "ppc750"
MINSIGSTKSZ = None
SIGNAL_REDZONE = 0


def _model(uc):
    model = uc.ctl_get_cpu_model()
    return next((entry for entry in _MODELS.values() if entry[0] == model), _MODELS[DEFAULT_CPU])


def platform(uc):
    return _model(uc)[1]


PVR_DEFAULT = _MODELS[DEFAULT_CPU][2]


def pvr(uc):
    """The Processor Version Register, which user code reads through the kernel."""
    return _model(uc)[2]


# ---- the auxiliary vector (arch/powerpc/include/asm/elf.h ARCH_DLINFO) ---------------
# Before the generic entries: AT_IGNOREPPC twice (old glibcs skipped them), the cache
# line sizes (glibc's memset zeroes whole lines with dcbz: the size must be the CPU's,
# 32 bytes on every model above), AT_UCACHEBSIZE 0 (split caches).
CACHE_LINE = 32


def extra_auxv(uc):
    return common.cache_auxv(CACHE_LINE)


# The kernel's cputable for these cores: COMMON_USER (32-bit, FPU, MMU) and PPC_LE.
PPC_FEATURE_32, PPC_FEATURE_HAS_FPU, PPC_FEATURE_HAS_MMU, PPC_FEATURE_PPC_LE = \
    0x80000000, 0x08000000, 0x04000000, 0x00000001


def hwcaps(uc):
    return PPC_FEATURE_32 | PPC_FEATURE_HAS_FPU | PPC_FEATURE_HAS_MMU | PPC_FEATURE_PPC_LE, 0


def cpuinfo(hwcap, hwcap2, ncpus):
    """/proc/cpuinfo as a ppc32 kernel words it (arch/powerpc/kernel/setup-common.c)."""
    block = "cpu\t\t: 750CX\nclock\t\t: 500.000000MHz\nrevision\t: 3.1 (pvr 0008 0301)\nbogomips\t: 33.33\n\n"
    return "".join(f"processor\t: {i}\n" + block for i in range(ncpus)) + \
        "timebase\t: 33333333\nplatform\t: pyqemu\nmodel\t\t: pyqemu\n"


# ---- signal frames (arch/powerpc/kernel/signal_32.c) ---------------------------------
# sigframe    { sigcontext sctx; mcontext mctx (16-aligned); int abigap[56]; }
# rt_sigframe { siginfo info; ucontext uc; int abigap[56]; }
# ucontext    { uc_flags, uc_link, stack_t uc_stack, int uc_pad[7], mcontext *uc_regs,
#               sigset_t uc_sigmask, int uc_maskext[30], int uc_pad2[3], mcontext uc_mcontext }
# mcontext    { u32 mc_gregs[48]; double mc_fregs[33]; u32 mc_pad[2]; vrregs mc_vregs[33] (16-aligned) }
# sigcontext  { ulong _unused[4]; int signal; ulong handler; ulong oldmask; pt_regs *regs; }
# The handler's r1 is __SIGNAL_FRAMESIZE (64) below the frame, 16 more for an rt frame,
# with the old r1 stored there (the back chain); its LR is the [vdso] trampoline.
SIGNAL_FRAMESIZE = 64
RT_ADJUST = 16
MCONTEXT_SIZE = common.NGREG * 4 + common.NFPREG * 8 + 8 + 33 * 16
SIGCONTEXT_SIZE = 32
ABIGAP = 56 * 4
_UC_REGS_AT, _SIGMASK_AT, _MCONTEXT_AT = 48, 52, 192
UCONTEXT_SIZE = _MCONTEXT_AT + MCONTEXT_SIZE
# what glibc's ucontext_t says of the same places (tests/test_layouts.py checks them)
FRAME_LAYOUT = {("ucontext_t", "uc_mcontext"): _UC_REGS_AT, ("ucontext_t", "uc_sigmask"): _SIGMASK_AT,
                ("mcontext_t", "fpregs"): common.NGREG * 4, ("mcontext_t", "vrregs"): common.NGREG * 4 + 264 + 8,
                ("ucontext_t", None): UCONTEXT_SIZE}
TRAMPOLINES = {  # li r0, nr; sc
    "sigreturn": ABI.pack("II", 0x38000000 | ABI.tables.SYSCALLS["sigreturn"], 0x44000002),
    "rt_sigreturn": ABI.pack("II", 0x38000000 | ABI.tables.SYSCALLS["rt_sigreturn"], 0x44000002),
}


def _mcontext(uc, ccr_mask=0xFFFFFFFF):
    regs = common.save_gregs(uc)
    regs[common.PT_CCR] &= ccr_mask
    data = ABI.pack(f"{common.NGREG}I", *[v & 0xFFFFFFFF for v in regs])
    data += ABI.pack(f"{common.NFPREG}Q", *common.save_fpregs(uc))
    return data.ljust(MCONTEXT_SIZE, b"\0")


def _restore_mcontext(thread, at, keep_r2=False):
    data = frames.read_frame(thread, at, common.NGREG * 4 + common.NFPREG * 8)
    regs = list(ABI.unpack(f"{common.NGREG}I", data))
    if keep_r2:  # setcontext keeps the thread pointer; sigreturn restores it
        regs[2] = thread.uc.reg_read(common.R[2])
    common.restore_gregs(thread.uc, regs, ABI.word_mask)
    common.restore_fpregs(thread.uc, ABI.unpack(f"{common.NFPREG}Q", data[common.NGREG * 4:]))


def setup_frame(f):
    uc = f.uc
    old_sp = uc.reg_read(REG_SP)
    if f.rt:
        head = SIGNAL_FRAMESIZE + RT_ADJUST
        size = head + frames.SIGINFO_SIZE + UCONTEXT_SIZE + ABIGAP
        at = f.place(size, 16)
        frame_at = at + head
        uc_at = frame_at + frames.SIGINFO_SIZE
        mctx_at = uc_at + _MCONTEXT_AT
        ucontext = ABI.pack("II", 0, 0) + f.stack_t() + bytes(28) + ABI.pack("I", mctx_at)
        ucontext += f.sigset().ljust(_MCONTEXT_AT - _SIGMASK_AT, b"\0") + _mcontext(uc)
        body = f.siginfo() + ucontext
    else:
        head = SIGNAL_FRAMESIZE
        size = head + SIGCONTEXT_SIZE + MCONTEXT_SIZE + ABIGAP
        at = f.place(size, 16)
        frame_at = at + head
        mctx_at = frame_at + SIGCONTEXT_SIZE
        mask = f.mask
        body = ABI.pack("4IiIII", 0, 0, 0, (mask >> 32) & 0xFFFFFFFF, f.sig, f.action.handler,
                        mask & 0xFFFFFFFF, mctx_at) + _mcontext(uc)
    f.write(at, ABI.pack("I", old_sp) + bytes(head - 4) + body + bytes(ABIGAP))
    restorer = f.restorer if f.restorer is not None else \
        f.thread.process.trampolines["rt_sigreturn" if f.rt else "sigreturn"]
    uc.reg_write(REG_SP, at)
    uc.reg_write(common.R[3], f.sig)
    if f.rt:
        uc.reg_write(common.R[4], frame_at)
        uc.reg_write(common.R[5], uc_at)
        uc.reg_write(common.R[6], frame_at)
    else:
        uc.reg_write(common.R[4], frame_at)
    uc.reg_write(common.LR, restorer)
    uc.reg_write(REG_PC, f.action.handler)


def restore_frame(thread, rt):
    """sys_rt_sigreturn / sys_sigreturn: the mcontext the frame points to (uc_regs,
    sigcontext.regs: the kernel follows the pointer), the mask the frame holds."""
    sp = thread.uc.reg_read(REG_SP)
    if rt:
        uc_at = sp + SIGNAL_FRAMESIZE + RT_ADJUST + frames.SIGINFO_SIZE
        head = frames.read_frame(thread, uc_at, _SIGMASK_AT + ABI.sigset_bytes)
        mask = frames.unpack_sigset(ABI, head[_SIGMASK_AT:])
        mctx_at = ABI.unpack("I", head[_UC_REGS_AT:])[0]
    else:
        sc = frames.read_frame(thread, sp + SIGNAL_FRAMESIZE, SIGCONTEXT_SIZE)
        words = ABI.unpack("4IiIII", sc)
        mask = words[6] | words[3] << 32
        mctx_at = words[7]
    _restore_mcontext(thread, mctx_at)
    return mask


# ---- swapcontext (signal_32.c sys_swapcontext): glibc's getcontext, setcontext and
# swapcontext are this one call, with the size of the kernel's ucontext
SYSCALLS = {}
_SO_IN_CR = 0x10000000


@arch_syscall(SYSCALLS, name="swapcontext")
def swapcontext(t, old: Ptr, new: Ptr, size: Size):
    """Save the caller's registers and mask into old (resuming there returns 0 from
    the call: the saved CR0.SO is clear, as the kernel's entry clears it), then load
    new's (through its uc_regs pointer, r2 kept) if given."""
    if size < UCONTEXT_SIZE:
        raise GuestError(errno.EINVAL)
    if old:
        mctx_at = (old + _MCONTEXT_AT) & ~0xF
        head = ABI.pack("I", mctx_at)
        t.space.write(old + _UC_REGS_AT, head + frames.pack_sigset(ABI, t.signals.blocked))
        t.space.write(mctx_at, _mcontext(t.uc, ~_SO_IN_CR))
    if not new:
        return 0
    data = t.space.read(new, _SIGMASK_AT + ABI.sigset_bytes)
    mask = frames.unpack_sigset(ABI, data[_SIGMASK_AT:])
    mctx_at = ABI.unpack("I", data[_UC_REGS_AT:])[0]
    t.space.read(mctx_at, common.NGREG * 4 + common.NFPREG * 8)  # EFAULT now, not at the safe point

    def load():
        try:
            _restore_mcontext(t, mctx_at, keep_r2=True)
        except frames.FrameFault:
            t.process.die_of_signal(t.process.signals.number("SIGSEGV"))
        t.signals.set_blocked(mask)
    t.defer(load)  # every register, the PC too: at the safe point
    return KEEP_REGISTERS


# ---- gdb (usermode/gdb/targetxml.py) -----------------------------------------------
GDB_ARCHITECTURE = "powerpc:common"
GDB_TYPES = ""
GDB_FEATURES = common.gdb_features(32)

TEST_C = dict(common.TEST_C)
# past the faulting instruction: the NIP slot (PT_NIP) of the mcontext uc_regs points to
TEST_C["ARCH_SKIP_INSN(uc)"] = "do { (uc)->uc_mcontext.uc_regs->gregs[32] += 4; } while (0)"
TEST_C["ARCH_EXCLUSIVE_LOAD(p)"] = ("({ unsigned long v_; __asm__ volatile(\"lwarx %0, 0, %1\" : \"=r\"(v_) "
                                   ": \"r\"(p) : \"memory\"); v_; })")
