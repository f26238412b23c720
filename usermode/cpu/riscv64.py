"""RISC-V 64-bit (RV64GC, lp64d)."""
from ..abi import Abi
from ..errors import GuestError
from ..signals import frames
from ..structs import Layouts
from ..syscalls.argtypes import Ptr
from ..syscalls.convention import Convention
from ..syscalls.registry import arch_syscall
from ..uclib import constants

R = constants("riscv_const")
_UC = constants("unicorn_const")

NAME = "riscv64"
TRIPLE = "riscv64-linux-gnu"
DEBIAN_ARCH = "riscv64"
DEBIAN_ROOTFS = False  # Debian 12 has no riscv64 port: the cross glibc is the sysroot
GO_ENV = {"GOARCH": "riscv64"}
ABI = Abi("riscv64", 64, "little", layouts={"sigaction": "no_restorer"})
ELF_MACHINE = 243  # EM_RISCV
ELF_CLASS = 64
UNAME_MACHINE = "riscv64"
INTERPRETERS = ("/lib/ld-linux-riscv64-lp64d.so.1", "/lib/ld-linux-riscv64-lp64.so.1")
TASK_SIZE = 1 << 38  # Sv39: the user half of a 39-bit address space

UC_ARCH, UC_MODE = _UC.UC_ARCH_RISCV, _UC.UC_MODE_RISCV64
CPU_MODELS = {
    "any": R.UC_CPU_RISCV64_ANY,
    "rv64": R.UC_CPU_RISCV64_BASE64,
    "sifive-e51": R.UC_CPU_RISCV64_SIFIVE_E51,
    "sifive-u54": R.UC_CPU_RISCV64_SIFIVE_U54,
}
DEFAULT_CPU = "rv64"  # a Linux-capable hart: S-mode present (wfi from U-mode is illegal, as under Linux)
CS_ARCH, CS_MODE = 15, 2 | 4  # capstone: CS_ARCH_RISCV, CS_MODE_RISCV64 | CS_MODE_RISCVC

REG_PC, REG_SP, REG_TLS = R.UC_RISCV_REG_PC, R.UC_RISCV_REG_SP, R.UC_RISCV_REG_TP
# The integer registers in the order the CPU state keeps them (env->gpr[32]): see regfile.py.
GPR_IDS = tuple(R.UC_RISCV_REG_X0 + i for i in range(32))
GPR_SLOT_BYTES = 8

# Measured: ecall arrives as intno 8 with the PC already past it; an illegal
# instruction as intno 2; ebreak never reaches the INTR hook (Unicorn reports it
# as an invalid instruction), see undecodable().
# Unicorn moves the PC 4 bytes past any instruction that raises an exception
# (measured with 2- and 4-byte illegal instructions alike): FAULT_PC_ADJUST
# takes it back to the faulting instruction.
CONVENTION = Convention(
    number=R.UC_RISCV_REG_A7, result=R.UC_RISCV_REG_A0, intno=8, insn_size=4,
    args=(R.UC_RISCV_REG_A0, R.UC_RISCV_REG_A1, R.UC_RISCV_REG_A2, R.UC_RISCV_REG_A3,
          R.UC_RISCV_REG_A4, R.UC_RISCV_REG_A5))
# Misaligned LR/SC and AMOs arrive as 4 (load address misaligned) and 6 (store/AMO
# address misaligned); the kernel emulates misaligned plain loads and stores, which
# Unicorn performs, but not these: SIGBUS.
# A jump to a misaligned target (2-aligned without the C extension) is 0.
EXCEPTIONS = {2: ("SIGILL", "illegal instruction"), 3: ("SIGTRAP", "breakpoint"),
              0: ("SIGBUS", "jump to a misaligned address", "BUS_ADRALN"),
              4: ("SIGBUS", "misaligned atomic load", "BUS_ADRALN"),
              6: ("SIGBUS", "misaligned atomic store", "BUS_ADRALN")}
FAULT_PC_ADJUST = 4
PLATFORM = None  # the kernel sets no AT_PLATFORM on riscv
MINSIGSTKSZ = None  # not in the auxv of the kernels glibc 2.36 targets


_MSTATUS_TW = 1 << 21


def prepare(uc):
    # FP instructions trap as illegal until mstatus.FS says the FPU is on.
    # A process runs in U-mode, as under Linux: machine and supervisor CSRs and
    # instructions (mret, sret, wfi) are illegal there (SIGILL). Unicorn starts in
    # M-mode, where they all work. (ecall still arrives as intno 8.) On a model
    # without S-mode, wfi from U-mode halts the CPU unless mstatus.TW says trap.
    uc.reg_write(R.UC_RISCV_REG_MSTATUS, uc.reg_read(R.UC_RISCV_REG_MSTATUS) | 0x6000 | _MSTATUS_TW)
    uc.reg_write(R.UC_RISCV_REG_PRIV, 0)


# ---- -cpu rv64,LETTER=on|off --------------------------------------------------------
# The single-letter extensions a model has can be turned off, as qemu's properties do
# (c=false: compressed instructions are illegal). Unicorn ignores writes to misa
# (QEMU 5's CPUs lack the MISA feature), so the field is written where the CPU state
# keeps it: env->misa, 568 bytes past env->gpr in Unicorn 2.1.4 (gpr[32], fpr[32], then
# pc, load_res, load_val, frm, badaddr, guest_phys_fault_addr, priv_ver, misa),
# found and checked by regfile.state_word, and read back through the API.
CPU_FEATURES = {letter: (f"the {what} extension: off, or on where the model has it", None)
                for letter, what in (("m", "integer multiply"), ("a", "atomic"), ("f", "single-precision FP"),
                                     ("d", "double-precision FP"), ("c", "compressed"))}
_MISA_PAST_GPRS = 568


def configure(uc, features):
    from .. import regfile
    from ..errors import UserError
    misa = machine_csr(uc, R.UC_RISCV_REG_MISA)
    lacking = [letter for letter, on in features.items() if on and not misa >> (ord(letter) - ord("a")) & 1]
    if lacking:
        raise UserError(f"-cpu: {','.join(f'{letter}=on' for letter in lacking)}: the model has no such extension "
                        "(-cpu help lists the models; extensions can only be turned off)")
    off = [letter for letter, on in features.items() if not on]
    if "f" in off and "d" not in off:
        off.append("d")  # D needs F
    wanted = misa & ~sum(1 << (ord(letter) - ord("a")) for letter in off)
    if wanted == misa:
        return
    word = regfile.state_word(uc._uch.value, GPR_IDS, GPR_SLOT_BYTES, _MISA_PAST_GPRS,
                              lambda: machine_csr(uc, R.UC_RISCV_REG_MISA), misa)
    if word is not None:
        word.value = wanted
        if machine_csr(uc, R.UC_RISCV_REG_MISA) == wanted:
            uc.ctl_flush_tb()
            return
        word.value = misa
    raise UserError(f"-cpu: {','.join(f'{letter}=off' for letter in off)}: this Unicorn's CPU state is not laid out "
                    "as pyqemu knows it, so its extensions cannot be changed")


def machine_csr(uc, reg):
    """A machine-mode CSR: Unicorn reads CSRs with the CPU's own privilege checks,
    which a U-mode CPU fails (a stale value comes back), so from M-mode for a moment."""
    priv = uc.reg_read(R.UC_RISCV_REG_PRIV)
    uc.reg_write(R.UC_RISCV_REG_PRIV, 3)
    try:
        return uc.reg_read(reg)
    finally:
        uc.reg_write(R.UC_RISCV_REG_PRIV, priv)


def hwcaps(uc):
    """The kernel reports the single-letter extensions of misa (only IMAFDCV)."""
    misa = machine_csr(uc, R.UC_RISCV_REG_MISA)
    mask = sum(1 << (ord(c) - ord("A")) for c in "IMAFDCV")
    return misa & mask, 0


# User-mode counter reads the kernel allows (rdtime, rdcycle, rdinstret: csrrs
# rd, csr, x0) but Unicorn's CPU traps: emulated, as a timebase of 10 MHz (the
# frequency of QEMU's and most boards' timers); cycles and instructions count
# nanoseconds, which is what a program can rely on (they grow).
_COUNTER_CSRS = {0xC00: 1_000_000_000, 0xC01: 10_000_000, 0xC02: 1_000_000_000}


def emulate_trapped(uc, insn):
    """Carry out an instruction the kernel would have let run; True if done.
    Unicorn has already moved the PC past it (see FAULT_PC_ADJUST)."""
    if len(insn) < 4:
        return False
    word = int.from_bytes(insn[:4], "little")
    opcode, rd, funct3, rs1, csr = word & 0x7F, (word >> 7) & 0x1F, (word >> 12) & 7, (word >> 15) & 0x1F, word >> 20
    if opcode != 0x73 or funct3 != 2 or rs1 != 0 or csr not in _COUNTER_CSRS:
        return False
    if rd:
        import time
        uc.reg_write(R.UC_RISCV_REG_X0 + rd, time.monotonic_ns() * _COUNTER_CSRS[csr] // 1_000_000_000)
    return True


def data_address(uc, insn):
    """What a misaligned access or jump (SIGBUS) went for: a jump's or branch's target
    (JAL, JALR, B*: si_addr is where it went), or an LR, SC or AMO's address (rs1)."""
    if len(insn) < 4:
        return None
    word = int.from_bytes(insn[:4], "little")
    opcode, rs1 = word & 0x7F, (word >> 15) & 31
    pc = uc.reg_read(REG_PC) - FAULT_PC_ADJUST

    def signed(value, bits):
        return value - (1 << bits) if value >> (bits - 1) & 1 else value
    if opcode == 0x6F:  # JAL: imm[20|10:1|11|19:12]
        imm = (word >> 31) << 20 | ((word >> 21) & 0x3FF) << 1 | ((word >> 20) & 1) << 11 | ((word >> 12) & 0xFF) << 12
        return (pc + signed(imm, 21)) & (1 << 64) - 1
    if opcode == 0x63:  # B*: imm[12|10:5] ... imm[4:1|11]
        imm = (word >> 31) << 12 | ((word >> 25) & 0x3F) << 5 | ((word >> 8) & 0xF) << 1 | ((word >> 7) & 1) << 11
        return (pc + signed(imm, 13)) & (1 << 64) - 1
    base = uc.reg_read(GPR_IDS[rs1]) if rs1 else 0
    if opcode == 0x67:  # JALR
        return (base + signed(word >> 20, 12)) & ((1 << 64) - 2)
    return base


def undecodable(insn):
    """Signal for an instruction Unicorn refused: ebreak/c.ebreak is a breakpoint."""
    if insn[:4] == b"\x73\x00\x10\x00" or insn[:2] == b"\x02\x90":
        return "SIGTRAP"
    return "SIGILL"


# ---- private syscalls -----------------------------------------------------------------

SYSCALLS = {}
_FLUSH_ICACHE_LOCAL = 1  # SYS_RISCV_FLUSH_ICACHE_LOCAL, the only flag


@arch_syscall(SYSCALLS, name="riscv_flush_icache")
def riscv_flush_icache(t, start: Ptr, end: Ptr, flags: Ptr):
    """Code was written: the kernel makes every hart's instruction cache see it (all
    of it, whatever the range; LOCAL only tells that other threads need not). Each
    thread's Unicorn keeps its own translations, which are the stale copy here:
    those of the range go, everywhere, or all of them when no range is given."""
    import errno
    if flags & ~_FLUSH_ICACHE_LOCAL:
        raise GuestError(errno.EINVAL)
    if start < end:
        t.space.drop_translations(start, end)
    else:
        for uc in t.space.cpus:
            uc.ctl_flush_tb()


# ---- signal frames (arch/riscv/kernel/signal.c) --------------------------------
# struct sigcontext: pc then x1..x31 (user_regs_struct), then the FP state union
# (the Q-extension member sets its size: 32 x 16 + fcsr + 3 reserved words).

SIGNAL_REDZONE = 0
_GPRS = [R.UC_RISCV_REG_PC] + [R.UC_RISCV_REG_X1 + i for i in range(31)]
_FPRS = [R.UC_RISCV_REG_F0 + i for i in range(32)]
_FP_STATE_SIZE = 528
MCONTEXT_SIZE = 32 * 8 + _FP_STATE_SIZE
# the sigreturn trampoline the kernel keeps in the vDSO: li a7, 139 (rt_sigreturn); ecall
# where glibc's ucontext_t has the mcontext (tests/test_layouts.py checks it)
FRAME_LAYOUT = {("ucontext_t", "uc_mcontext"): frames.generic_mcontext_offset(ABI, Layouts(ABI))}
TRAMPOLINES = {"rt": (0x08B00893).to_bytes(4, "little") + (0x00000073).to_bytes(4, "little")}


def save_mcontext(uc, fault_address=0):
    gprs = [uc.reg_read(r) for r in _GPRS]
    fprs = [uc.reg_read(r) for r in _FPRS]
    fcsr = uc.reg_read(R.UC_RISCV_REG_FCSR)
    data = ABI.pack("32Q", *gprs) + ABI.pack("32QI", *fprs, fcsr)
    return data + bytes(MCONTEXT_SIZE - len(data))


def restore_mcontext(uc, data):
    values = ABI.unpack("32Q32QI", data)
    for reg, value in zip(_GPRS + _FPRS, values):
        uc.reg_write(reg, value)
    uc.reg_write(R.UC_RISCV_REG_FCSR, values[64])


def setup_frame(f):
    """The asm-generic rt_sigframe (riscv has no other); a handler returns through
    the [vdso] trampoline (riscv has no SA_RESTORER)."""
    frame = f.siginfo() + frames.generic_ucontext(f, save_mcontext(f.uc, f.info.addr or 0))
    at = f.place(len(frame), 16)
    f.write(at, frame)
    uc = f.uc
    uc.reg_write(R.UC_RISCV_REG_PC, f.action.handler)
    uc.reg_write(R.UC_RISCV_REG_SP, at)
    uc.reg_write(R.UC_RISCV_REG_RA, f.thread.process.trampolines["rt"])
    uc.reg_write(R.UC_RISCV_REG_A0, f.sig)
    uc.reg_write(R.UC_RISCV_REG_A1, at)
    uc.reg_write(R.UC_RISCV_REG_A2, at + frames.SIGINFO_SIZE)


def restore_frame(thread, rt):
    mask, mcontext = frames.generic_restore(thread, thread.uc.reg_read(REG_SP), MCONTEXT_SIZE)
    restore_mcontext(thread.uc, mcontext)
    return mask


def cpuinfo(hwcap, hwcap2, ncpus):
    """/proc/cpuinfo as riscv Linux words it: the ISA string from the misa letters the guest is told about."""
    letters = "".join(c for c in "imafdqcv" if hwcap >> (ord(c) - ord("a")) & 1)
    return "".join(f"processor\t: {i}\nhart\t\t: {i}\nisa\t\t: rv64{letters}\nmmu\t\t: sv39\n\n"
                   for i in range(ncpus))


# ---- gdb (usermode/gdb/targetxml.py) -----------------------------------------------
# Registers as gdb's own riscv features name and number them: x0..x31 and pc
# are 0..32, f0..f31 are 33..64, and a CSR is 65 + its number (fflags 1, frm 2, fcsr 3).
GDB_ARCHITECTURE = "riscv:rv64"
_GDB_X = ("zero ra sp gp tp t0 t1 t2 fp s1 a0 a1 a2 a3 a4 a5 a6 a7 "
          "s2 s3 s4 s5 s6 s7 s8 s9 s10 s11 t3 t4 t5 t6").split()
_GDB_F = ("ft0 ft1 ft2 ft3 ft4 ft5 ft6 ft7 fs0 fs1 fa0 fa1 fa2 fa3 fa4 fa5 fa6 fa7 "
          "fs2 fs3 fs4 fs5 fs6 fs7 fs8 fs9 fs10 fs11 ft8 ft9 ft10 ft11").split()
_GDB_X_TYPES = {"ra": "code_ptr", "sp": "data_ptr", "gp": "data_ptr", "tp": "data_ptr"}
GDB_TYPES = """<union id="riscv_double"><field name="float" type="ieee_single"/>\
<field name="double" type="ieee_double"/></union>"""
# (feature, [(name, bits, unicorn register, gdb type, gdb number)])
GDB_FEATURES = [
    ("org.gnu.gdb.riscv.cpu",
     [(name, 64, R.UC_RISCV_REG_X0 + i, _GDB_X_TYPES.get(name, "int"), i) for i, name in enumerate(_GDB_X)]
     + [("pc", 64, R.UC_RISCV_REG_PC, "code_ptr", 32)]),
    ("org.gnu.gdb.riscv.fpu",
     [(name, 64, R.UC_RISCV_REG_F0 + i, "riscv_double", 33 + i) for i, name in enumerate(_GDB_F)]
     + [("fflags", 32, R.UC_RISCV_REG_FFLAGS, "int", 66), ("frm", 32, R.UC_RISCV_REG_FRM, "int", 67),
        ("fcsr", 32, R.UC_RISCV_REG_FCSR, "int", 68)]),
]

# ---- facts for the test programs (tests/conftest.py writes them as C macros) ----
TEST_C = {
    "ARCH_ILLEGAL": '__asm__ volatile(".word 0xffffffff")',
    "ARCH_BREAKPOINT": '__asm__ volatile(".option push\\n.option norvc\\nebreak\\n.option pop")',
    "ARCH_GET_SP(v)": '__asm__ volatile("mv %0, sp" : "=r"(v))',
    "ARCH_SKIP_INSN(uc)": "do { unsigned short first = *(unsigned short *)(uc)->uc_mcontext.__gregs[REG_PC]; "
                          "(uc)->uc_mcontext.__gregs[REG_PC] += (first & 3) == 3 ? 4 : 2; } while (0)",
    "ARCH_SYSCALL3(n, a, b, c)": "({ register long a7 __asm__(\"a7\") = (n); register long a0 __asm__(\"a0\") = (a); "
                                 "register long a1 __asm__(\"a1\") = (b); register long a2 __asm__(\"a2\") = (c); "
                                 "__asm__ volatile(\"ecall\" : \"+r\"(a0) : \"r\"(a7), \"r\"(a1), \"r\"(a2) : \"memory\"); a0; })",
    # code written at run time: li a0, n; ret
    "ARCH_CODE_RETURN(w, n)": "do { (w)[0] = 0x00000513u | ((n) << 20); (w)[1] = 0x00008067u; } while (0)",
    # li a0, 1; li a0, 2 (4 bytes in, to cross a page: 4-byte instructions need only 2-byte
    # alignment with the C extension); ret
    "ARCH_CROSSING_CODE": '"\\x13\\x05\\x10\\0\\x13\\x05\\x20\\0\\x67\\x80\\0\\0"',
    "ARCH_CROSSING_AT": "4",
    "ARCH_UC_PC(uc)": "((uc)->uc_mcontext.__gregs[REG_PC])",
    "ARCH_EXCLUSIVE_LOAD(p)": "({ long v_; __asm__ volatile(\"lr.w %0, (%1)\" : \"=r\"(v_) : \"r\"(p) : \"memory\"); v_; })",
    # no ARCH_MISALIGNED_JUMP: with the C extension every jump target is 2-aligned
    # (jalr clears bit 0), so a program cannot make a misaligned PC
    # what U-mode may run (tests/guest/privileged.c): T(name, the kernel's signal or 0, statement)
    "ARCH_PRIVILEGED(T)": " ".join([
        'T("csrr mstatus", SIGILL, __asm__ volatile("csrr %0, mstatus" : "=r"(v)));',
        'T("csrr sstatus", SIGILL, __asm__ volatile("csrr %0, sstatus" : "=r"(v)));',
        'T("csrr misa", SIGILL, __asm__ volatile("csrr %0, misa" : "=r"(v)));',
        'T("csrw satp", SIGILL, __asm__ volatile("csrw satp, zero"));',
        'T("wfi", SIGILL, __asm__ volatile("wfi"));',
        'T("mret", SIGILL, __asm__ volatile("mret"));',
        'T("sret", SIGILL, __asm__ volatile("sret"));',
        'T("sfence.vma", SIGILL, __asm__ volatile("sfence.vma"));',
        'T("rdtime", 0, __asm__ volatile("rdtime %0" : "=r"(v)));',
        'T("rdcycle", 0, __asm__ volatile("rdcycle %0" : "=r"(v)));',
        'T("frcsr", 0, __asm__ volatile("frcsr %0" : "=r"(v)));',
        'T("fence.i", 0, __asm__ volatile("fence.i"));',
    ]),
}
