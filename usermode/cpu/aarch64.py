"""AArch64 (ARMv8-A and later, little-endian, lp64)."""
from ..abi import Abi
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


def prepare(uc):
    # Unicorn's arm64 CPU uses 1 KiB pages unless told: with the guest's 4 KiB
    # ones the TLB covers four times the memory and fills four times less often.
    uc.ctl_set_page_size(4096)


def _id_reg(uc, op0, op1, crn, crm, op2):
    return uc.reg_read(A.UC_ARM64_REG_CP_REG, (crn, crm, op0, op1, op2))


def _field(reg, shift):
    return (reg >> shift) & 0xF


# (register, field shift, minimum value, AT_HWCAP bit) as arch/arm64/kernel/cpufeature.c
# derives them, so what we claim is exactly what the chosen CPU model implements.
# SVE and pointer authentication are left out: they need kernel state we do not emulate.
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
)
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

    return collect(_HWCAP_RULES) | HWCAP_CPUID, collect(_HWCAP2_RULES)


# `ic ivau, Xt` (SYS #3, C7, C5, #1): the program rewrote code at Xt and makes the
# instruction caches of every core see it. Each thread's Unicorn keeps its own
# translations and notices only its own stores to code, so the line's translations
# go in every thread (a store through another mapping of the same memory, or by
# another thread, is seen then, as on the hardware).
_IC_IVAU = {0: 7, 4: 5, 12: 3, 16: 1}  # uc_arm64_cp_reg: crn, crm, op1, op2
_CP_REG_VAL = 24


def thread_hooks(thread):
    import ctypes
    from .. import raw
    line = 4 << (_id_reg(thread.uc, 3, 3, 0, 0, 1) & 0xF)  # CTR_EL0.IminLine: the smallest line, in words
    drop = thread.space.drop_translations

    def on_ic_ivau(handle, reg, cp_reg, user_data):
        try:
            start = ctypes.c_uint64.from_address(cp_reg + _CP_REG_VAL).value & ~(line - 1)
            drop(start, start + line)
        except BaseException as e:  # never let an exception vanish inside the C callback
            thread.process.crash(e)
            raw.emu_stop(handle)
        return 0
    return raw.InsnHookIf(thread.uc, A.UC_ARM64_INS_SYS, _IC_IVAU, raw.INSN_SYS_CALLBACK(on_ic_ivau))


def data_address(uc, insn):
    """An exclusive, acquire/release or atomic instruction's address: its base register
    Rn (bits 9..5; 31 is the SP), with no offset."""
    if len(insn) < 4:
        return None
    rn = (int.from_bytes(insn[:4], "little") >> 5) & 31
    return uc.reg_read(REG_SP if rn == 31 else GPR_IDS[rn])


def pc_misaligned(uc, pc):
    return bool(pc & 3)


def emulate_trapped(uc, insn):
    """Nothing the kernel emulates for user mode traps here (Unicorn runs ID
    register reads and the counters itself)."""
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
}
