"""i386 (IA-32, i686 userlands): what an x86-64 kernel gives a 32-bit process.

The kernel emulated is the one this host runs (x86-64, with IA32 emulation),
which is also the reference every test compares with: 32-bit programs run
natively here. So the GDT is the 64-bit kernel's (CS 0x23, SS/DS/ES 0x2b, TLS
entries 12-14, %gs 0x63 for glibc's thread pointer), uname says x86_64, the
frames and AT_MINSIGSTKSZ are the compat ones.
"""
import errno
import struct

from ..abi import Abi
from ..errors import GuestError
from ..signals import frames
from ..syscalls.argtypes import Int, Ptr, Size
from ..syscalls.convention import Convention
from ..syscalls.registry import arch_syscall
from ..uclib import constants
from . import x86_64, x86_features, x86_fpu, x86_machine, x86_traps

X = constants("x86_const")
_UC = constants("unicorn_const")

NAME = "i386"
TRIPLE = "i686-linux-gnu"
DEBIAN_ARCH = "i386"
DEBIAN_ROOTFS = True
HOST_NATIVE = True
ALIASES = ("i686", "x86", "ia32")
GO_ENV = {"GOARCH": "386"}
# long long members 4-aligned (stat64, flock64, epoll_event: 12 bytes), the old
# struct stat with 16-bit ids, old mmap and select taking a pointer to their arguments
ABI = Abi("i386", 32, "little", max_align=4,
          layouts={"stat": "legacy32", "stat64": "legacy"},
          quirks=("old_mmap", "old_select", "time32", "uid16"))
ELF_MACHINE = 3  # EM_386
ELF_CLASS = 32
UNAME_MACHINE = "x86_64"  # the kernel's: a 32-bit process on x86-64 sees the 64-bit machine
INTERPRETERS = ("/lib/ld-linux.so.2",)
# User space ends at the top of the 4 GiB the guest's 32-bit addresses reach (the
# kernel's IA32_PAGE_OFFSET is 0xffffe000), less each CPU's private area: descriptor
# tables must lie within 4 GiB (a 32-bit GDTR), so it takes the top 128 KiB.
TASK_SIZE = 0xFFFE0000
ADDRESS_SPACE_SIZE = 1 << 32
PRIVATE_PAGE = TASK_SIZE
CPU_PRIVATE = (PRIVATE_PAGE, PRIVATE_PAGE + x86_machine.PRIVATE_SIZE)
CODE_CHANGES_HEARD = False  # a coherent I-cache: programs rewrite code without a word

UC_ARCH, UC_MODE = _UC.UC_ARCH_X86, _UC.UC_MODE_32
CPU_MODELS = x86_64.CPU_MODELS
DEFAULT_CPU = "max"
CS_ARCH, CS_MODE = 3, 4  # capstone: CS_ARCH_X86, CS_MODE_32

REG_PC, REG_SP = X.UC_X86_REG_EIP, X.UC_X86_REG_ESP
# env->regs in the CPU state's order; Unicorn keeps them 64-bit wide in every mode
# (its x86 is one x86-64 build): 8-byte slots, a 32-bit guest uses the low halves
GPR_IDS = (X.UC_X86_REG_EAX, X.UC_X86_REG_ECX, X.UC_X86_REG_EDX, X.UC_X86_REG_EBX, X.UC_X86_REG_ESP,
           X.UC_X86_REG_EBP, X.UC_X86_REG_ESI, X.UC_X86_REG_EDI)
GPR_SLOT_BYTES = 8

# Measured: int 0x80 arrives as intno 0x80 with the PC past it (+2).
CONVENTION = Convention(
    number=X.UC_X86_REG_EAX, result=X.UC_X86_REG_EAX, intno=0x80, insn_size=2, pairs="unaligned",
    args=(X.UC_X86_REG_EBX, X.UC_X86_REG_ECX, X.UC_X86_REG_EDX, X.UC_X86_REG_ESI, X.UC_X86_REG_EDI,
          X.UC_X86_REG_EBP))
EXCEPTIONS = x86_traps.EXCEPTIONS
FAULT_PC_ADJUST = 0
PLATFORM = "i686"
MINSIGSTKSZ = x86_64.MINSIGSTKSZ  # the same kernel's figure


def prepare(uc):
    x86_machine.attach(uc, PRIVATE_PAGE)


def initial_registers(uc, entry, sp):
    """execve's state: privilege level 3, CS 0x23, SS/DS/ES 0x2b, every other register 0."""
    x86_machine.enter_user_mode(uc, long_mode=False)
    uc.reg_write(X.UC_X86_REG_EIP, entry)
    uc.reg_write(X.UC_X86_REG_ESP, sp)


def copy_cpu(child, parent):
    child.uc.context_restore(parent.uc.context_save())
    x86_machine.copy_private(child.uc, parent.uc)


def set_thread_pointer(uc, thread, value):
    """clone's CLONE_SETTLS on i386: `tls` is a struct user_desc for one of the new
    thread's TLS entries (do_set_thread_area with no allocation: the entry must be
    named); a segment register selecting it takes the new base."""
    x86_machine.set_thread_area(uc, thread.space, value, can_allocate=False)


hwcaps = x86_features.hwcaps
cpuinfo = x86_features.cpuinfo


def handle_fault(thread, fault):
    """A CPU fault as the kernel's signal for it (x86_traps); none is the kernel's own business."""
    x86_traps.annotate(thread, fault)
    return False


def emulate_trapped(uc, insn):
    return False


def undecodable(insn):
    return "SIGILL"


# ---- private syscalls ------------------------------------------------------------------

SYSCALLS = {}


@arch_syscall(SYSCALLS, name="set_thread_area")
def set_thread_area(t, u_info: Ptr):
    return x86_machine.set_thread_area(t.uc, t.space, u_info)


@arch_syscall(SYSCALLS, name="get_thread_area")
def get_thread_area(t, u_info: Ptr):
    return x86_machine.get_thread_area(t.uc, t.space, u_info)


@arch_syscall(SYSCALLS, name="modify_ldt")
def modify_ldt(t, func: Int, ptr: Ptr, count: Size):
    return x86_machine.modify_ldt(t, func, ptr, count, 128)  # read_default_ldt's size on a 64-bit kernel


@arch_syscall(SYSCALLS, name="arch_prctl")
def arch_prctl(t, code: Int, addr: Ptr):
    """A 32-bit process has the codes every x86 process has (CPUID, xstate), not FS/GS."""
    return x86_64.arch_prctl_common(t, code, addr)


@arch_syscall(SYSCALLS, name="vm86old")
def vm86old(t, info: Ptr):
    raise GuestError(errno.ENOSYS)  # virtual 8086 mode does not exist for a process of a 64-bit kernel


@arch_syscall(SYSCALLS, name="vm86")
def vm86(t, cmd: Int, arg: Ptr):
    raise GuestError(errno.ENOSYS)


# ---- signal frames (arch/x86/kernel/signal_32.c, as an x86-64 kernel builds them) ---
# sigframe_ia32 { u32 pretcode; int sig; struct sigcontext_32 sc; struct _fpstate_32
#   fpstate_unused; u32 extramask[1]; char retcode[8]; }            (732 bytes)
# rt_sigframe_ia32 { u32 pretcode; int sig; u32 pinfo; u32 puc; compat_siginfo_t info;
#   struct ucontext_ia32 uc; char retcode[8]; }                      (268 bytes)
# ucontext_ia32 { u32 uc_flags; u32 uc_link; compat_stack_t uc_stack; struct
#   sigcontext_32 uc_mcontext; compat_sigset_t uc_sigmask; }
# sigcontext_32 { u16 gs, __gsh, fs, __fsh, es, __esh, ds, __dsh; u32 di, si, bp, sp, bx,
#   dx, cx, ax, trapno, err, ip; u16 cs, __csh; u32 flags, sp_at_signal; u16 ss, __ssh;
#   u32 fpstate, oldmask, cr2; }                                      (88 bytes)
# Below the frame: the fsave image (112 bytes), then the 64-aligned xsave area.

SIGNAL_REDZONE = 0
SIGCONTEXT_SIZE = 88
SIGFRAME_SIZE = 732
RT_SIGFRAME_SIZE = 268
_FPSTATE_UNUSED_SIZE = 624
_UCONTEXT_AT = 16 + frames.SIGINFO_SIZE      # in the rt frame
_UC_MCONTEXT_AT = 20                          # in the ucontext
_UC_SIGMASK_AT = _UC_MCONTEXT_AT + SIGCONTEXT_SIZE
_SC_REGS = (X.UC_X86_REG_EDI, X.UC_X86_REG_ESI, X.UC_X86_REG_EBP, X.UC_X86_REG_ESP, X.UC_X86_REG_EBX,
            X.UC_X86_REG_EDX, X.UC_X86_REG_ECX, X.UC_X86_REG_EAX)
# FIX_EFLAGS (with NT for a 32-bit frame)
FIX_EFLAGS = x86_64.FIX_EFLAGS | 0x4000
FRAME_LAYOUT = {("ucontext_t", "uc_mcontext"): _UC_MCONTEXT_AT, ("ucontext_t", "uc_sigmask"): _UC_SIGMASK_AT,
                ("mcontext_t", None): SIGCONTEXT_SIZE}
# __kernel_sigreturn and __kernel_rt_sigreturn of the kernel's 32-bit vDSO, for handlers
# without SA_RESTORER (glibc always gives one): popl %eax; movl $119, %eax; int $0x80 and
# movl $173, %eax; int $0x80
TRAMPOLINES = {"sigreturn": b"\x58\xb8\x77\x00\x00\x00\xcd\x80",
               "rt_sigreturn": b"\xb8\xad\x00\x00\x00\xcd\x80"}
_RETCODE = {False: b"\x58\xb8\x77\x00\x00\x00\xcd\x80", True: b"\xb8\xad\x00\x00\x00\xcd\x80\x00"}


def _sigcontext(uc, thread, mask, fpstate):
    regs = [uc.reg_read(r) & 0xFFFFFFFF for r in _SC_REGS]
    trapno, err, cr2 = x86_traps.last_trap(thread)
    seg = [uc.reg_read(r) for r in (X.UC_X86_REG_GS, X.UC_X86_REG_FS, X.UC_X86_REG_ES, X.UC_X86_REG_DS)]
    return struct.pack("<4I8I3II2II3I", *seg, *regs, trapno, err & 0xFFFFFFFF,
                       uc.reg_read(X.UC_X86_REG_EIP) & 0xFFFFFFFF, uc.reg_read(X.UC_X86_REG_CS),
                       uc.reg_read(X.UC_X86_REG_EFLAGS) & 0xFFFFFFFF, uc.reg_read(X.UC_X86_REG_ESP) & 0xFFFFFFFF,
                       uc.reg_read(X.UC_X86_REG_SS), fpstate, mask & 0xFFFFFFFF, cr2 & 0xFFFFFFFF)


def setup_frame(f):
    uc = f.uc
    fsave = x86_fpu.fsave_header(uc, uc.reg_read(X.UC_X86_REG_CS), uc.reg_read(X.UC_X86_REG_DS))
    xstate = x86_fpu.xsave_image(uc, False, True)
    buf_fx = (f.top - len(xstate)) & ~63
    fpstate = buf_fx - len(fsave)
    size = RT_SIGFRAME_SIZE if f.rt else SIGFRAME_SIZE
    at = ((fpstate - size + 4) & ~15) - 4
    if f.space.accessible(at, f.top - at, 2) < f.top - at:
        raise frames.FrameFault()
    if f.restorer is not None:
        restorer = f.restorer
    else:
        restorer = f.thread.process.trampolines["rt_sigreturn" if f.rt else "sigreturn"]
    context = _sigcontext(uc, f.thread, f.mask, fpstate)
    if f.rt:
        info_at, uc_at = at + 16, at + _UCONTEXT_AT
        ucontext = struct.pack("<II", x86_64.UC_FP_XSTATE, 0) + f.stack_t() + context + f.sigset()
        frame = struct.pack("<IiII", restorer, f.sig, info_at, uc_at) + f.siginfo() + ucontext + _RETCODE[True]
    else:
        frame = struct.pack("<Ii", restorer, f.sig) + context
        f.write(at + len(frame) + _FPSTATE_UNUSED_SIZE, struct.pack("<I", (f.mask >> 32) & 0xFFFFFFFF)
                + _RETCODE[False])
    f.write(at, frame)
    f.write(fpstate, fsave + bytes(buf_fx - fpstate - len(fsave)) + xstate)
    uc.reg_write(X.UC_X86_REG_ESP, at)
    uc.reg_write(X.UC_X86_REG_EIP, f.action.handler)
    uc.reg_write(X.UC_X86_REG_EAX, f.sig)
    uc.reg_write(X.UC_X86_REG_EDX, at + 16 if f.rt else 0)
    uc.reg_write(X.UC_X86_REG_ECX, at + _UCONTEXT_AT if f.rt else 0)
    uc.reg_write(X.UC_X86_REG_DS, x86_machine.USER_DS)
    uc.reg_write(X.UC_X86_REG_ES, x86_machine.USER_DS)
    uc.reg_write(X.UC_X86_REG_EFLAGS, uc.reg_read(X.UC_X86_REG_EFLAGS) & ~(0x400 | 0x10000 | 0x100))  # DF RF TF
    x86_fpu.reset(uc, False)


def restore_frame(thread, rt):
    """sigreturn: the sigframe is at ESP - 8 (the handler returned, popping pretcode,
    and the restorer popped sig); rt_sigreturn: the rt frame at ESP - 4."""
    uc = thread.uc
    sp = uc.reg_read(X.UC_X86_REG_ESP) & 0xFFFFFFFF
    if rt:
        at = sp - 4
        uc_data = frames.read_frame(thread, at + _UCONTEXT_AT, _UC_SIGMASK_AT + 8)
        sc = uc_data[_UC_MCONTEXT_AT:_UC_MCONTEXT_AT + SIGCONTEXT_SIZE]
        mask = frames.unpack_sigset(ABI, uc_data[_UC_SIGMASK_AT:_UC_SIGMASK_AT + 8])
    else:
        at = sp - 8
        data = frames.read_frame(thread, at, SIGFRAME_SIZE)
        sc = data[8:8 + SIGCONTEXT_SIZE]
        extra = struct.unpack_from("<I", data, 8 + SIGCONTEXT_SIZE + _FPSTATE_UNUSED_SIZE)[0]
        mask = struct.unpack_from("<I", sc, 80)[0] | extra << 32
    values = struct.unpack("<4I8I3II2II3I", sc)
    gs, fs, es, ds = values[:4]
    for reg, value in zip(_SC_REGS, values[4:12]):
        uc.reg_write(reg, value)
    eip, cs, eflags, _sp_at_signal, ss, fpstate = values[14:20]
    uc.reg_write(X.UC_X86_REG_EIP, eip)
    uc.reg_write(X.UC_X86_REG_EFLAGS, (uc.reg_read(X.UC_X86_REG_EFLAGS) & ~FIX_EFLAGS) | (eflags & FIX_EFLAGS))
    # reload_segments: the data segments the handler changed (CPL 3 forced); a bad
    # selector is the kernel's bad frame
    for reg, value in ((X.UC_X86_REG_GS, gs), (X.UC_X86_REG_FS, fs), (X.UC_X86_REG_DS, ds), (X.UC_X86_REG_ES, es)):
        value &= 0xFFFF
        if value & 0xFFFC:
            value |= 3
        if uc.reg_read(reg) != value:
            try:
                uc.reg_write(reg, value)
            except Exception:
                raise frames.FrameFault() from None
    if fpstate:
        fsave = frames.read_frame(thread, fpstate, x86_fpu.FSAVE_HEADER_SIZE)
        area = frames.read_frame(thread, fpstate + x86_fpu.FSAVE_HEADER_SIZE, x86_fpu.XSTATE_SIZE)
        x86_fpu.restore(uc, False, area, legacy_x87=fsave)
    else:
        x86_fpu.reset(uc, False)
    return mask


# ---- gdb (usermode/gdb/targetxml.py): gdb's i386 Linux features ----------------------
GDB_ARCHITECTURE = "i386"
_GDB_GPRS = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi")
_GDB_TYPES = {"esp": "data_ptr", "ebp": "data_ptr"}
GDB_TYPES = x86_64.GDB_TYPES
GDB_FEATURES = x86_machine.gdb_features(32, _GDB_GPRS, GPR_IDS, _GDB_TYPES, X.UC_X86_REG_EIP, "eip", 8)

# ---- facts for the test programs (tests/conftest.py writes them as C macros) ----
TEST_C = {
    "ARCH_ILLEGAL": '__asm__ volatile("ud2")',
    "ARCH_BREAKPOINT": '__asm__ volatile("int3")',
    "ARCH_GET_SP(v)": '__asm__ volatile("mov %%esp, %0" : "=r"(v))',
    "ARCH_ILL_CODE": "ILL_ILLOPN",
    "ARCH_UC_PC(uc)": "((uc)->uc_mcontext.gregs[REG_EIP])",
    "ARCH_SKIP_INSN(uc)": "do { greg_t *g_ = (uc)->uc_mcontext.gregs; "
                          "if (g_[REG_TRAPNO] == 6) g_[REG_EIP] += 2; "
                          "else if (g_[REG_TRAPNO] != 3) g_[REG_EIP] += pyqemu_x86_insn_length((const unsigned char *)g_[REG_EIP], 0); "
                          "} while (0)",
    "ARCH_SYSCALL3(n, a, b, c)": "({ long r_; __asm__ volatile(\"int $0x80\" : \"=a\"(r_) : \"a\"(n), \"b\"(a), \"c\"(b), "
                                 "\"d\"(c) : \"memory\"); r_; })",
    **x86_64.X86_CODE_FACTS,
}
TEST_C_CODE = x86_64.TEST_C_CODE
