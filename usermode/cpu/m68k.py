"""Motorola 68k (68020 and up with an FPU, big-endian): Debian's m68k port."""
import ctypes

from ..abi import Abi
from ..signals import frames
from ..syscalls.argtypes import Ptr
from ..syscalls.convention import Convention
from ..syscalls.registry import arch_syscall
from ..uclib import constants
from . import m68k_fpu

M = constants("m68k_const")
_UC = constants("unicorn_const")

NAME = "m68k"
TRIPLE = "m68k-linux-gnu"
DEBIAN_ARCH = "m68k"
DEBIAN_ROOTFS = False  # a Debian port (debian-ports), not in Debian 12: the cross glibc is the sysroot
# int and long are only 2-byte aligned in the m68k ABI (struct layouts follow)
ABI = Abi("m68k", 32, "big", max_align=2, layouts={"stat": "m68k", "stat64": "m68k", "msqid_ds": "m68k",
                                                          "semid_ds": "m68k", "shmid_ds": "m68k"},
          quirks=("time32", "uid16", "old_mmap", "old_select", "clone_tls_last"))
ELF_MACHINE = 4  # EM_68K
ELF_CLASS = 32
UNAME_MACHINE = "m68k"
INTERPRETERS = ("/lib/ld.so.1",)
TASK_SIZE = 0xF0000000  # the m68k kernel's (MMU) TASK_SIZE
# reserved whole, under a ulimit -v too: its executables sit at 0x80000000, halfway up
# (qemu-m68k reserves all 4 GiB likewise)
ADDRESS_SPACE_SIZE = TASK_SIZE

UC_ARCH, UC_MODE = _UC.UC_ARCH_M68K, _UC.UC_MODE_BIG_ENDIAN
# Measured: Unicorn's default (a ColdFire) and the 68040/68060 fail on Debian's code
# (address errors; the 060 lacks the 64-bit mulu.l/divu.l Debian's libgcc uses);
# the 68020 and 68030 (with their 6888x FPU) run it.
CPU_MODELS = {"m68030": M.UC_CPU_M68K_M68030, "m68020": M.UC_CPU_M68K_M68020}
DEFAULT_CPU = "m68030"
CS_ARCH, CS_MODE = 8, (1 << 4) | (1 << 31)  # capstone: CS_ARCH_M68K, CS_MODE_M68K_030, big-endian

D = [M.UC_M68K_REG_D0 + i for i in range(8)]
A = [M.UC_M68K_REG_A0 + i for i in range(8)]
PC, SR = M.UC_M68K_REG_PC, M.UC_M68K_REG_SR
REG_PC, REG_SP = PC, A[7]
# env->dregs[8], aregs[8] and then pc: the PC is in the register array, so the syscall
# path moves it past trap #0 in place (syscalls/dispatch.py _pc_step)
GPR_IDS = tuple(D + A) + (PC,)
GPR_SLOT_BYTES = 4

# Measured: trap #0 arrives as intno 32 (EXCP_TRAP0) with the PC *on* it, and runs
# again for ever unless the PC moves: advance_pc.
CONVENTION = Convention(
    number=D[0], result=D[0], intno=32, insn_size=2, advance_pc=2, pairs="unaligned",
    args=(D[1], D[2], D[3], D[4], D[5], A[0]))

# Measured: every exception arrives as its vector number with the PC on the
# instruction. The kernel's signals (arch/m68k/kernel/traps.c trap_c); a trap's frame
# PC is past the instruction (resume), a fault's on it.
_VECTORS = {
    3: ("SIGBUS", "address error", "BUS_ADRALN", 0),
    4: ("SIGILL", "illegal instruction", "ILL_ILLOPC", 0),
    5: ("SIGFPE", "integer divide by zero", "FPE_INTDIV", 2),
    6: ("SIGFPE", "chk", "FPE_INTOVF", 2),
    7: ("SIGFPE", "trapv", "FPE_INTOVF", 2),
    8: ("SIGILL", "privileged instruction", "ILL_PRVOPC", 0),
    10: ("SIGILL", "illegal instruction (line A)", "ILL_ILLOPC", 0),
    11: ("SIGILL", "illegal instruction (line F)", "ILL_ILLOPC", 0),
    47: ("SIGTRAP", "breakpoint", "TRAP_BRKPT", 2),  # trap #15
}
EXCEPTIONS = {v: (s, w) for v, (s, w, _, _) in _VECTORS.items()}
FAULT_PC_ADJUST = 0
PLATFORM = None  # the m68k kernel sets no AT_PLATFORM
MINSIGSTKSZ = None
STACK_ALIGN = 2


def exception_fault(thread, intno):
    from ..threads.thread import GuestFault
    pc = thread.uc.reg_read(PC)
    if 33 <= intno <= 46:  # trap #1..#14: not for user space
        signal, what, code, resume = "SIGILL", f"trap #{intno - 32}", "ILL_ILLTRP", 2
    else:
        signal, what, code, resume = _VECTORS.get(intno, ("SIGILL", f"cpu exception {intno}", "ILL_ILLOPC", 0))
    # si_addr: a trap's (format 0 frame) is its PC, past the instruction; a divide's,
    # chk's and trapv's (format 2) the instruction's own address
    address = pc + resume if signal in ("SIGTRAP",) or code == "ILL_ILLTRP" else pc
    fault = GuestFault(signal, pc, address, what, code)
    fault.resume_pc = pc + resume
    return fault


def prepare(uc):
    """User mode. Measured: Unicorn's reset SR reads as user mode, but its stack bookkeeping
    is the supervisor's: the first SR write (a sigreturn's) swapped A7 for a zero USP. An
    SR written once here, before the loader sets the SP, makes them agree."""
    uc.reg_write(SR, 0)


def hwcaps(uc):
    return 0, 0  # the m68k kernel gives no AT_HWCAP


def cpuinfo(hwcap, hwcap2, ncpus):
    """/proc/cpuinfo as the m68k kernel words it (arch/m68k/kernel/setup_mm.c): one CPU."""
    return ("CPU:\t\t68030\nMMU:\t\t68030\nFPU:\t\t68882\nClocking:\t50.0MHz\n"
            "BogoMips:\t12.20\nCalibration:\t61024 loops\n")


def undecodable(insn):
    return "SIGILL"


def emulate_trapped(uc, insn):
    return False


# ---- the thread pointer: kept by the kernel, read through get_thread_area ------------
# glibc reads it with get_thread_area on every TLS access (__m68k_read_tp): the value
# lives in a C cell the syscall hook can answer from in machine code (inline_syscall,
# raw.IntrHook), the Python handler below being the path without that shortcut.
SYSCALLS = {}


def _thread_pointer(thread):
    cell = thread.__dict__.get("m68k_thread_pointer")
    if cell is None:
        cell = thread.m68k_thread_pointer = ctypes.c_uint32(0)
    return cell


def set_thread_pointer(uc, thread, value):
    _thread_pointer(thread).value = value & 0xFFFFFFFF


def copy_cpu(child, parent):
    """clone: the registers and the thread pointer the kernel keeps beside them."""
    child.uc.context_restore(parent.uc.context_save())
    _thread_pointer(child).value = _thread_pointer(parent).value


def inline_syscall(thread):
    return ABI.tables.SYSCALLS["get_thread_area"], _thread_pointer(thread)


@arch_syscall(SYSCALLS, name="set_thread_area")
def set_thread_area(t, tp: Ptr):
    _thread_pointer(t).value = tp & 0xFFFFFFFF
    return 0


@arch_syscall(SYSCALLS, name="get_thread_area")
def get_thread_area(t):
    return _thread_pointer(t).value


# ---- atomics for CPUs without CAS (the 68000 and ColdFire; glibc uses cas on the 020+)
@arch_syscall(SYSCALLS, name="atomic_cmpxchg_32")
def atomic_cmpxchg_32(t, newval: Ptr, oldval: Ptr, d3: Ptr, d4: Ptr, d5: Ptr, mem: Ptr):
    """*mem = newval if it holds oldval; returns what it held (sys_m68k.c: the
    arguments in d1, d2 and a0). Atomic as the kernel's, for guest code runs one
    thread at a time under the emulator lock; an unmapped mem is EFAULT."""
    current = ABI.unpack("I", t.space.read(mem, 4))[0]
    if current == oldval:
        t.space.write(mem, ABI.pack("I", newval & 0xFFFFFFFF))
    return current


@arch_syscall(SYSCALLS, name="atomic_barrier")
def atomic_barrier(t):
    return 0  # one guest thread runs at a time: every access is already ordered


@arch_syscall(SYSCALLS, name="getpagesize")
def getpagesize(t):
    return 4096


_FLUSH_SCOPE_LINE, _FLUSH_SCOPE_ALL, _FLUSH_CACHE_BOTH = 1, 3, 3


@arch_syscall(SYSCALLS, name="cacheflush")
def cacheflush(t, addr: Ptr, scope: Ptr, cache: Ptr, length: Ptr):
    """sys_m68k.c's checks (a scope and cache it knows; the whole cache for root only;
    a range inside one mapping of the caller's), then the translated code of the range
    dropped, as a real flush makes the CPU fetch it again."""
    import errno
    import os
    from ..errors import GuestError
    scope, cache = ABI.unpack("i", ABI.pack("I", scope))[0], ABI.unpack("i", ABI.pack("I", cache))[0]
    if not _FLUSH_SCOPE_LINE <= scope <= _FLUSH_SCOPE_ALL or cache & ~_FLUSH_CACHE_BOTH:
        raise GuestError(errno.EINVAL)
    if scope == _FLUSH_SCOPE_ALL:
        if os.geteuid() != 0:
            raise GuestError(errno.EPERM)
        for uc in t.space.cpus:
            uc.ctl_flush_tb()
        return 0
    vma = t.space.find(addr)
    if vma is None or addr < vma.start or addr + length > vma.end:
        raise GuestError(errno.EINVAL)
    if length:
        t.space.drop_translations(addr, addr + length)  # every thread's CPU: each keeps its own
    return 0


# ---- signal frames (arch/m68k/kernel/signal.c, with an MMU) ------------------------------
# sigframe    { char *pretcode; int sig; int code; sigcontext *psc; char retcode[8];
#               ulong extramask[1]; sigcontext sc; }
# rt_sigframe { char *pretcode; int sig; siginfo *pinfo; void *puc; char retcode[8];
#               siginfo info; ucontext uc; }
# sigcontext  { ulong sc_mask, sc_usp, sc_d0, sc_d1, sc_a0, sc_a1; ushort sc_sr; ulong sc_pc;
#               ushort sc_formatvec; ulong sc_fpregs[6], sc_fpcntl[3]; uchar sc_fpstate[216]; }
#               (2-byte alignment: 284 bytes)
# ucontext    { uc_flags, uc_link, stack_t uc_stack, mcontext { int version; greg_t gregs[18];
#               fpregset { int f_fpcntl[3]; int f_fpregs[8*3]; } }, ulong uc_filler[80],
#               sigset_t uc_sigmask }
# The handler is entered as if called: SP at pretcode (its return address), its
# arguments above; sigreturn finds the frame 4 bytes below the SP (pretcode popped).
# The FPU registers (m68k_fpu.py: the API has none) go where the kernel puts them: the
# rt frame's fpregset, the old frame's fp0, fp1 and control registers with an idle 68882
# fsave frame after them; without them the frames hold a null fsave frame, as a kernel's
# for a task that never used its FPU.
SIGNAL_REDZONE = 0
SIGCONTEXT_SIZE = 284
_SC_AT = 28
SIGFRAME_SIZE = _SC_AT + SIGCONTEXT_SIZE
_RT_INFO_AT = 24
_UC_AT = _RT_INFO_AT + frames.SIGINFO_SIZE
_MC_VERSION_AT, _GREGS_AT, _UC_FILLER_AT, _UC_SIGMASK_AT = 20, 24, 204, 524
UCONTEXT_SIZE = _UC_SIGMASK_AT + 8
RT_SIGFRAME_SIZE = _UC_AT + UCONTEXT_SIZE
MCONTEXT_VERSION = 2
FRAME_LAYOUT = {("ucontext_t", "uc_mcontext"): _MC_VERSION_AT, ("ucontext_t", "uc_sigmask"): _UC_SIGMASK_AT,
                ("mcontext_t", None): _UC_FILLER_AT - _MC_VERSION_AT, ("struct sigcontext", None): SIGCONTEXT_SIZE,
                ("struct sigcontext", "sc_pc"): 26, ("struct sigcontext", "sc_fpstate"): 68}
_NR_SIGRETURN = ABI.tables.SYSCALLS["sigreturn"]
_NR_RT_SIGRETURN = ABI.tables.SYSCALLS["rt_sigreturn"]
TRAMPOLINES = {  # the kernel's retcode: moveq #nr,d0; trap #0 (rt: moveq #~nr,d0; not.b d0; trap #0)
    "sigreturn": ABI.pack("HH", 0x7000 | _NR_SIGRETURN, 0x4E40),
    "rt_sigreturn": ABI.pack("HHH", 0x7000 | (_NR_RT_SIGRETURN ^ 0xFF), 0x4600, 0x4E40),
}
_FSAVE_IDLE_68882 = 0x1F380000  # fsave's first word for an idle 68882: version 0x1f, 0x38 bytes
_SR_USER = 0xFF  # the condition codes: all a user may change through sigreturn


def _retcode(rt):
    return TRAMPOLINES["rt_sigreturn" if rt else "sigreturn"].ljust(8, b"\0")


def setup_frame(f):
    uc = f.uc
    sp = uc.reg_read(REG_SP)
    pc, sr = uc.reg_read(PC), uc.reg_read(SR)
    restorer = f.restorer if f.restorer is not None else \
        f.thread.process.trampolines["rt_sigreturn" if f.rt else "sigreturn"]
    if f.rt:
        at = f.place(RT_SIGFRAME_SIZE, 8)
        gregs = [uc.reg_read(r) for r in D + A[:7]] + [sp, pc, sr]
        ucontext = ABI.pack("II", 0, 0) + f.stack_t()
        ucontext += ABI.pack("i18I", MCONTEXT_VERSION, *[g & 0xFFFFFFFF for g in gregs])
        fpu = m68k_fpu.fpu(uc, _module())
        if fpu is not None:  # fpregset: fpcr, fpsr, fpiar, then fp0-fp7
            ucontext += ABI.pack("3I", fpu.fpcr, fpu.fpsr, 0) + b"".join(fpu.read(i) for i in range(8))
        ucontext = ucontext.ljust(_UC_FILLER_AT, b"\0")
        ucontext = ucontext.ljust(_UC_SIGMASK_AT, b"\0") + f.sigset()
        frame = ABI.pack("IiII", restorer, f.sig, at + _RT_INFO_AT, at + _UC_AT) + _retcode(True)
        frame += f.siginfo() + ucontext
    else:
        at = f.place(SIGFRAME_SIZE, 8)
        mask = f.mask
        sc = ABI.pack("6IHIH", mask & 0xFFFFFFFF, sp, uc.reg_read(D[0]), uc.reg_read(D[1]),
                      uc.reg_read(A[0]), uc.reg_read(A[1]), sr & 0xFFFF, pc, 0)
        fpu = m68k_fpu.fpu(uc, _module())
        if fpu is not None:  # the call-clobbered fp0 and fp1, the control registers, an idle fsave frame
            sc += fpu.read(0) + fpu.read(1) + ABI.pack("3II", fpu.fpcr, fpu.fpsr, 0, _FSAVE_IDLE_68882)
        sc = sc.ljust(SIGCONTEXT_SIZE, b"\0")
        frame = ABI.pack("IiiI", restorer, f.sig, 0, at + _SC_AT) + _retcode(False)
        frame += ABI.pack("I", (mask >> 32) & 0xFFFFFFFF) + sc
    f.write(at, frame)
    uc.reg_write(REG_SP, at)
    uc.reg_write(PC, f.action.handler)


def restore_frame(thread, rt):
    uc = thread.uc
    at = uc.reg_read(REG_SP) - 4  # the handler's rts took pretcode
    sr = uc.reg_read(SR)
    if rt:
        data = frames.read_frame(thread, at + _UC_AT, UCONTEXT_SIZE)
        version, *gregs = ABI.unpack("i18I", data[_MC_VERSION_AT:])
        if version != MCONTEXT_VERSION:
            raise frames.FrameFault()  # the kernel's badframe: SIGSEGV
        uc.reg_write(SR, (sr & ~_SR_USER) | (gregs[17] & _SR_USER))  # before A7: an SR write may swap stacks
        for reg, value in zip(D + A[:7], gregs[:15]):
            uc.reg_write(reg, value)
        uc.reg_write(REG_SP, gregs[15])
        uc.reg_write(PC, gregs[16])
        fpu = m68k_fpu.fpu(uc, _module())
        if fpu is not None:
            at_fp = _GREGS_AT + 18 * 4
            fpu.fpcr, fpu.fpsr, _ = ABI.unpack("3I", data[at_fp:at_fp + 12])
            for i in range(8):
                fpu.write(i, data[at_fp + 12 + 12 * i:at_fp + 24 + 12 * i])
        return frames.unpack_sigset(ABI, data[_UC_SIGMASK_AT:])
    data = frames.read_frame(thread, at, SIGFRAME_SIZE)
    extramask = ABI.unpack("I", data[24:])[0]
    mask, usp, d0, d1, a0, a1, sc_sr, sc_pc, _ = ABI.unpack("6IHIH", data[_SC_AT:])
    uc.reg_write(SR, (sr & ~_SR_USER) | (sc_sr & _SR_USER))  # before A7: an SR write may swap stacks
    for reg, value in ((D[0], d0), (D[1], d1), (A[0], a0), (A[1], a1)):
        uc.reg_write(reg, value)
    uc.reg_write(REG_SP, usp)
    uc.reg_write(PC, sc_pc)
    fpu = m68k_fpu.fpu(uc, _module())
    sc_fp = _SC_AT + 32
    if fpu is not None and data[_SC_AT + 68]:  # an fsave frame other than null: the FPU state is there
        fpu.write(0, data[sc_fp:sc_fp + 12])
        fpu.write(1, data[sc_fp + 12:sc_fp + 24])
        fpu.fpcr, fpu.fpsr, _ = ABI.unpack("3I", data[sc_fp + 24:sc_fp + 36])
    return mask | extramask << 32


# ---- gdb: m68k-tdep's numbering (d0-d7 0..7, a0-a5 8..13, fp 14, sp 15, ps 16, pc 17,
# fp0-fp7 18..25 in the 68881's 96-bit format, fpcontrol, fpstatus, fpiaddr 26..28;
# the FPU feature is named coldfire.fp for every m68k, as gdb looks for it)
class _FpuRegister:
    """A gdb register in the FPU, which the API lacks (m68k_fpu.py), as a number (fp0-fp7:
    the 96-bit format's bytes, big-endian); None or False: unavailable."""

    def __init__(self, index):
        self.index = index  # 0-7 fpN, 8 fpcr, 9 fpsr, 10 fpiar

    def read(self, uc):
        fpu = m68k_fpu.fpu(uc, _module())
        if fpu is None:
            return None
        if self.index < 8:
            return int.from_bytes(fpu.read(self.index), "big")
        return (fpu.fpcr, fpu.fpsr, 0)[self.index - 8]  # qemu keeps no fpiar

    def write(self, uc, value):
        fpu = m68k_fpu.fpu(uc, _module())
        if fpu is None or self.index == 10:
            return False
        if self.index < 8:
            fpu.write(self.index, value.to_bytes(12, "big"))
        elif self.index == 8:
            fpu.fpcr = value
        else:
            fpu.fpsr = value
        return True


def _module():
    import sys
    return sys.modules[__name__]


GDB_ARCHITECTURE = "m68k:68020"
GDB_TYPES = ""
GDB_FEATURES = [
    ("org.gnu.gdb.m68k.core",
     [(f"d{i}", 32, D[i], "uint32", i) for i in range(8)]
     + [(f"a{i}", 32, A[i], "data_ptr", 8 + i) for i in range(6)]
     + [("fp", 32, A[6], "data_ptr", 14), ("sp", 32, A[7], "data_ptr", 15),
        ("ps", 32, SR, "uint32", 16), ("pc", 32, PC, "code_ptr", 17)]),
    ("org.gnu.gdb.coldfire.fp",
     [(f"fp{i}", 96, _FpuRegister(i), "float", 18 + i) for i in range(8)]
     + [("fpcontrol", 32, _FpuRegister(8), "int", 26), ("fpstatus", 32, _FpuRegister(9), "int", 27),
        ("fpiaddr", 32, _FpuRegister(10), "code_ptr", 28)]),
]

# ---- facts for the test programs (tests/conftest.py writes them as C macros) ----
TEST_C = {
    "ARCH_ILLEGAL": '__asm__ volatile("illegal")',
    "ARCH_BREAKPOINT": '__asm__ volatile("trap #15")',  # gdb's m68k-linux breakpoint
    "ARCH_GET_SP(v)": '__asm__ volatile("move.l %%sp, %0" : "=r"(v))',
    # past a faulting instruction (its length from its addressing modes); a trap #15's
    # frame PC is already past it
    "ARCH_SKIP_INSN(uc)": "do { unsigned short *pc_ = (unsigned short *)(uc)->uc_mcontext.gregs[16]; "
                          "if (pc_[-1] != 0x4e4f) (uc)->uc_mcontext.gregs[16] += pyqemu_m68k_insn_length(pc_); "
                          "} while (0)",
    # a symbol's run-time address, PC-relative (a freestanding PIE's GOT is unrelocated)
    "ARCH_ADDRESS_OF(sym)": '({ void *p_; __asm__("lea " #sym "(%%pc), %0" : "=a"(p_)); p_; })',
    "ARCH_SYSCALL3(n, a, b, c)": "({ register long d0 __asm__(\"%d0\") = (n); register long d1 __asm__(\"%d1\") = (a); "
                                 "register long d2 __asm__(\"%d2\") = (b); register long d3 __asm__(\"%d3\") = (c); "
                                 "__asm__ volatile(\"trap #0\" : \"+r\"(d0) : \"r\"(d1), \"r\"(d2), \"r\"(d3) : \"memory\"); d0; })",
    # code written at run time: moveq #n, %d0; rts
    "ARCH_CODE_RETURN(w, n)": "do { (w)[0] = 0x70004e75u | ((n) << 16); } while (0)",
    # moveq #1, %d0; move.l #2, %d0 (2 bytes in, 6 long: it crosses a page); rts
    "ARCH_CROSSING_CODE": '"\\x70\\x01\\x20\\x3c\\0\\0\\0\\x02\\x4e\\x75"',
    "ARCH_CROSSING_AT": "2",
    "ARCH_UC_PC(uc)": "((uc)->uc_mcontext.gregs[16])",
    # cas.l: the 68020/030 lock the bus for a misaligned operand rather than fault
    "ARCH_EXCLUSIVE_LOAD(p)": "({ unsigned long v_ = 0; __asm__ volatile(\"cas.l %0, %0, (%1)\" : \"+d\"(v_) "
                              ": \"a\"(p) : \"memory\", \"cc\"); v_; })",
    "ARCH_EXCLUSIVE_MAY_SPLIT": "1",
    # no ARCH_MISALIGNED_JUMP: code+2 is a halfword, where m68k instructions may start
    # what user mode may run (tests/guest/privileged.c): the status register's system
    # byte, control registers and stop are the supervisor's; the condition codes are not
    "ARCH_PRIVILEGED(T)": " ".join([
        'T("move to sr", SIGILL, __asm__ volatile("move.w %0, %%sr" :: "d"(0x2000)));',
        'T("ori to sr", SIGILL, __asm__ volatile("ori.w #0x0700, %%sr" ::: "cc"));',
        'T("move from sr", SIGILL, __asm__ volatile("move.w %%sr, %0" : "=d"(v)));',
        'T("movec vbr", SIGILL, __asm__ volatile("movec %%vbr, %0" : "=r"(v)));',
        'T("stop", SIGILL, __asm__ volatile("stop #0x2000"));',
        'T("move from ccr", 0, __asm__ volatile("move.w %%ccr, %0" : "=d"(v)));',
        'T("move to ccr", 0, __asm__ volatile("move.w %0, %%ccr" :: "d"(0)));',
    ]),
}
# the length of the instructions the tests make fault: `illegal`, a MOVE (two effective
# addresses) or any one-operand instruction (its effective address in the low six bits)
TEST_C_CODE = r"""
static inline int pyqemu_m68k_ea_ext(int mode, int reg, int size)
{
    if (mode == 5 || mode == 6) return 2;
    if (mode == 7) return reg == 1 ? 4 : reg == 4 ? (size == 4 ? 4 : 2) : reg <= 3 ? 2 : 0;
    return 0;
}
static inline unsigned long pyqemu_m68k_insn_length(const unsigned short *p)
{
    unsigned op = p[0];
    if (op == 0x4afc)  /* illegal: no operand */
        return 2;
    unsigned size = (op >> 12) & 3;
    if ((op >> 14) == 0 && size) {
        int bytes = size == 1 ? 1 : size == 3 ? 2 : 4;
        return 2 + pyqemu_m68k_ea_ext((op >> 3) & 7, op & 7, bytes) + pyqemu_m68k_ea_ext((op >> 6) & 7, (op >> 9) & 7, bytes);
    }
    return 2 + pyqemu_m68k_ea_ext((op >> 3) & 7, op & 7, 4);
}
"""
