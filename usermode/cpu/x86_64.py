"""x86-64 (amd64), little-endian, lp64: what an x86-64 Linux kernel gives a 64-bit process.

This host is x86-64 too: the guest's kernel ABI is the host's (the same generated
table, usermode/tables/x86_64.py, and the same struct layouts), and every test of
this guest compares with the program run natively. The host side of every
syscall is still reached only through the host ABI (syscalls/handlers/hostcall.py),
never through this module.
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
from . import x86_features, x86_fpu, x86_machine, x86_traps

X = constants("x86_const")
_UC = constants("unicorn_const")

NAME = "x86_64"
TRIPLE = "x86_64-linux-gnu"
DEBIAN_ARCH = "amd64"
DEBIAN_ROOTFS = True
HOST_NATIVE = True
ALIASES = ("amd64", "x86-64")
GO_ENV = {"GOARCH": "amd64"}
# x86-64's own struct stat (st_nlink before st_mode), its packed epoll_event (12 bytes) and
# semid64_ds (a spare word after each time)
ABI = Abi("x86_64", 64, "little", layouts={"stat": "x86_64", "epoll_event": "packed", "semid_ds": "x86_64"},
          quirks=("clone_tls_last",))
ELF_MACHINE = 62  # EM_X86_64
ELF_CLASS = 64
UNAME_MACHINE = "x86_64"
INTERPRETERS = ("/lib64/ld-linux-x86-64.so.2",)
# The kernel's user range ends at 0x7ffffffff000 (47 bits); the reservation that
# backs the guest cannot span that much of this host's own 47 bits, so the guest's
# range stops at 1 TiB (Go's arena hints start at 0xc000000000, below it).
TASK_SIZE = 1 << 40
PRIVATE_PAGE = TASK_SIZE  # each CPU's GDT, LDT and boot code (x86_machine), outside the guest's range
CPU_PRIVATE = (PRIVATE_PAGE, PRIVATE_PAGE + x86_machine.PRIVATE_SIZE)
CODE_CHANGES_HEARD = False  # a coherent I-cache: programs rewrite code without a word

UC_ARCH, UC_MODE = _UC.UC_ARCH_X86, _UC.UC_MODE_64
CPU_MODELS = dict(x86_features.MODELS)
# the model with the most features Unicorn executes (tests/test_x86.py checks them all)
CPU_MODELS["max"] = CPU_MODELS["Skylake-Client"]
DEFAULT_CPU = "max"
CS_ARCH, CS_MODE = 3, 8  # capstone: CS_ARCH_X86, CS_MODE_64

REG_PC, REG_SP = X.UC_X86_REG_RIP, X.UC_X86_REG_RSP
# env->regs[16] in the CPU state's order: rax rcx rdx rbx rsp rbp rsi rdi r8..r15
GPR_IDS = (X.UC_X86_REG_RAX, X.UC_X86_REG_RCX, X.UC_X86_REG_RDX, X.UC_X86_REG_RBX, X.UC_X86_REG_RSP,
           X.UC_X86_REG_RBP, X.UC_X86_REG_RSI, X.UC_X86_REG_RDI) + tuple(X.UC_X86_REG_R8 + i for i in range(8))
GPR_SLOT_BYTES = 8

# Measured: `syscall` reaches Unicorn's instruction hook (UC_X86_INS_SYSCALL) with the
# PC still on it; Unicorn moves it past (+2) after the hook returns. So a restarted
# call needs no rewind (insn_size 0): the PC a deferred write sets is the instruction's.
CONVENTION = Convention(
    number=X.UC_X86_REG_RAX, result=X.UC_X86_REG_RAX, entry=("insn", X.UC_X86_INS_SYSCALL), insn_size=0,
    args=(X.UC_X86_REG_RDI, X.UC_X86_REG_RSI, X.UC_X86_REG_RDX, X.UC_X86_REG_R10, X.UC_X86_REG_R8,
          X.UC_X86_REG_R9))
EXCEPTIONS = x86_traps.EXCEPTIONS
FAULT_PC_ADJUST = 0
PLATFORM = "x86_64"
MINSIGSTKSZ = x86_features.minsigstksz(x86_fpu.XSTATE_SIZE)


def prepare(uc):
    x86_machine.attach(uc, PRIVATE_PAGE)


def initial_registers(uc, entry, sp):
    """execve's state: privilege level 3, CS 0x33, SS 0x2b, every other register 0."""
    x86_machine.enter_user_mode(uc, long_mode=True)
    uc.reg_write(X.UC_X86_REG_RIP, entry)
    uc.reg_write(X.UC_X86_REG_RSP, sp)


def copy_cpu(child, parent):
    """clone, inside the parent's `syscall`: the copy's PC is still on the instruction
    (Unicorn moves the parent's past it after the hook), the child's must be past it."""
    child.uc.context_restore(parent.uc.context_save())
    x86_machine.copy_private(child.uc, parent.uc)
    child.uc.reg_write(X.UC_X86_REG_RIP, parent.uc.reg_read(X.UC_X86_REG_RIP) + 2)


def set_thread_pointer(uc, thread, value):
    """clone's CLONE_SETTLS on x86-64: the new thread's FS base (ARCH_SET_FS)."""
    uc.reg_write(X.UC_X86_REG_FS, 0)
    uc.reg_write(X.UC_X86_REG_FS_BASE, value)


def hwcaps(uc):
    return x86_features.hwcaps(uc)


cpuinfo = x86_features.cpuinfo


def emulate_trapped(uc, insn):
    return False


def undecodable(insn):
    return "SIGILL"


# ---- the syscall instruction's own effects -------------------------------------------

def syscall_entry(thread, on_syscall):
    """`syscall` puts the return address in RCX and RFLAGS in R11 (the kernel returns
    with sysret, which needs them): Unicorn's hook leaves both alone, so they are set
    here, before the call (a rt_sigreturn then restores them from the frame)."""
    from .. import raw
    regs = raw.ShadowRegisters(thread.handle, (X.UC_X86_REG_RIP, X.UC_X86_REG_EFLAGS, X.UC_X86_REG_RCX,
                                               X.UC_X86_REG_R11), indices=(0, 1), result_indices=(2, 3))
    load, store, view = regs.load, regs.store, regs.view

    def entry():
        load()
        view[2] = (view[0] + 2) & 0xFFFFFFFFFFFFFFFF
        view[3] = view[1]
        store()
        on_syscall()
    entry._keep = regs
    return entry


# ---- faults: the kernel's signals, and the legacy vsyscall page ---------------------

VSYSCALL_PAGE = 0xFFFFFFFFFF600000
_VSYSCALLS = {0x000: "gettimeofday", 0x400: "time", 0x800: "getcpu"}


def handle_fault(thread, fault):
    """True when the fault was a call into the vsyscall page the kernel emulates;
    otherwise the fault becomes the kernel's signal for it (x86_traps)."""
    if fault.signal == "SIGSEGV" and fault.pc is not None and fault.address is not None \
            and VSYSCALL_PAGE <= fault.address < VSYSCALL_PAGE + 4096:
        if fault.what.startswith("fetch"):
            outcome = _emulate_vsyscall(thread, fault)
            if outcome is True:
                return True
            if outcome == "sigsegv":  # the kernel's force_sig(SIGSEGV): no address, the last trap kept
                fault.code, fault.address, fault.what = "SI_KERNEL", None, "bad vsyscall"
                return False
            if outcome == "kernel address":
                return False
        # the page is present (execute-only): a refused access has the P bit in its error code
        x86_traps.annotate(thread, fault)
        trapno, err, cr2 = thread.x86_trap
        thread.x86_trap = (trapno, err | x86_traps.PF_PROT, cr2)
        return False
    x86_traps.annotate(thread, fault)
    return False


def _emulate_vsyscall(thread, fault):
    """The kernel's emulate_vsyscall (arch/x86/entry/vsyscall/vsyscall_64.c): a call
    to one of the page's three entry points runs that syscall and returns to the
    caller (the return address popped, the result in RAX): True. "sigsegv" (SIGSEGV,
    SI_KERNEL, the PC left on the page) for a fetch elsewhere in the page, an
    unreadable return address, or a call that failed with EFAULT (a bad pointer). A
    pointer beyond user space is the kernel's write_ok_or_segv: SIGSEGV at that
    address, False."""
    from ..syscalls.dispatch import general_call
    from ..syscalls.registry import lookup
    uc = thread.uc
    name = _VSYSCALLS.get(fault.pc - VSYSCALL_PAGE)
    if name is None:
        return "sigsegv"
    sp = uc.reg_read(X.UC_X86_REG_RSP)
    try:
        (caller,) = struct.unpack("<Q", thread.space.read(sp, 8))
    except GuestError:
        return "sigsegv"
    args = [uc.reg_read(r) for r in CONVENTION.args[:3]]
    sizes = {"gettimeofday": (16, 8), "time": (8,), "getcpu": (4, 4)}[name]
    for address, size in zip(args, sizes):
        if address and address + size > 0x7FFFFFFFF000:
            fault.address, fault.what, fault.code = address, "write to unmapped", "SEGV_MAPERR"
            thread.x86_trap = (x86_traps.PF, x86_traps.PF_USER | x86_traps.PF_WRITE, address)
            fault.intno = None
            return "kernel address"
    decl = lookup(name, ABI)
    try:
        result = general_call(decl, ABI)(thread, args[:len(decl.params)])
        result = 0 if result is None else result
    except GuestError as e:
        result = -ABI.errno.to_guest(e.errno)
    except OSError as e:
        result = -ABI.errno.to_guest(e.errno or errno.EIO)
    if result == -ABI.errno.to_guest(errno.EFAULT):
        return "sigsegv"
    uc.reg_write(X.UC_X86_REG_RAX, result & ABI.word_mask)
    uc.reg_write(X.UC_X86_REG_RSP, sp + 8)
    uc.reg_write(X.UC_X86_REG_RIP, caller)
    return True


def extra_maps():
    """The lines /proc/self/maps ends with that no mapping of ours stands for."""
    head = f"{VSYSCALL_PAGE:08x}-{VSYSCALL_PAGE + 4096:08x} --xp 00000000 00:00 0"
    return [f"{head:<72} [vsyscall]"]


# ---- private syscalls: arch_prctl, the TLS and LDT descriptors -----------------------

SYSCALLS = {}
ARCH_SET_GS, ARCH_SET_FS, ARCH_GET_FS, ARCH_GET_GS = 0x1001, 0x1002, 0x1003, 0x1004
ARCH_GET_CPUID, ARCH_SET_CPUID = 0x1011, 0x1012
ARCH_GET_XCOMP_SUPP, ARCH_GET_XCOMP_PERM, ARCH_REQ_XCOMP_PERM = 0x1021, 0x1022, 0x1023
ARCH_GET_XCOMP_GUEST_PERM, ARCH_REQ_XCOMP_GUEST_PERM = 0x1024, 0x1025


def arch_prctl_common(t, code, addr):
    """The codes both x86 ABIs have (do_arch_prctl_common)."""
    if code == ARCH_GET_CPUID:
        return 1  # cpuid is never made to fault here
    if code == ARCH_SET_CPUID:
        raise GuestError(errno.ENODEV)  # as on a CPU without CPUID faulting
    if code in (ARCH_GET_XCOMP_SUPP, ARCH_GET_XCOMP_PERM, ARCH_GET_XCOMP_GUEST_PERM):
        t.space.write(addr, struct.pack("<Q", x86_fpu.XFEATURES))
        return 0
    if code in (ARCH_REQ_XCOMP_PERM, ARCH_REQ_XCOMP_GUEST_PERM):
        if addr >= 64:
            raise GuestError(errno.EINVAL)
        if not x86_fpu.XFEATURES >> addr & 1:
            raise GuestError(errno.EOPNOTSUPP)
        return 0
    raise GuestError(errno.EINVAL)


@arch_syscall(SYSCALLS, name="arch_prctl")
def arch_prctl(t, code: Int, addr: Ptr):
    uc = t.uc
    if code in (ARCH_SET_FS, ARCH_SET_GS):
        if addr >= 0x7FFFFFFFF000:  # TASK_SIZE_MAX: a kernel address
            raise GuestError(errno.EPERM)
        seg, base = (X.UC_X86_REG_FS, X.UC_X86_REG_FS_BASE) if code == ARCH_SET_FS else \
            (X.UC_X86_REG_GS, X.UC_X86_REG_GS_BASE)
        uc.reg_write(seg, 0)
        uc.reg_write(base, addr)
        return 0
    if code in (ARCH_GET_FS, ARCH_GET_GS):
        base = uc.reg_read(X.UC_X86_REG_FS_BASE if code == ARCH_GET_FS else X.UC_X86_REG_GS_BASE)
        t.space.write(addr, struct.pack("<Q", base))
        return 0
    return arch_prctl_common(t, code, addr)


# The GDT's TLS entries are a 32-bit process's business: a 64-bit one gets ENOSYS
# (measured on this host's x86-64 kernel), as qemu-user gives it too.
@arch_syscall(SYSCALLS, name="set_thread_area")
def set_thread_area(t, u_info: Ptr):
    raise GuestError(errno.ENOSYS)


@arch_syscall(SYSCALLS, name="get_thread_area")
def get_thread_area(t, u_info: Ptr):
    raise GuestError(errno.ENOSYS)


@arch_syscall(SYSCALLS, name="modify_ldt")
def modify_ldt(t, func: Int, ptr: Ptr, count: Size):
    # the kernel returns an int in RAX, not sign-extended: an error is 2**32 - errno
    try:
        return x86_machine.modify_ldt(t, func, ptr, count, 128)
    except GuestError as e:
        return -ABI.errno.to_guest(e.errno) & 0xFFFFFFFF


# ---- signal frames (arch/x86/kernel/signal_64.c, signal.c, fpu/signal.c) ------------
# rt_sigframe { char *pretcode; struct ucontext uc; struct siginfo info; } below the
# FPU state (xsave area, 64-aligned), the frame aligned so that (sp + 8) % 16 == 0 at
# the handler's entry, 128 bytes of red zone skipped first.
# ucontext { ulong uc_flags; ucontext *uc_link; stack_t uc_stack; struct sigcontext
# uc_mcontext; sigset_t uc_sigmask; } with sigcontext { r8..r15, rdi, rsi, rbp, rbx,
# rdx, rax, rcx, rsp, rip, eflags; u16 cs, gs, fs, ss; err, trapno, oldmask, cr2,
# fpstate, reserved1[8] }.

SIGNAL_REDZONE = 128
UC_FP_XSTATE, UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS = 1, 2, 4
_MCONTEXT_AT = 40          # in the ucontext
_SIGMASK_AT = 296
UCONTEXT_SIZE = 304
SIGCONTEXT_SIZE = 256
RT_SIGFRAME_SIZE = 8 + UCONTEXT_SIZE + frames.SIGINFO_SIZE
_SC_REGS = (X.UC_X86_REG_R8, X.UC_X86_REG_R9, X.UC_X86_REG_R10, X.UC_X86_REG_R11, X.UC_X86_REG_R12,
            X.UC_X86_REG_R13, X.UC_X86_REG_R14, X.UC_X86_REG_R15, X.UC_X86_REG_RDI, X.UC_X86_REG_RSI,
            X.UC_X86_REG_RBP, X.UC_X86_REG_RBX, X.UC_X86_REG_RDX, X.UC_X86_REG_RAX, X.UC_X86_REG_RCX,
            X.UC_X86_REG_RSP, X.UC_X86_REG_RIP)
# the flags sigreturn takes from the frame (FIX_EFLAGS): AC OF DF TF SF ZF AF PF CF RF
FIX_EFLAGS = 0x40000 | 0x800 | 0x400 | 0x100 | 0x80 | 0x40 | 0x10 | 0x4 | 0x1 | 0x10000
FRAME_LAYOUT = {("ucontext_t", "uc_mcontext"): _MCONTEXT_AT, ("ucontext_t", "uc_sigmask"): _SIGMASK_AT,
                ("mcontext_t", None): SIGCONTEXT_SIZE, ("struct _libc_fpstate", None): x86_fpu.FXSAVE_SIZE}
TRAMPOLINES = {}  # x86-64 handlers always return through their SA_RESTORER (glibc's __restore_rt)


def sigcontext(uc, thread, mask, fpstate):
    regs = [uc.reg_read(r) for r in _SC_REGS]
    trapno, err, cr2 = x86_traps.last_trap(thread)
    return struct.pack("<17QQHHHHQQQQQ64x", *regs, uc.reg_read(X.UC_X86_REG_EFLAGS),
                       uc.reg_read(X.UC_X86_REG_CS), uc.reg_read(X.UC_X86_REG_GS), uc.reg_read(X.UC_X86_REG_FS),
                       uc.reg_read(X.UC_X86_REG_SS), err, trapno, mask & ABI.word_mask, cr2, fpstate)


def setup_frame(f):
    uc = f.uc
    if f.restorer is None:  # "x86-64 should always use SA_RESTORER": the kernel's frame setup fails
        raise frames.FrameFault()
    xstate = x86_fpu.xsave_image(uc, True, False)
    fpstate = (f.top - len(xstate)) & ~63
    at = ((fpstate - RT_SIGFRAME_SIZE) & ~15) - 8
    if f.space.accessible(at, f.top - at, 2) < f.top - at:
        raise frames.FrameFault()
    uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS
    ucontext = struct.pack("<QQ", uc_flags, 0) + f.stack_t() + \
        sigcontext(uc, f.thread, f.mask, fpstate) + f.sigset()
    f.write(at, struct.pack("<Q", f.restorer) + ucontext)
    if f.rt:  # without SA_SIGINFO the kernel leaves the frame's siginfo as the stack had it
        f.write(at + 8 + UCONTEXT_SIZE, f.siginfo())
    f.write(fpstate, xstate)
    uc.reg_write(X.UC_X86_REG_RDI, f.sig)
    uc.reg_write(X.UC_X86_REG_RAX, 0)
    uc.reg_write(X.UC_X86_REG_RSI, at + 8 + UCONTEXT_SIZE)
    uc.reg_write(X.UC_X86_REG_RDX, at + 8)
    uc.reg_write(X.UC_X86_REG_RSP, at)
    uc.reg_write(X.UC_X86_REG_RIP, f.action.handler)
    uc.reg_write(X.UC_X86_REG_EFLAGS, uc.reg_read(X.UC_X86_REG_EFLAGS) & ~(0x400 | 0x10000 | 0x100))  # DF RF TF
    x86_fpu.reset(uc, True)


def restore_frame(thread, rt):
    """rt_sigreturn: the frame is at RSP - 8 (the handler's ret popped pretcode)."""
    uc = thread.uc
    at = uc.reg_read(X.UC_X86_REG_RSP) - 8
    data = frames.read_frame(thread, at + 8, UCONTEXT_SIZE)
    values = struct.unpack_from("<17QQHHHHQQQQQ", data, _MCONTEXT_AT)
    for reg, value in zip(_SC_REGS, values):
        uc.reg_write(reg, value)
    eflags = values[17]
    uc.reg_write(X.UC_X86_REG_EFLAGS, (uc.reg_read(X.UC_X86_REG_EFLAGS) & ~FIX_EFLAGS) | (eflags & FIX_EFLAGS))
    fpstate = values[26]
    if fpstate:
        area = frames.read_frame(thread, fpstate, x86_fpu.XSTATE_SIZE)
        if not x86_fpu.restore(uc, True, area):
            raise frames.FrameFault()
    else:
        x86_fpu.reset(uc, True)
    return frames.unpack_sigset(ABI, data[_SIGMASK_AT:_SIGMASK_AT + ABI.sigset_bytes])


# ---- gdb (usermode/gdb/targetxml.py): gdb's amd64 Linux features --------------------
GDB_ARCHITECTURE = "i386:x86-64"
_GDB_GPRS = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp") + tuple(f"r{i}" for i in range(8, 16))
_GDB_GPR_IDS = (X.UC_X86_REG_RAX, X.UC_X86_REG_RBX, X.UC_X86_REG_RCX, X.UC_X86_REG_RDX, X.UC_X86_REG_RSI,
                X.UC_X86_REG_RDI, X.UC_X86_REG_RBP, X.UC_X86_REG_RSP) + tuple(X.UC_X86_REG_R8 + i for i in range(8))
_GDB_TYPES = {"rbp": "data_ptr", "rsp": "data_ptr"}
GDB_TYPES = """<vector id="v8bf16" type="bfloat16" count="8"/><vector id="v4f" type="ieee_single" count="4"/>\
<vector id="v2d" type="ieee_double" count="2"/><vector id="v16i8" type="int8" count="16"/>\
<vector id="v8i16" type="int16" count="8"/><vector id="v4i32" type="int32" count="4"/>\
<vector id="v2i64" type="int64" count="2"/>\
<union id="vec128"><field name="v8_bfloat16" type="v8bf16"/><field name="v4_float" type="v4f"/>\
<field name="v2_double" type="v2d"/><field name="v16_int8" type="v16i8"/><field name="v8_int16" type="v8i16"/>\
<field name="v4_int32" type="v4i32"/><field name="v2_int64" type="v2i64"/><field name="uint128" type="uint128"/>\
</union><flags id="i386_mxcsr" size="4"><field name="IE" start="0" end="0"/><field name="DE" start="1" end="1"/>\
<field name="ZE" start="2" end="2"/><field name="OE" start="3" end="3"/><field name="UE" start="4" end="4"/>\
<field name="PE" start="5" end="5"/><field name="DAZ" start="6" end="6"/><field name="IM" start="7" end="7"/>\
<field name="DM" start="8" end="8"/><field name="ZM" start="9" end="9"/><field name="OM" start="10" end="10"/>\
<field name="UM" start="11" end="11"/><field name="PM" start="12" end="12"/><field name="FZ" start="15" end="15"/>\
</flags>"""
GDB_FEATURES = x86_machine.gdb_features(64, _GDB_GPRS, _GDB_GPR_IDS, _GDB_TYPES, X.UC_X86_REG_RIP, "rip", 16) + [
    ("org.gnu.gdb.i386.segments", [("fs_base", 64, X.UC_X86_REG_FS_BASE, "int", 58),
                                   ("gs_base", 64, X.UC_X86_REG_GS_BASE, "int", 59)]),
]

# ---- facts for the test programs (tests/conftest.py writes them as C macros) ----
# Facts shared with i386 (tests/guest/code_memory.c, privileged.c).
X86_CODE_FACTS = {
    # code written at run time: mov $n, %eax; ret (the I-cache is coherent: no flush needed)
    "ARCH_CODE_RETURN(w, n)": "do { unsigned char *b_ = (unsigned char *)(w); b_[0] = 0xb8; b_[1] = (n); "
                              "b_[2] = b_[3] = b_[4] = 0; b_[5] = 0xc3; } while (0)",
    # mov $1, %eax; mov $2, %eax (5 bytes in, to cross a page); ret
    "ARCH_CROSSING_CODE": '"\\xb8\\x01\\0\\0\\0\\xb8\\x02\\0\\0\\0\\xc3"',
    "ARCH_CROSSING_AT": "5",
    # a locked read-modify-write: no alignment fault (a split lock), whatever the address
    "ARCH_EXCLUSIVE_MAY_SPLIT": "1",
    "ARCH_EXCLUSIVE_LOAD(p)": "({ unsigned int v_ = 0; __asm__ volatile(\"lock xaddl %0, (%1)\" : \"+r\"(v_) : \"r\"(p) : \"memory\"); v_; })",
    # what CPL 3 may run (tests/guest/privileged.c): T(name, the kernel's signal or 0, statement);
    # a #GP in user mode is SIGSEGV
    "ARCH_PRIVILEGED(T)": " ".join([
        'T("hlt", SIGSEGV, __asm__ volatile("hlt"));',
        'T("cli", SIGSEGV, __asm__ volatile("cli"));',
        'T("sti", SIGSEGV, __asm__ volatile("sti"));',
        'T("mov %cr0", SIGSEGV, __asm__ volatile("mov %%cr0, %0" : "=r"(v)));',
        'T("lgdt", SIGSEGV, __asm__ volatile("lgdt (%0)" :: "r"(&v)));',
        'T("invd", SIGSEGV, __asm__ volatile("invd"));',
        'T("wrmsr", SIGSEGV, __asm__ volatile("wrmsr" :: "c"(0), "a"(0), "d"(0)));',
        'T("rdmsr", SIGSEGV, __asm__ volatile("rdmsr" :: "c"(0x10) : "eax", "edx"));',
        'T("inb", SIGSEGV, __asm__ volatile("inb $0x80, %%al" ::: "eax"));',
        'T("outb", SIGSEGV, __asm__ volatile("outb %%al, $0x80" :: "a"(0)));',
        'T("rdtsc", 0, __asm__ volatile("rdtsc" ::: "eax", "edx"));',
        'T("cpuid", 0, __asm__ volatile("cpuid" :: "a"(0) : "ebx", "ecx", "edx"));',
        'T("sgdt", 0, __asm__ volatile("sgdt %0" : "=m"(*(char (*)[16])&v)));',
        'T("pushf; popf", 0, __asm__ volatile("pushf; popf"));',
    ]),
}

TEST_C = {
    "ARCH_ILLEGAL": '__asm__ volatile("ud2")',
    "ARCH_BREAKPOINT": '__asm__ volatile("int3")',
    "ARCH_GET_SP(v)": '__asm__ volatile("mov %%rsp, %0" : "=r"(v))',
    "ARCH_ILL_CODE": "ILL_ILLOPN",
    "ARCH_UC_PC(uc)": "((uc)->uc_mcontext.gregs[REG_RIP])",
    # past the faulting instruction: int3 has moved the PC already (trap 3), ud2 is 2 bytes
    # (trap 6), a memory access is measured by pyqemu_x86_insn_length
    "ARCH_SKIP_INSN(uc)": "do { greg_t *g_ = (uc)->uc_mcontext.gregs; "
                          "if (g_[REG_TRAPNO] == 6) g_[REG_RIP] += 2; "
                          "else if (g_[REG_TRAPNO] != 3) g_[REG_RIP] += pyqemu_x86_insn_length((const unsigned char *)g_[REG_RIP], 1); "
                          "} while (0)",
    "ARCH_SYSCALL3(n, a, b, c)": "({ long r_; __asm__ volatile(\"syscall\" : \"=a\"(r_) : \"a\"(n), \"D\"(a), \"S\"(b), "
                                 "\"d\"(c) : \"rcx\", \"r11\", \"memory\"); r_; })",
    **X86_CODE_FACTS,
}

# A length decoder for the instructions test programs fault on (loads, stores, calls
# through memory): prefixes, REX, one- and two-byte opcodes, ModRM, SIB, displacement
# and immediate. Shared with i386 (`m64` 0: no REX, 32-bit addressing).
TEST_C_CODE = r"""
static inline unsigned long pyqemu_x86_insn_length(const unsigned char *p, int m64)
{
    const unsigned char *s = p;
    int opsize16 = 0, rexw = 0, imm = 0, modrm = 1, two = 0;
    for (;; p++) {
        unsigned char b = *p;
        if (b == 0x66) opsize16 = 1;
        else if (b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 || b == 0x2e || b == 0x36 ||
                 b == 0x3e || b == 0x26 || b == 0x64 || b == 0x65) ;
        else break;
    }
    if (m64 && (*p & 0xf0) == 0x40) { rexw = (*p & 8) != 0; p++; }
    unsigned char op = *p++;
    if (op == 0x0f) {
        two = 1;
        op = *p++;
        if (op == 0x38) p++;
        else if (op == 0x3a) { p++; imm = 1; }
        else if (op >= 0x80 && op <= 0x8f) { modrm = 0; imm = 4; }
        else if (op == 0x05 || op == 0x0b || op == 0xa2 || op == 0x31 || (op >= 0xc8 && op <= 0xcf)) modrm = 0;
        else if (op == 0x70 || op == 0x71 || op == 0x72 || op == 0x73 || op == 0xa4 || op == 0xac ||
                 op == 0xba || op == 0xc2 || op == 0xc4 || op == 0xc5 || op == 0xc6) imm = 1;
    } else if (op >= 0xa0 && op <= 0xa3) {
        return (p - s) + (m64 ? 8 : 4);
    } else if ((op & 0xc4) == 0x00 && (op & 7) < 4) {
        ;  /* add/or/adc/sbb/and/sub/xor/cmp r/m forms */
    } else if (op == 0x80 || op == 0x82 || op == 0x83 || op == 0xc0 || op == 0xc1 || op == 0xc6 || op == 0x6b) {
        imm = 1;
    } else if (op == 0x81 || op == 0xc7 || op == 0x69) {
        imm = opsize16 ? 2 : 4;
    } else if (op == 0xf6 || op == 0xf7) {
        if (((*p >> 3) & 7) < 2) imm = op == 0xf6 ? 1 : (opsize16 ? 2 : 4);
    } else if (!((op >= 0x84 && op <= 0x8f) || (op >= 0xd0 && op <= 0xd3) || op == 0xfe || op == 0xff ||
                 op == 0x63 || (op >= 0xd8 && op <= 0xdf))) {
        return (p - s);  /* no ModRM: not a memory access we decode */
    }
    (void)rexw; (void)two;
    if (modrm) {
        unsigned char m = *p++;
        int mod = m >> 6, rm = m & 7;
        if (mod != 3 && rm == 4) {
            unsigned char sib = *p++;
            if (mod == 0 && (sib & 7) == 5) p += 4;
        }
        if (mod == 0 && rm == 5) p += 4;
        else if (mod == 1) p += 1;
        else if (mod == 2) p += 4;
    }
    return (p - s) + imm;
}
"""
