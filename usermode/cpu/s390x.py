"""IBM Z, 64-bit (s390x, z/Architecture), big-endian."""
from .. import raw
from ..abi import Abi
from ..errors import GuestError
from ..signals import frames
from ..syscalls.convention import Convention
from ..uclib import constants

S = constants("s390x_const")
_UC = constants("unicorn_const")

NAME = "s390x"
TRIPLE = "s390x-linux-gnu"
DEBIAN_ARCH = "s390x"
DEBIAN_ROOTFS = True
GO_ENV = {"GOARCH": "s390x"}
ABI = Abi("s390x", 64, "big", layouts={"stat": "s390x", "statfs": "s390x", "statfs64": "s390x"},
          quirks=("old_mmap", "clone_backwards2", "ipc5"))
ELF_MACHINE = 22  # EM_S390
ELF_CLASS = 64
UNAME_MACHINE = "s390x"
INTERPRETERS = ("/lib/ld64.so.1",)
TASK_SIZE = 1 << 42  # the kernel's 3-level start (it grows to 5 levels on demand)

UC_ARCH, UC_MODE = _UC.UC_ARCH_S390X, _UC.UC_MODE_BIG_ENDIAN
# With the CPU's own TLB (the real-mode MMU), an access to an unmapped page is a program
# interruption like any other (intno 3, the kind unknown): the virtual TLB always.
TLB_MODE = "virtual-only"
CODE_CHANGES_HEARD = False  # a coherent I-cache: programs rewrite code without a word
# Measured: Unicorn's s390x cores run z13/z14 vector instructions (vnn) whatever the
# model, and none of z15's (vlbr): every model here is that CPU, told apart only by
# what the kernel would report (AT_HWCAP, AT_PLATFORM). "qemu" is qemu-s390x's own.
# -cpu name -> (model, AT_PLATFORM, the HWCAP bits beyond the common ones)
_MODELS = {
    "qemu": (S.UC_CPU_S390X_QEMU, "z14", ("vxrs", "vxrs_ext")),
    "z14": (S.UC_CPU_S390X_Z14, "z14", ("vxrs", "vxrs_ext")),
    "z13": (S.UC_CPU_S390X_Z13, "z13", ("vxrs",)),
}
CPU_MODELS = {name: entry[0] for name, entry in _MODELS.items()}
DEFAULT_CPU = "qemu"
CS_ARCH, CS_MODE = 6, 1 << 31  # capstone: CS_ARCH_SYSZ, big-endian

R = [S.UC_S390X_REG_R0 + i for i in range(16)]
A = [S.UC_S390X_REG_A0 + i for i in range(16)]
FPR = [S.UC_S390X_REG_F0 + i for i in range(32)]  # each vector register's leftmost doubleword
FPR_LOW = [S.UC_S390X_REG_F0_HI + i for i in range(32)]  # ... and its rightmost one
PC, PSWM, FPC, CR0 = S.UC_S390X_REG_PC, S.UC_S390X_REG_PSWM, S.UC_S390X_REG_FPC, S.UC_S390X_REG_CR0
REG_PC, REG_SP = PC, R[15]
GPR_IDS = tuple(R)  # env->regs[16]
GPR_SLOT_BYTES = 8

# PSW mask bits (asm/ptrace.h): problem state, 64-bit addressing (EA and BA)
PSW_MASK_PSTATE = 0x0001000000000000
PSW_MASK_EA = 0x0000000100000000
PSW_MASK_BA = 0x0000000080000000
# control register 0: the additional FP registers and the vector facility
CR0_AFP, CR0_VX = 0x40000, 0x20000


def syscall_number(thread, r):
    """svc N carries the number in its second byte; svc 0 leaves it in r1 (numbers
    above 255). Unicorn does not give the interruption code: the instruction does
    (the PC is past it here: the convention's advance_pc moved it)."""
    pc = raw.reg_read(thread.handle, PC)
    code = thread.space.read(pc - 1, 1)[0]
    return code if code else r[1]


# Measured: svc N arrives as intno 2 (EXCP_SVC) with the PC *on* the svc, and runs it
# again for ever unless the PC moves: advance_pc.
CONVENTION = Convention(
    number=R[1], number_hook=syscall_number, result=R[2], intno=2, insn_size=2, advance_pc=2,
    args=tuple(R[2:8]))

# Measured: every program interruption arrives as intno 3 (EXCP_PGM) with the PC on the
# instruction; which one it was (env->int_pgm_code) Unicorn keeps to itself, so the
# instruction tells. With the virtual TLB, memory faults are not interruptions at all
# but Unicorn's memory errors.
EXCP_PGM = 3
EXCEPTIONS = {EXCP_PGM: ("SIGILL", "illegal instruction")}
FAULT_PC_ADJUST = 0
# The hardware tells the kernel only the page of an access exception (the translation-
# exception identification): si_addr is page-aligned (arch/s390/mm/fault.c __FAIL_ADDR_MASK)
FAULT_ADDRESS_MASK = ~0xFFF & ((1 << 64) - 1)
MINSIGSTKSZ = None
PLATFORM = "z14"
STACK_ALIGN = 8  # the s390x ELF ABI


def _model(uc):
    model = uc.ctl_get_cpu_model()
    return next((e for e in _MODELS.values() if e[0] == model), _MODELS[DEFAULT_CPU])


def platform(uc):
    return _model(uc)[1]


def prepare(uc):
    """A user process's PSW (problem state, 64-bit addressing; Unicorn starts in 24-bit
    supervisor state) and the FP and vector registers on (CR0's AFP and VX)."""
    uc.reg_write(PSWM, PSW_MASK_PSTATE | PSW_MASK_EA | PSW_MASK_BA)
    uc.reg_write(CR0, uc.reg_read(CR0) | CR0_AFP | CR0_VX)


def set_thread_pointer(uc, thread, value):
    """The thread pointer is access registers 0 (high half) and 1 (low half)."""
    uc.reg_write(A[0], value >> 32)
    uc.reg_write(A[1], value & 0xFFFFFFFF)


# ---- AT_HWCAP (arch/s390/include/asm/elf.h), /proc/cpuinfo ----------------------------
_HWCAP = {name: 1 << i for i, name in enumerate(
    "esan3 zarch stfle msa ldisp eimm dfp edat etf3eh highgprs te vxrs vxrs_bcd vxrs_ext gs "
    "vxrs_ext2 vxrs_pde sort dflt vxrs_pde2 nnpa pci_mio sie".split())}
# the kernel's names in /proc/cpuinfo's features line
_CPUINFO_NAMES = {"vxrs": "vx", "vxrs_bcd": "vxd", "vxrs_ext": "vxe", "vxrs_ext2": "vxe2", "highgprs": "highgprs"}
# qemu-s390x's report (linux-user/elfload.c): what these cores have in common
_COMMON = ("esan3", "zarch", "stfle", "msa", "ldisp", "eimm", "etf3eh", "highgprs")


def hwcaps(uc):
    return sum(_HWCAP[n] for n in _COMMON + _model(uc)[2]), 0


def cpuinfo(hwcap, hwcap2, ncpus):
    """/proc/cpuinfo as an s390x kernel words it (arch/s390/kernel/processor.c)."""
    names = [_CPUINFO_NAMES.get(n, n) for n, bit in _HWCAP.items() if hwcap & bit]
    head = (f"vendor_id       : IBM/S390\n# processors    : {ncpus}\nbogomips per cpu: 3241.00\n"
            "max thread id   : 0\n" f"features\t: {' '.join(names)} \n")
    head += "".join(f"processor {i}: version = 00,  identification = 000000,  machine = 3906\n"
                    for i in range(ncpus))
    cpus = "".join(f"\ncpu number      : {i}\nversion         : 00\nidentification  : 000000\n"
                   "machine         : 3906\n" for i in range(ncpus))
    return head + cpus


# ---- program interruptions --------------------------------------------------------
# The divide instructions (fixed-point divide exception): opcodes of RR, RX, RRE, RXY forms
_DIVIDES = {0x1D, 0x5D}  # DR, D
_DIVIDES_B9 = {0x97, 0x87, 0x0D, 0x1D}  # DLR, DLGR, DSGR, DSGFR
_DIVIDES_E3 = {0x97, 0x87, 0x0D, 0x1D}  # DL, DLG, DSG, DSGF
_DXC_CODES = {0x80: "FPE_FLTINV", 0x40: "FPE_FLTDIV", 0x20: "FPE_FLTOVF", 0x28: "FPE_FLTOVF",
              0x2C: "FPE_FLTOVF", 0x10: "FPE_FLTUND", 0x18: "FPE_FLTUND", 0x1C: "FPE_FLTUND",
              0x08: "FPE_FLTRES", 0x0C: "FPE_FLTRES"}


BREAKPOINT = b"\x00\x01"  # the instruction gdb plants


def insn_length(first_byte):
    """2, 4 or 6 bytes: the two leftmost bits of the opcode say."""
    return (2, 4, 4, 6)[first_byte >> 6]


def _is_divide(insn):
    op = insn[0]
    if op in _DIVIDES:
        return True
    if op == 0xB9 and len(insn) > 1:
        return insn[1] in _DIVIDES_B9
    if op == 0xE3 and len(insn) > 5:
        return insn[5] in _DIVIDES_E3
    return False


def exception_fault(thread, intno):
    """The signal of a program interruption, as the kernel (and qemu-s390x) send it: a
    divide by zero SIGFPE FPE_INTDIV, a data exception SIGFPE by its code in the FPC, the
    rest SIGILL; the frame's PSW past the instruction, si_addr on it."""
    from ..threads.thread import GuestFault
    uc = thread.uc
    pc = uc.reg_read(PC)
    try:
        insn = thread.space.read(pc, 6)
    except GuestError:
        try:
            insn = thread.space.read(pc, 2)
        except GuestError:
            insn = b"\0\0"
    signal, what, code = "SIGILL", "illegal instruction", "ILL_ILLOPC"
    if insn[:2] == BREAKPOINT:
        what = "breakpoint"  # SIGTRAP only for a traced process (traps.c illegal_op)
    if intno != EXCP_PGM:
        what = f"cpu exception {intno}"
    elif _is_divide(insn):
        signal, what, code = "SIGFPE", "integer divide by zero", "FPE_INTDIV"
    else:
        dxc = (uc.reg_read(FPC) >> 8) & 0xFF
        if dxc:
            signal, what, code = "SIGFPE", "data exception", _DXC_CODES.get(dxc)
    fault = GuestFault(signal, pc, pc, what, code)
    fault.resume_pc = pc + insn_length(insn[0])
    return fault


def undecodable(insn):
    return "SIGILL"


def emulate_trapped(uc, insn):
    return False


# ---- signal frames (arch/s390/kernel/signal.c) --------------------------------------
# _sigregs    { psw_t psw {mask, addr}; ulong gprs[16]; uint acrs[16]; fpregs {uint fpc, pad; double fprs[16]} }
# _sigregs_ext { u64 vxrs_low[16]; vector vxrs_high[16]; u8 reserved[128] }
# sigframe    { u8 callee_used_stack[160]; sigcontext sc {oldmask[1], sregs *}; _sigregs sregs;
#               int signo; _sigregs_ext sregs_ext; u16 svc_insn }
# rt_sigframe { u8 callee_used_stack[160]; u16 svc_insn; siginfo info; ucontext_extended uc }
# ucontext_extended { uc_flags, uc_link, stack_t uc_stack, _sigregs uc_mcontext, sigset_t
#                     uc_sigmask, u8 __unused[120], _sigregs_ext uc_mcontext_ext }
SIGNAL_REDZONE = 0
SIGNAL_FRAMESIZE = 160
SIGREGS_SIZE = 16 + 16 * 8 + 16 * 4 + 8 + 16 * 8
SIGREGS_EXT_SIZE = 16 * 8 + 16 * 16 + 128
_RT_INFO_AT = SIGNAL_FRAMESIZE + 8  # after svc_insn, siginfo's 8-byte alignment
_UC_MCONTEXT_AT = 16 + 24
_UC_SIGMASK_AT = _UC_MCONTEXT_AT + SIGREGS_SIZE
_UC_EXT_AT = _UC_SIGMASK_AT + 128
UCONTEXT_SIZE = _UC_EXT_AT + SIGREGS_EXT_SIZE
_SC_AT = SIGNAL_FRAMESIZE
_SREGS_AT = _SC_AT + 16
_SIGNO_AT = _SREGS_AT + SIGREGS_SIZE
_SREGS_EXT_AT = _SIGNO_AT + 8
SIGFRAME_SIZE = _SREGS_EXT_AT + SIGREGS_EXT_SIZE + 8
RT_SIGFRAME_SIZE = _RT_INFO_AT + frames.SIGINFO_SIZE + UCONTEXT_SIZE
UC_VXRS = 2
FRAME_LAYOUT = {("ucontext_t", "uc_mcontext"): _UC_MCONTEXT_AT, ("ucontext_t", "uc_sigmask"): _UC_SIGMASK_AT,
                ("mcontext_t", None): SIGREGS_SIZE}
TRAMPOLINES = {  # svc nr: what the kernel's vdso holds
    "sigreturn": ABI.pack("H", 0x0A00 | ABI.tables.SYSCALLS["sigreturn"]),
    "rt_sigreturn": ABI.pack("H", 0x0A00 | ABI.tables.SYSCALLS["rt_sigreturn"]),
}


def _sigregs(uc, pc):
    data = ABI.pack("QQ", uc.reg_read(PSWM), pc)
    data += ABI.pack("16Q", *[uc.reg_read(r) for r in R])
    data += ABI.pack("16I", *[uc.reg_read(a) & 0xFFFFFFFF for a in A])
    data += ABI.pack("II", uc.reg_read(FPC) & 0xFFFFFFFF, 0)
    return data + ABI.pack("16Q", *[uc.reg_read(f) for f in FPR[:16]])


def _sigregs_ext(uc):
    data = ABI.pack("16Q", *[uc.reg_read(f) for f in FPR_LOW[:16]])
    for i in range(16, 32):
        data += ABI.pack("QQ", uc.reg_read(FPR[i]), uc.reg_read(FPR_LOW[i]))
    return data + bytes(128)


def _restore(thread, sregs_at, ext_at):
    uc = thread.uc
    data = frames.read_frame(thread, sregs_at, SIGREGS_SIZE)
    ext = frames.read_frame(thread, ext_at, SIGREGS_EXT_SIZE - 128)
    mask, addr = ABI.unpack("QQ", data)
    gprs = ABI.unpack("16Q", data[16:])
    acrs = ABI.unpack("16I", data[144:])
    fpc, _ = ABI.unpack("II", data[208:])
    fprs = ABI.unpack("16Q", data[216:])
    for reg, value in zip(R, gprs):
        uc.reg_write(reg, value)
    for reg, value in zip(A, acrs):
        uc.reg_write(reg, value)
    for reg, value in zip(FPR, fprs):
        uc.reg_write(reg, value)
    uc.reg_write(FPC, fpc)
    low = ABI.unpack("16Q", ext)
    high = ABI.unpack("32Q", ext[128:])
    for i in range(16):
        uc.reg_write(FPR_LOW[i], low[i])
        uc.reg_write(FPR[16 + i], high[2 * i])
        uc.reg_write(FPR_LOW[16 + i], high[2 * i + 1])
    # the user may change the condition code and program mask, not the rest of the PSW
    user_bits = 0x00003F0000000000  # CC (bits 18-19) and program mask (20-23)
    uc.reg_write(PSWM, (uc.reg_read(PSWM) & ~user_bits) | (mask & user_bits))
    uc.reg_write(PC, addr)


def setup_frame(f):
    uc = f.uc
    pc = uc.reg_read(PC)
    old_sp = uc.reg_read(REG_SP)
    if f.rt:
        at = f.place(RT_SIGFRAME_SIZE, 8)
        uc_head = ABI.pack("QQ", UC_VXRS, 0) + f.stack_t()
        ucontext = uc_head + _sigregs(uc, pc) + f.sigset().ljust(128, b"\0") + _sigregs_ext(uc)
        frame = ABI.pack("Q", old_sp) + bytes(SIGNAL_FRAMESIZE - 8) + bytes(8) + f.siginfo() + ucontext
    else:
        at = f.place(SIGFRAME_SIZE, 8)
        sc = ABI.pack("QQ", f.mask & 0xFFFFFFFFFFFFFFFF, at + _SREGS_AT)
        frame = ABI.pack("Q", old_sp) + bytes(SIGNAL_FRAMESIZE - 8) + sc + _sigregs(uc, pc) + \
            ABI.pack("i", f.sig) + bytes(4) + _sigregs_ext(uc) + bytes(8)
    f.write(at, frame)
    restorer = f.restorer if f.restorer is not None else \
        f.thread.process.trampolines["rt_sigreturn" if f.rt else "sigreturn"]
    uc.reg_write(R[14], restorer)
    uc.reg_write(R[15], at)
    uc.reg_write(R[2], f.sig)
    if f.rt:
        uc.reg_write(R[3], at + _RT_INFO_AT)
        uc.reg_write(R[4], at + _RT_INFO_AT + frames.SIGINFO_SIZE)
        uc.reg_write(R[5], 0)  # the kernel's last_break
    else:
        uc.reg_write(R[3], at + _SC_AT)
        uc.reg_write(R[4], 0)  # the interruption code, its parameter, last_break
        uc.reg_write(R[5], 0)
        uc.reg_write(R[6], 0)
    uc.reg_write(PC, f.action.handler)


def restore_frame(thread, rt):
    at = thread.uc.reg_read(REG_SP)
    if rt:
        uc_at = at + _RT_INFO_AT + frames.SIGINFO_SIZE
        mask = frames.unpack_sigset(ABI, frames.read_frame(thread, uc_at + _UC_SIGMASK_AT, ABI.sigset_bytes))
        _restore(thread, uc_at + _UC_MCONTEXT_AT, uc_at + _UC_EXT_AT)
    else:
        mask = ABI.unpack("Q", frames.read_frame(thread, at + _SC_AT, 8))[0]
        _restore(thread, at + _SREGS_AT, at + _SREGS_EXT_AT)
    return mask


# ---- gdb: s390-tdep's numbering (pswm 0, pswa 1, r0-r15 2..17, acr0-15 18..33, fpc 34,
# f0-f15 35..50) and its features' names
GDB_ARCHITECTURE = "s390:64-bit"
GDB_TYPES = ""
GDB_FEATURES = [
    ("org.gnu.gdb.s390.core",
     [("pswm", 64, PSWM, "uint64", 0), ("pswa", 64, PC, "code_ptr", 1)]
     + [(f"r{i}", 64, R[i], "uint64", 2 + i) for i in range(16)]),
    ("org.gnu.gdb.s390.acr", [(f"acr{i}", 32, A[i], "uint32", 18 + i) for i in range(16)]),
    ("org.gnu.gdb.s390.fpr",
     [("fpc", 32, FPC, "uint32", 34)] + [(f"f{i}", 64, FPR[i], "ieee_double", 35 + i) for i in range(16)]),
]

# ---- facts for the test programs (tests/conftest.py writes them as C macros) ----
TEST_C = {
    "ARCH_ILLEGAL": '__asm__ volatile(".short 0")',
    # the breakpoint gdb plants; the kernel sends SIGTRAP for it only to a traced process
    "ARCH_BREAKPOINT": '__asm__ volatile(".short 1")',
    "ARCH_BREAKPOINT_SIGNAL": "SIGILL",
    "ARCH_BREAKPOINT_SIGNAL_NAME": '"SIGILL"',
    "ARCH_GET_SP(v)": '__asm__ volatile("lgr %0, %%r15" : "=r"(v))',
    "ARCH_FAULT_ADDR(a)": "((void *)((unsigned long)(a) & -4096UL))",
    # a fault's PSW is on the instruction (by its length: the opcode's two leftmost bits);
    # a SIGILL's or SIGFPE's already past it (signals.c's handler has `sig` in scope)
    "ARCH_SKIP_INSN(uc)": "do { if (sig == SIGSEGV || sig == SIGBUS) { unsigned char op_ = "
                          "*(unsigned char *)(uc)->uc_mcontext.psw.addr; "
                          "(uc)->uc_mcontext.psw.addr += (op_ >> 6) == 0 ? 2 : (op_ >> 6) == 3 ? 6 : 4; } } while (0)",
    "ARCH_SYSCALL3(n, a, b, c)": "({ register long r1 __asm__(\"r1\") = (n); register long r2 __asm__(\"r2\") = (a); "
                                 "register long r3 __asm__(\"r3\") = (b); register long r4 __asm__(\"r4\") = (c); "
                                 "__asm__ volatile(\"svc 0\" : \"+r\"(r2) : \"r\"(r1), \"r\"(r3), \"r\"(r4) : \"memory\"); r2; })",
    # code written at run time: lghi %r2, n; br %r14
    "ARCH_CODE_RETURN(w, n)": "do { (w)[0] = 0xa7290000u | (n); (w)[1] = 0x07fe0000u; } while (0)",
    # lghi %r2, 1; lghi %r2, 2 (4 bytes in, to cross a page); br %r14
    "ARCH_CROSSING_CODE": '"\\xa7\\x29\\0\\x01\\xa7\\x29\\0\\x02\\x07\\xfe"',
    "ARCH_CROSSING_AT": "4",
    "ARCH_UC_PC(uc)": "((uc)->uc_mcontext.psw.addr)",
    # no ARCH_EXCLUSIVE_LOAD (z has compare-and-swap, no load-exclusive) and no
    # ARCH_MISALIGNED_JUMP (code+2 is a halfword, where z's instructions may start)
    # what problem state may run (tests/guest/privileged.c): control registers, the CPU
    # id, the TLB and the system mask are the supervisor's; the clock and access registers not
    "ARCH_PRIVILEGED(T)": " ".join([
        'T("stidp", SIGILL, __asm__ volatile("stidp %0" : "=Q"(v)));',
        'T("lctlg", SIGILL, __asm__ volatile("lctlg %%c0, %%c0, %0" :: "Q"(v)));',
        'T("ptlb", SIGILL, __asm__ volatile("ptlb"));',
        'T("ssm", SIGILL, __asm__ volatile("ssm %0" :: "Q"(v)));',
        'T("stck", 0, __asm__ volatile("stck %0" : "=Q"(v) :: "cc"));',
        'T("ear", 0, __asm__ volatile("ear %0, %%a0" : "=r"(v)));',
    ]),
}
