"""MIPS: what the o32 modules (mipsel, mips) and the n64 one (mips64el) share.

Not an architecture (no NAME): each MIPS cpu module takes its calling
convention, signal frames, private syscalls, exceptions, HWCAPs and gdb
registers from here, built for its own Abi (word size, byte order).

Facts measured on Unicorn 2.1.4 (see ../shared/ARCHES.md and the probes in
tests/test_mips.py):
- syscall arrives as intno 17 (EXCP_SYSCALL) with the PC past the instruction;
- every other exception reaches the INTR hook with the PC overwritten by the
  address after the last syscall (cpu-exec.c copies uc->next_pc into the PC for
  every MIPS exception, next_pc is only set for syscalls): see faults.py for how
  the faulting instruction is found instead;
- the CPU runs in kernel mode (Status ERL) with its own TLB, so user addresses
  below 2 GiB are the guest's; rdhwr $29 reads CP0 UserLocal.
"""
import errno

from ..errors import GuestError
from ..signals import frames
from ..syscalls.argtypes import Arg, Fd, Int, Off64, Ptr, Size, UInt
from ..syscalls.convention import Convention
from ..syscalls.registry import KEEP_REGISTERS, arch_syscall
from ..uclib import constants

M = constants("mips_const")

R = [M.UC_MIPS_REG_0 + i for i in range(32)]
ZERO, V0, V1, A0, A1, A2, A3 = R[0], R[2], R[3], R[4], R[5], R[6], R[7]
T9, SP, RA = R[25], R[29], R[31]
REG_PC, REG_SP, REG_TLS = M.UC_MIPS_REG_PC, SP, M.UC_MIPS_REG_CP0_USERLOCAL
# env->active_tc.gpr[32]: the integer registers in the CPU state's order (regfile.py)
GPR_IDS = tuple(R)
F = [M.UC_MIPS_REG_F0 + i for i in range(32)]
HI, LO, FCSR, FIR, STATUS = M.UC_MIPS_REG_HI, M.UC_MIPS_REG_LO, M.UC_MIPS_REG_FCSR, M.UC_MIPS_REG_FIR, \
    M.UC_MIPS_REG_CP0_STATUS

# the siginfo_t cases structs.py declares, with MIPS' head (si_code before si_errno)
SIGINFO_LAYOUTS = {f"siginfo_{case}": "mips" for case in ("kill", "chld", "rt", "timer", "fault", "poll")}
SYSCALL_INTNO = 17  # EXCP_SYSCALL (target/mips/cpu.h)
STATUS_FR = 1 << 26  # 64-bit FPU registers (n64); o32's FPXX code runs with FR=0


def o32_convention():
    """o32: number in v0 from 4000, a0-a3 then arguments 5 to 8 on the user's stack
    at sp+16 (the caller's argument save area comes first), 64-bit values in an
    even/odd pair, errors as a3 = 1 with the positive errno in v0; pipe() answers in
    v0 and v1."""
    return Convention(number=V0, args=(A0, A1, A2, A3), result=V0, number_base=4000,
                      stack_args=4, stack_offset=16, pairs="aligned", error="flag", flag_register=A3,
                      intno=SYSCALL_INTNO, insn_size=4, extra_result_registers=(V1,))


def n64_convention():
    """n64: number in v0 from 5000, eight argument registers a0-a7 ($4-$11), the
    a3 error flag as o32."""
    return Convention(number=V0, args=tuple(R[4:12]), result=V0, number_base=5000,
                      error="flag", flag_register=A3, intno=SYSCALL_INTNO, insn_size=4,
                      extra_result_registers=(V1,))


def fpu_fr(uc):
    return bool(uc.reg_read(STATUS) & STATUS_FR)


def set_fpu_mode(uc, fr):
    """The FPU in the mode the ABI's code expects: FR=0 for o32 (Debian's FPXX and
    FP32 objects), FR=1 for n64 (odd registers are doubles of their own)."""
    status = uc.reg_read(STATUS)
    uc.reg_write(STATUS, (status | STATUS_FR) if fr else (status & ~STATUS_FR))


# ---- what Unicorn keeps of the CPU beyond its API --------------------------------------
# env->hflags holds the branch-delay state (BMASK: "the next instruction is a delay
# slot"). Unicorn's virtual TLB calls cpu_restore_state before every TLB fill, which
# sets BMASK when the load or store is in a delay slot; nothing clears it when the
# fill succeeds, so the next block is translated as a delay slot (a branch there is a
# reserved instruction, anything else jumps to a stale target). Measured: glibc's
# start-up dies of it on n64 (ARCHES.md 3.5). The fill hook clears it (tlb_filled):
# the block being run keeps its own copy of the state, written back at its branch.
HFLAG_FPU, HFLAG_F64 = 0x20, 0x40
HFLAG_BMASK = 0x803800 | 0x7C000   # MIPS_HFLAG_BMASK_BASE | MIPS_HFLAG_BMASK_EXT
STATUS_CU1 = 1 << 29


class CpuState:
    """One CPU's hflags word and the exception-PC callback (raw.MipsExceptionPc),
    found and checked at creation; either may be None where this Unicorn differs."""

    def __init__(self, uc, word_bytes, big_endian):
        from .. import raw, regfile
        self.hflags = None
        self.exception_pc = False
        # tcg_ctx->delay_slot_flag, cleared before each emu_start (raw.mips_delay_slot_flag)
        self.slot_flag = raw.mips_delay_slot_flag(uc, _VARIANTS[(word_bytes == 8, big_endian)])
        handle = uc._uch.value
        view = regfile.locate(handle, GPR_IDS, word_bytes)
        if view is None:
            return
        base = regfile.array_address(view)
        status = uc.reg_read(STATUS)

        def toggle(bit):
            return (lambda: uc.reg_write(STATUS, status ^ bit), lambda: uc.reg_write(STATUS, status))
        self.hflags = regfile.locate_flag_word(base, 64 << 10, [(*toggle(STATUS_FR), HFLAG_F64),
                                                                (*toggle(STATUS_CU1), HFLAG_FPU)])
        fix = raw.MipsExceptionPc(uc, base + 32 * word_bytes, word_bytes, big_endian)
        if fix.ok:
            self._fix = fix  # the callback's code lives as long as this CPU
            self.exception_pc = True

    def track_blocks(self, uc):
        """Without the exception-PC callback: a block hook remembers where each block
        starts and ends, from which exception_fault finds the instruction (slow: a
        Python call per block, only where the callback cannot be installed)."""
        from .. import raw
        self.last_block = (0, 0)

        def on_block(handle, address, size, user_data):
            self.last_block = (address, size)
        self._block_hook = raw.CODE_CALLBACK(on_block)
        raw.add_hook(uc, raw.UC_HOOK_BLOCK, self._block_hook)

    def in_delay_slot(self):
        return self.hflags is not None and bool(self.hflags[0] & HFLAG_BMASK)

    def leave_delay_slot(self):
        if self.hflags is not None:
            self.hflags[0] &= ~HFLAG_BMASK


# ---- n64: ll/lld above 2 GiB -------------------------------------------------------
# Loads and stores go through Unicorn's virtual TLB (our fill hook), but QEMU's ll and
# lld also translate the address with the CPU's own MMU (helper_ll, do_translate_address,
# for CP0 LLAddr), and in kernel mode only the low 2 GiB translate without TLB entries:
# above, ll raises an address error (glibc's locks in a static program's .bss at
# 0x120000000 do). So each n64 CPU starts with its MIPS TLB holding global entries for
# the whole of XUSEG_MAPPED, 256 MiB pages in pairs, written by a few instructions run
# once (the physical addresses they give are never used: sc and every access go by
# the virtual address), and Status.UX on.
PAIR = 512 << 20
XUSEG_MAPPED = 32 * PAIR  # 16 GiB: the 32 entries of the smallest TLB offered (5KEf)
STATUS_UX = 1 << 5
_BOOT_AT = 0x10000


def _fill_cpu_tlb(uc, big_endian):
    """Write the entries with dmtc0 EntryHi/EntryLo0/EntryLo1, mtc0 PageMask/Index, tlbwi."""
    def mtc0(rt, rd, double=False):
        return (0x40A00000 if double else 0x40800000) | rt << 16 | rd << 11
    code = [mtc0(8, 10, True), mtc0(9, 2, True), mtc0(10, 3, True), mtc0(11, 5), mtc0(12, 0), 0x42000002, 0]
    order = "big" if big_endian else "little"
    uc.mem_map(_BOOT_AT, 4096, 5)
    try:
        uc.mem_write(_BOOT_AT, b"".join(w.to_bytes(4, order) for w in code))
        entry_lo = lambda pa: (pa >> 12) << 6 | 3 << 3 | 0b111  # PFN, cacheable, D, V, G
        for i in range(XUSEG_MAPPED // PAIR):
            va = i * PAIR
            for reg, value in ((8, va), (9, entry_lo(va)), (10, entry_lo(va + PAIR // 2)),
                               (11, (PAIR - 1) & ~0x1FFF), (12, i)):  # PageMask: 256 MiB pages
                uc.reg_write(R[reg], value)
            uc.emu_start(_BOOT_AT, _BOOT_AT + 4 * (len(code) - 1))
    finally:
        uc.mem_unmap(_BOOT_AT, 4096)
    for reg in R[8:13]:
        uc.reg_write(reg, 0)
    uc.reg_write(STATUS, uc.reg_read(STATUS) | STATUS_UX)


_VARIANTS = {(False, False): "mipsel", (False, True): "mips", (True, False): "mips64el", (True, True): "mips64"}


def _mend_translator(fr, big_endian):
    """Unicorn's MIPS translator crashes on long blocks unless mended (raw.mend_mips_translator):
    say so once when it cannot be."""
    from .. import raw
    variant = _VARIANTS[(fr, big_endian)]
    if not raw.mend_mips_translator(variant) and variant not in _unmended:
        _unmended.add(variant)
        import sys
        sys.stderr.write(f"pyqemu-{variant}: warning: this libunicorn's MIPS translator could not be mended: a "
                         "block of more than about 370 instructions without a branch will crash it (unicorn "
                         "issue #2240)\n")


_unmended = set()


def _warn_once(what, big_endian, fr, text):
    variant = _VARIANTS[(fr, big_endian)]
    if (what, variant) not in _unmended:
        _unmended.add((what, variant))
        import sys
        sys.stderr.write(f"pyqemu-{variant}: warning: {text}\n")


def prepare_for(fr, big_endian):
    def prepare(uc):
        _mend_translator(fr, big_endian)
        set_fpu_mode(uc, fr)
        uc.mips = CpuState(uc, 8 if fr else 4, big_endian)
        if uc.mips.slot_flag is None:
            _warn_once("slot-flag", big_endian, fr, "the translator state a fetch fault leaves cannot be reset: "
                       "a SIGSEGV handler run after a jump to an unmapped address will crash Unicorn")
        if not uc.mips.exception_pc:
            uc.mips.track_blocks(uc)
        if fr:  # n64
            _fill_cpu_tlb(uc, big_endian)
    return prepare


def tlb_mode(uc):
    """Unicorn's virtual TLB once the delay-slot flag can be mended after each fill;
    else the CPU's own TLB (no such bug; n64's prefilled MIPS TLB maps its addresses
    above 2 GiB; but a fault is precise there only with Unicorn's exit check after every
    access: slower on memory-heavy code)."""
    return "virtual" if uc.mips.hflags is not None else "cpu-exit-checks"


def tlb_filled(uc):
    uc.mips.leave_delay_slot()


def resume_address(uc):
    """Where emulation goes on: a CPU stopped between a branch and its delay slot (a
    block that starts in the slot) goes back to the branch, as the kernel's EPC does
    after an interrupt there (BD); the branch runs again with the same registers."""
    state = uc.mips
    if state.slot_flag is not None:  # a fetch fault may have left it mid-translation
        state.slot_flag.value = 0
    if state.in_delay_slot():
        state.leave_delay_slot()
        uc.reg_write(REG_PC, uc.reg_read(REG_PC) - 4)
    return uc.reg_read(REG_PC)


def set_resume_address(uc, pc):
    uc.mips.leave_delay_slot()
    uc.reg_write(REG_PC, pc)


# ---- AT_HWCAP (arch/mips/include/uapi/asm/hwcap.h, set in arch/mips/kernel/cpu-probe.c) --
_HWCAP = {"r6": 1 << 0, "msa": 1 << 1, "crc32": 1 << 2, "mips16": 1 << 3, "mdmx": 1 << 4,
          "mips3d": 1 << 5, "smartmips": 1 << 6, "dsp": 1 << 7, "dsp2": 1 << 8, "dsp3": 1 << 9}
_CONFIG3_BITS = {"smartmips": 1, "dsp": 10, "dsp2": 11, "msa": 28}
_FIR_3D = 1 << 19
CONFIG1_CA_MODELS = set()  # filled by each module: models whose Config1 has CA (MIPS16e)


def hwcaps_for(uc, mips16):
    """What the kernel derives from Config3 (DSP, DSPr2, SmartMIPS, MSA), FIR (MIPS-3D)
    and Config1.CA (MIPS16e: Unicorn cannot read Config1, the module says it per model)."""
    config3 = uc.reg_read(M.UC_MIPS_REG_CP0_CONFIG3)
    caps = {name for name, bit in _CONFIG3_BITS.items() if config3 >> bit & 1}
    if uc.reg_read(FIR) & _FIR_3D:
        caps.add("mips3d")
    if mips16:
        caps.add("mips16")
    return sum(_HWCAP[c] for c in caps), 0


def cpuinfo_for(model_name, isa, hwcap, ncpus):
    """/proc/cpuinfo as arch/mips/kernel/proc.c words it."""
    ases = [n for n in ("mips16", "dsp", "dsp2", "mips3d", "smartmips", "msa") if hwcap & _HWCAP[n]]
    out = []
    for i in range(ncpus):
        out.append(f"processor\t\t: {i}\ncpu model\t\t: {model_name}\nBogoMIPS\t\t: 100.00\n"
                   "wait instruction\t: yes\nmicrosecond timers\t: yes\ntlb_entries\t\t: 64\n"
                   "extra interrupt vector\t: yes\nhardware watchpoint\t: no\n"
                   f"isa\t\t\t: {isa}\nASEs implemented\t: {' '.join(ases)}\n"
                   "shadow register sets\t: 1\nkscratch registers\t: 0\npackage\t\t\t: 0\n"
                   f"core\t\t\t: {i}\nVCED exceptions\t\t: not available\n"
                   "VCEI exceptions\t\t: not available\n\n")
    return "system type\t\t: pyqemu\nmachine\t\t\t: pyqemu\n" + "".join(out)


# ---- exceptions (QEMU's EXCP_* numbers, target/mips/cpu.h; arch/mips/kernel/traps.c) ----
EXCP_ADEL, EXCP_ADES, EXCP_BREAK, EXCP_CPU, EXCP_RI, EXCP_OVERFLOW, EXCP_TRAP, EXCP_FPE = 12, 13, 18, 19, 20, 21, 22, 23
EXCEPTIONS = {EXCP_ADEL: ("SIGBUS", "unaligned load"), EXCP_ADES: ("SIGBUS", "unaligned store"),
              EXCP_BREAK: ("SIGTRAP", "breakpoint"), EXCP_CPU: ("SIGILL", "coprocessor unusable"),
              EXCP_RI: ("SIGILL", "illegal instruction"), EXCP_OVERFLOW: ("SIGFPE", "integer overflow"),
              EXCP_TRAP: ("SIGTRAP", "trap"), EXCP_FPE: ("SIGFPE", "floating-point exception")}
BRK_OVERFLOW, BRK_DIVZERO = 6, 7  # uapi/asm/break.h: the codes gcc's division checks use
# FCSR cause bits (22..12: E V Z O U I) -> si_code, in the kernel's order of precedence
_FPE_CAUSES = ((1 << 16, "FPE_FLTINV"), (1 << 15, "FPE_FLTDIV"), (1 << 14, "FPE_FLTOVF"),
               (1 << 13, "FPE_FLTUND"), (1 << 12, "FPE_FLTRES"))


def _trap_code(intno, insn):
    """The code of a break (20 bits, old assemblers' halves swapped back as the kernel's
    do_bp does) or of a register trap (teq & co: 10 bits; the immediate ones have none)."""
    if intno == EXCP_BREAK:
        code = (insn >> 6) & 0xFFFFF
        return ((code & 0x3FF) << 10) | (code >> 10) if code >= 1 << 10 else code
    return (insn >> 6) & 0x3FF if insn >> 26 == 0 else 0


def exception_fault(thread, intno):
    """A GuestFault for an exception other than syscall: the signal and si_code the kernel
    (and qemu-user) would give, at the instruction's address (the branch's, BD, when it
    is in a delay slot)."""
    from ..threads.thread import GuestFault
    uc, abi = thread.uc, thread.abi
    state = uc.mips
    pc = uc.reg_read(REG_PC) if state.exception_pc else _pc_in_block(thread, intno)
    insn = _insn(thread, pc)
    signal, what = EXCEPTIONS.get(intno, ("SIGILL", f"cpu exception {intno}"))
    address, code = pc, None
    if intno in (EXCP_BREAK, EXCP_TRAP):
        number = _trap_code(intno, insn)
        if number == BRK_DIVZERO:
            signal, what, code = "SIGFPE", "integer divide by zero", "FPE_INTDIV"
        elif number == BRK_OVERFLOW:
            signal, what, code = "SIGFPE", "integer overflow", "FPE_INTOVF"
        elif intno == EXCP_BREAK:
            address, code = None, "TRAP_BRKPT"
        else:
            address, code = None, "SI_KERNEL"  # the kernel's force_sig(SIGTRAP)
    elif intno == EXCP_OVERFLOW:
        code = "FPE_INTOVF"
    elif intno == EXCP_FPE:
        cause = uc.reg_read(FCSR)
        code = next((name for bit, name in _FPE_CAUSES if cause & bit), "FPE_FLTUNK")
    elif intno == EXCP_ADEL and pc & 3:  # the fetch itself: BadVAddr is the PC (qemu-user's si_addr)
        what, code = "jump to a misaligned address", "BUS_ADRALN"
    elif intno in (EXCP_ADEL, EXCP_ADES):
        base, offset = (insn >> 21) & 31, insn & 0xFFFF
        address = (uc.reg_read(R[base]) + offset - ((offset & 0x8000) << 1)) & abi.word_mask
        code = "BUS_ADRALN"
    elif signal == "SIGILL":
        code = "ILL_ILLOPC"  # qemu-user's; the kernel's do_ri says SI_KERNEL
    fault = GuestFault(signal, adjust_fault_pc(uc, pc), address, what, code)
    CpuRecord.values[(uc._uch.value, "badvaddr")] = address or 0
    CpuRecord.values[(uc._uch.value, "cause")] = (1 << 31 if state.in_delay_slot() else 0) | \
        ((_CAUSE_CODES.get(intno, 0)) << 2)
    return fault


def _insn(thread, pc):
    try:
        return thread.abi.unpack("I", thread.space.read(pc, 4))[0]
    except GuestError:
        return 0


# The instructions that raise each exception, by (opcode, funct) of the MIPS32/64 base
# ISA: where the exception-PC callback is missing, the faulting one is found in the
# last block run (CpuState.track_blocks): an unconditional exception (break, reserved
# or coprocessor-unusable instruction) ends its block; for the others the first
# candidate in the block is taken, a trap's condition checked against the registers.
_TRAPS = {0x30: lambda a, b: a >= b, 0x31: lambda a, b: a >= b, 0x32: lambda a, b: a < b,
          0x33: lambda a, b: a < b, 0x34: lambda a, b: a == b, 0x36: lambda a, b: a != b}


def _pc_in_block(thread, intno):
    uc, abi = thread.uc, thread.abi
    start, size = uc.mips.last_block
    last = start + size - 4
    if intno in (EXCP_BREAK, EXCP_RI, EXCP_CPU) or size <= 4:
        return last
    signed = abi.signed
    for pc in range(start, start + size, 4):
        insn = _insn(thread, pc)
        op, funct = insn >> 26, insn & 0x3F
        rs, rt = uc.reg_read(R[(insn >> 21) & 31]), uc.reg_read(R[(insn >> 16) & 31])
        if intno == EXCP_TRAP and op == 0 and funct in _TRAPS:
            a, b = (signed(rs), signed(rt)) if funct in (0x30, 0x32, 0x34, 0x36) else (rs, rt)
            if _TRAPS[funct](a, b):
                return pc
        elif intno == EXCP_OVERFLOW and ((op == 0 and funct in (0x20, 0x22, 0x2C, 0x2E)) or op in (8, 0x18)):
            return pc
        elif intno == EXCP_FPE and op == 0x11:
            return pc
        elif intno in (EXCP_ADEL, EXCP_ADES) and op >= 0x20:
            return pc
    return last


# Cause.ExcCode for gdb's $cause: AdEL 4, AdES 5, Bp 9, CpU 11, RI 10, Ov 12, Tr 13, FPE 15
_CAUSE_CODES = {EXCP_ADEL: 4, EXCP_ADES: 5, EXCP_BREAK: 9, EXCP_RI: 10, EXCP_CPU: 11, EXCP_OVERFLOW: 12,
                EXCP_TRAP: 13, EXCP_FPE: 15}


def adjust_fault_pc(uc, pc):
    """A fault in a delay slot is reported at its branch (the kernel's EPC with Cause.BD):
    the handler's sigcontext holds the branch, which runs again with its slot on return."""
    return pc - 4 if uc.mips.in_delay_slot() else pc


# ---- private syscalls (arch/mips/kernel/syscall.c, signal.c) ----------------------------

def private_syscalls(o32):
    table = {}

    @arch_syscall(table)
    def set_thread_area(t, addr: Ptr):
        """The thread pointer: user code reads it with rdhwr $29 (CP0 UserLocal)."""
        t.uc.reg_write(REG_TLS, addr)

    @arch_syscall(table)
    def pipe(t):
        """pipe() answers with the two descriptors in v0 and v1, no pointer."""
        import os
        r, w = os.pipe2(0)
        t.uc.reg_write(V1, w)
        return r

    @arch_syscall(table)
    def cacheflush(t, addr: Ptr, nbytes: Size, cache: UInt):
        """Code was written there: drop what Unicorn translated of it (the kernel makes
        the caches coherent; here the translated blocks are the stale copy)."""
        if nbytes == 0:
            return 0
        if addr + nbytes > t.arch.TASK_SIZE or addr + nbytes < addr:
            raise GuestError(errno.EFAULT)  # the kernel's access_ok, not a mapping check
        for uc in t.space.cpus:
            uc.ctl_remove_cache(addr, addr + nbytes)

    @arch_syscall(table)
    def cachectl(t, addr: Ptr, nbytes: Int, op: Int):
        raise GuestError(errno.ENOSYS)  # what the kernel answers: nothing to control

    @arch_syscall(table)
    def sysmips(t, cmd: Int, arg1: Ptr, arg2: Ptr):
        consts = t.abi.tables.SYSMIPS
        if cmd == consts["MIPS_ATOMIC_SET"]:
            # store arg2 at arg1, the old value is the result (atomic: guest code runs
            # one thread at a time under the emulator lock)
            old = t.abi.unpack("i", t.space.read(arg1, 4))[0]
            t.space.write(arg1, t.abi.pack("I", arg2 & 0xFFFFFFFF))
            return old
        if cmd == consts["MIPS_FIXADE"]:
            if arg1 & ~3:
                raise GuestError(errno.EINVAL)
            return 0  # unaligned accesses: see faults.py
        if cmd == consts["FLUSH_CACHE"]:
            for uc in t.space.cpus:
                uc.ctl_flush_tb()
            return 0
        raise GuestError(errno.EINVAL)

    @arch_syscall(table)
    def prctl(t, option: Int, arg2: Arg, arg3: Arg, arg4: Arg, arg5: Arg):
        """MIPS' own options: the FPU register mode (ld.so asks before loading objects
        whose FP ABI may need the other), then the common ones."""
        proc = t.abi.tables.PROC
        if option == proc["PR_GET_FP_MODE"]:
            return proc["PR_FP_MODE_FR"] if fpu_fr(t.uc) else 0
        if option == proc["PR_SET_FP_MODE"]:
            fr_bit = proc["PR_FP_MODE_FR"]
            if arg2 & ~(fr_bit | proc["PR_FP_MODE_FRE"]) or arg2 & proc["PR_FP_MODE_FRE"]:
                raise GuestError(errno.EOPNOTSUPP)  # no core offered has Config5.FRE
            if not o32 and not arg2 & fr_bit:
                raise GuestError(errno.EOPNOTSUPP)  # n64 code has 64-bit FPU registers only
            for uc in t.space.cpus:  # the kernel switches every thread of the process
                set_fpu_mode(uc, bool(arg2 & fr_bit))
            return 0
        from ..syscalls.handlers import info
        return info.prctl(t, option, arg2, arg3, arg4, arg5)

    if o32:
        from ..syscalls.handlers import fds

        @arch_syscall(table, name="fadvise64")
        def fadvise64_64(t, fd: Fd, offset: Off64, length: Off64, advice: Int):
            """o32's fadvise64 is the kernel's fadvise64_64: the length is 64 bits too."""
            return fds.fadvise64_64(t, fd, offset, length, advice)

        @arch_syscall(table)
        def sigaction(t, sig: Int, act: Ptr, oact: Ptr):
            """The old call takes MIPS' struct sigaction (flags first) but only the first
            word of its mask, and gives back zeros in the others."""
            from ..signals.delivery import Action
            shared = t.process.signals
            if not 1 <= sig <= t.abi.nsig:
                raise GuestError(errno.EINVAL)
            layout = t.layouts.old_sigaction
            new = None
            if act:
                f = layout.unpack(t.space.read(act, layout.size))
                first = t.abi.unpack("I", f["mask"])[0]
                new = Action(f["handler"], f["flags"] & 0xFFFFFFFF, 0, first)
                if sig in (shared.number("SIGKILL"), shared.number("SIGSTOP")):
                    raise GuestError(errno.EINVAL)
            if oact:
                old = shared.actions[sig]
                mask = frames.pack_sigset(t.abi, old.mask & 0xFFFFFFFF)
                t.space.write(oact, layout.pack(handler=old.handler, flags=old.flags, mask=mask))
            if new is not None:
                shared.set_action(sig, new)

        @arch_syscall(table, name="syscall")
        def indirect(t, number: UInt, a: Ptr, b: Ptr, c: Ptr):
            """o32's syscall(number, ...): as the kernel's sys_syscall, the arguments move down
            one place (a1-a3 into a0-a2, the stack words at sp+16..28 into a3 and sp+16..24)
            and the call runs: here by going back to the syscall instruction with v0 = number."""
            base = t.arch.CONVENTION.number_base
            if number == base or not base < number < base + 1000:
                raise GuestError(errno.ENOSYS)  # no recursion, nothing outside the o32 table
            uc = t.uc
            sp = uc.reg_read(SP)
            words = list(t.abi.unpack("4I", t.space.read(sp + 16, 16)))
            t.space.write(sp + 16, t.abi.pack("3I", *words[1:]))
            for reg, value in zip((A0, A1, A2, A3), (a, b, c, words[0])):
                uc.reg_write(reg, value)
            uc.reg_write(V0, number)
            pc = uc.reg_read(REG_PC) - 4
            t.defer(lambda: set_resume_address(uc, pc))
            return KEEP_REGISTERS

        @arch_syscall(table)
        def sigsuspend(t, uset: Ptr):
            """MIPS' sigsuspend takes a whole sigset_t, as rt_sigsuspend."""
            from ..syscalls.handlers import signals
            return signals.rt_sigsuspend(t, uset, t.abi.sigset_bytes)

    return table


# ---- signal frames (arch/mips/kernel/signal.c, signal32.c; uapi/asm/sigcontext.h) -------
# Both ABIs' frames start with the o32 argument save area (4 words) and two more that
# once held the trampoline; the kernel now returns through its vDSO's, ours the [vdso]
# page's: `li v0, NR; syscall`. The ucontext is {flags, link, stack_t, sigcontext,
# sigset}; o32's sigframe is {save area, sigcontext, sigset}.

FRAME_HEAD = 24  # u32 sf_ass[4], sf_pad[2]


class SigContext:
    """struct sigcontext of one ABI: where each part goes (offsets from its start)."""

    def __init__(self, abi, o32):
        self.o32 = o32
        if o32:
            # u32 regmask, status; u64 pc; u64 regs[32]; u64 fpregs[32]; u32 acx, fpc_csr,
            # fpc_eir, used_math, dsp; (pad) u64 mdhi, mdlo; u32 hi1, lo1, hi2, lo2, hi3, lo3
            self.pc, self.regs, self.fpregs = 8, 16, 272
            self.fpc_csr, self.used_math = 532, 540
            self.mdhi, self.mdlo = 552, 560
            self.size = 592
        else:
            # u64 regs[32], fpregs[32], mdhi, hi1, hi2, hi3, mdlo, lo1, lo2, lo3, pc;
            # u32 fpc_csr, used_math, dsp, reserved
            self.regs, self.fpregs = 0, 256
            self.mdhi, self.mdlo, self.pc = 512, 544, 576
            self.fpc_csr, self.used_math = 584, 588
            self.size = 600
        self.abi = abi

    def save(self, uc, pc):
        abi = self.abi
        data = bytearray(self.size)
        mask = abi.word_mask
        # o32 registers are 32 bits, kept zero-extended in the 64-bit slots (qemu-user
        # and a 32-bit kernel alike)
        regs = [0] + [uc.reg_read(r) & mask for r in R[1:]]
        data[self.regs:self.regs + 256] = abi.pack("32Q", *regs)
        data[self.pc:self.pc + 8] = abi.pack("Q", pc & mask)
        data[self.mdhi:self.mdhi + 8] = abi.pack("Q", uc.reg_read(HI) & mask)
        data[self.mdlo:self.mdlo + 8] = abi.pack("Q", uc.reg_read(LO) & mask)
        data[self.fpregs:self.fpregs + 256] = abi.pack("32Q", *fp_save(uc, fpu_fr(uc)))
        data[self.fpc_csr:self.fpc_csr + 4] = abi.pack("I", uc.reg_read(FCSR))
        data[self.used_math:self.used_math + 4] = abi.pack("I", 1)
        return bytes(data)

    def restore(self, uc, data, set_pc):
        abi = self.abi
        regs = abi.unpack("32Q", data[self.regs:])
        mask = abi.word_mask
        for reg, value in zip(R[1:], regs[1:]):
            uc.reg_write(reg, value & mask)
        uc.reg_write(HI, abi.unpack("Q", data[self.mdhi:])[0] & mask)
        uc.reg_write(LO, abi.unpack("Q", data[self.mdlo:])[0] & mask)
        if abi.unpack("I", data[self.used_math:])[0]:
            fp_restore(uc, abi.unpack("32Q", data[self.fpregs:]), fpu_fr(uc))
            fcsr = abi.unpack("I", data[self.fpc_csr:])[0]
            try:
                uc.reg_write(FCSR, fcsr)
            except Exception:  # a cause bit with its exception enabled: the kernel clears causes first
                uc.reg_write(FCSR, fcsr & ~0x0003F000)
        set_pc(abi.unpack("Q", data[self.pc:])[0] & mask)


def fp_save(uc, fr):
    """sc_fpregs as the kernel fills them: with FR=1 each register's 64 bits; with FR=0
    only the even slots, each holding its pair (even low, odd high). Unicorn's FR=0
    keeps every single register in the low half of its own slot."""
    values = [uc.reg_read(f) for f in F]
    if fr:
        return values
    out = [0] * 32
    for i in range(0, 32, 2):
        out[i] = (values[i] & 0xFFFFFFFF) | (values[i + 1] & 0xFFFFFFFF) << 32
    return out


def fp_restore(uc, slots, fr):
    if fr:
        for f, value in zip(F, slots):
            uc.reg_write(f, value)
        return
    for i in range(0, 32, 2):
        uc.reg_write(F[i], slots[i] & 0xFFFFFFFF)
        uc.reg_write(F[i + 1], slots[i] >> 32)


class Frames:
    """setup_frame/restore_frame of one ABI (o32 has the old sigframe too)."""

    def __init__(self, abi, o32, set_resume_address):
        self.abi = abi
        self.o32 = o32
        self.sc = SigContext(abi, o32)
        self.align = 8 if o32 else 16  # the kernel's ALMASK
        wb = abi.word_bytes
        # ucontext: uc_flags, uc_link, stack_t, then the sigcontext (8-aligned)
        stack_t_size = 12 if o32 else 24
        head = 2 * wb + stack_t_size
        self.uc_mcontext = head + (-head % 8)
        self.uc_sigmask = self.uc_mcontext + self.sc.size
        self.ucontext_size = self.uc_sigmask + abi.sigset_bytes
        self.rt_info = FRAME_HEAD
        self.rt_uc = FRAME_HEAD + frames.SIGINFO_SIZE
        self.sf_sc = FRAME_HEAD
        self.sf_mask = FRAME_HEAD + self.sc.size
        self.set_resume_address = set_resume_address

    def layout_facts(self):
        """(C type, member) -> offset or size, for tests/test_layouts.py."""
        return {("ucontext_t", "uc_mcontext"): self.uc_mcontext, ("ucontext_t", "uc_sigmask"): self.uc_sigmask,
                ("mcontext_t", None): self.sc.size, ("mcontext_t", "pc"): self.sc.pc,
                ("mcontext_t", "gregs"): self.sc.regs, ("mcontext_t", "fpregs"): self.sc.fpregs,
                ("mcontext_t", "mdhi"): self.sc.mdhi, ("mcontext_t", "mdlo"): self.sc.mdlo,
                ("mcontext_t", "fpc_csr"): self.sc.fpc_csr, ("mcontext_t", "used_math"): self.sc.used_math}

    def setup(self, f):
        """The kernel's setup_rt_frame (SA_SIGINFO, and every n64 handler) or o32's
        setup_frame: a0 = signal, a1 = &info (sigframe: 0), a2 = &ucontext (&sigcontext),
        sp = the frame, ra = the trampoline, t9 = pc = the handler."""
        uc = f.uc
        pc = f.thread.arch.resume_address(uc)
        sc = self.sc.save(uc, pc)
        rt = f.rt or not self.o32
        if rt:
            ucontext = self.abi.pack("WW", 0, 0) + f.stack_t()
            ucontext = ucontext.ljust(self.uc_mcontext, b"\0") + sc + f.sigset()
            frame = bytes(FRAME_HEAD) + f.siginfo() + ucontext
        else:
            frame = bytes(FRAME_HEAD) + sc + f.sigset()
        at = f.place(len(frame), self.align)
        f.write(at, frame)
        trampolines = f.thread.process.trampolines
        uc.reg_write(A0, f.sig)
        if rt:
            uc.reg_write(A1, at + self.rt_info)
            uc.reg_write(A2, at + self.rt_uc)
            restorer = trampolines["rt_sigreturn"]
        else:
            uc.reg_write(A1, 0)
            uc.reg_write(A2, at + self.sf_sc)
            restorer = trampolines["sigreturn"]
        uc.reg_write(SP, at)
        uc.reg_write(RA, restorer)
        uc.reg_write(T9, f.action.handler)
        self.set_resume_address(uc, f.action.handler)

    def restore(self, thread, rt):
        uc = thread.uc
        at = uc.reg_read(SP)
        if rt:
            data = frames.read_frame(thread, at + self.rt_uc, self.ucontext_size)
            sc, mask = data[self.uc_mcontext:self.uc_sigmask], data[self.uc_sigmask:]
        else:
            data = frames.read_frame(thread, at + self.sf_sc, self.sc.size + self.abi.sigset_bytes)
            sc, mask = data[:self.sc.size], data[self.sc.size:]
        self.sc.restore(uc, sc, lambda pc: self.set_resume_address(uc, pc))
        return frames.unpack_sigset(self.abi, mask)


def trampolines(abi, o32):
    """The kernel vDSO's sigreturn code: li v0, NR (addiu v0, zero, NR); syscall."""
    li_v0, syscall = 0x24020000, 0x0000000C
    out = {"rt_sigreturn": abi.pack("II", li_v0 | abi.tables.SYSCALLS["rt_sigreturn"], syscall)}
    if o32:
        out["sigreturn"] = abi.pack("II", li_v0 | abi.tables.SYSCALLS["sigreturn"], syscall)
    return out


# ---- gdb: gdb's own mips features (gdb/features/mips-*.xml) ----------------------------
# Numbers: r0-r31 0-31, status 32, lo 33, hi 34, badvaddr 35, cause 36, pc 37, f0-f31 38-69,
# fcsr 70, fir 71; "restart" (72, org.gnu.gdb.mips.linux) lets gdb cancel a syscall restart.

_GDB_NAMES = ("zero at v0 v1 a0 a1 a2 a3 t0 t1 t2 t3 t4 t5 t6 t7 "
              "s0 s1 s2 s3 s4 s5 s6 s7 t8 t9 k0 k1 gp sp s8 ra").split()


class CpuRecord:
    """A register gdb shows that Unicorn does not keep (cause, badvaddr, restart):
    what the last fault of that CPU recorded (faults.py), else 0."""
    values = {}  # (uc handle, name) -> value

    def __init__(self, name):
        self.name = name

    def read(self, uc):
        return self.values.get((uc._uch.value, self.name), 0)

    def write(self, uc, value):
        self.values[(uc._uch.value, self.name)] = value


def gdb_features(bits, fr_bits):
    cause, badvaddr, restart = CpuRecord("cause"), CpuRecord("badvaddr"), CpuRecord("restart")
    gprs = [(f"r{i}", bits, R[i], "int", i) for i in range(32)]
    return [
        ("org.gnu.gdb.mips.cpu", gprs + [("lo", bits, LO, "int", 33), ("hi", bits, HI, "int", 34),
                                         ("pc", bits, REG_PC, "int", 37)]),
        ("org.gnu.gdb.mips.cp0", [("status", bits, STATUS, "int", 32), ("badvaddr", bits, badvaddr, "int", 35),
                                  ("cause", bits, cause, "int", 36)]),
        ("org.gnu.gdb.mips.fpu", [(f"f{i}", fr_bits, F[i], "ieee_double" if fr_bits == 64 else "ieee_single",
                                   38 + i) for i in range(32)]
         + [("fcsr", bits, FCSR, "int", 70), ("fir", bits, FIR, "int", 71)]),
        ("org.gnu.gdb.mips.linux", [("restart", bits, restart, "int", 72)]),
    ]


# ---- facts for the test programs (tests/conftest.py) -----------------------------------
TEST_C = {
    "ARCH_ILLEGAL": '__asm__ volatile(".word 0x7c00003b | (31 << 11) | (2 << 16)")',  # rdhwr $2, $31: RI
    "ARCH_BREAKPOINT": '__asm__ volatile("break")',
    "ARCH_GET_SP(v)": '__asm__ volatile("move %0, $sp" : "=r"(v))',
    "ARCH_SKIP_INSN(uc)": "do { (uc)->uc_mcontext.pc += 4; } while (0)",
    # the load bias of a PIC program nothing relocated: $gp now, less its link-time value
    "ARCH_LOAD_BIAS": '({ extern char _gp[]; long g_; __asm__("move %0, $gp" : "=r"(g_)); g_ - (long)_gp; })',
    "ARCH_SYSCALL3(n, a, b, c)": "({ register long v0 __asm__(\"$2\") = (n); register long a0 __asm__(\"$4\") = (a); "
                                 "register long a1 __asm__(\"$5\") = (b); register long a2 __asm__(\"$6\") = (c); "
                                 "register long a3 __asm__(\"$7\"); "
                                 "__asm__ volatile(\"syscall\" : \"+r\"(v0), \"=r\"(a3) : \"r\"(a0), \"r\"(a1), \"r\"(a2) "
                                 ": \"memory\", \"$1\", \"$3\", \"$8\", \"$9\", \"$10\", \"$11\", \"$12\", \"$13\", "
                                 "\"$14\", \"$15\", \"$24\", \"$25\", \"hi\", \"lo\"); a3 ? -v0 : v0; })",    # code written at run time: jr $ra, with addiu $v0, $zero, n in its delay slot
    "ARCH_CODE_RETURN(w, n)": "do { (w)[0] = 0x03e00008u; (w)[1] = 0x24020000u | (n); } while (0)",
    "ARCH_EXCLUSIVE_LOAD(p)": "({ long v_; __asm__ volatile(\"ll %0, 0(%1)\" : \"=r\"(v_) : \"r\"(p) : \"memory\"); v_; })",
    # jr to an address 2 bytes in (bit 0 clear: still the MIPS ISA): an address error on fetch
    "ARCH_MISALIGNED_JUMP(p)": '__asm__ volatile("jr %0\\n nop" :: "r"(p))',
    # what User mode may run (tests/guest/privileged.c): T(name, the kernel's signal or 0, statement);
    # coprocessor 0 is unusable there (SIGILL); rdhwr reads what the kernel enables in HWREna
    "ARCH_PRIVILEGED(T)": " ".join([
        'T("mfc0 status", SIGILL, __asm__ volatile("mfc0 %0, $12" : "=r"(v)));',
        'T("mtc0 status", SIGILL, __asm__ volatile("mtc0 $0, $12"));',
        'T("di", SIGILL, __asm__ volatile("di"));',
        'T("eret", SIGILL, __asm__ volatile("eret"));',
        'T("wait", SIGILL, __asm__ volatile("wait"));',
        'T("tlbwi", SIGILL, __asm__ volatile("tlbwi"));',
        'T("cache", SIGILL, __asm__ volatile("cache 0x14, 0(%0)" :: "r"(&v)));',
        'T("rdhwr ulr", 0, __asm__ volatile("rdhwr %0, $29" : "=r"(v)));',
        'T("rdhwr synci_step", 0, __asm__ volatile("rdhwr %0, $1" : "=r"(v)));',
        'T("rdhwr cc", 0, __asm__ volatile("rdhwr %0, $2" : "=r"(v)));',
        'T("synci", 0, __asm__ volatile("synci 0(%0)" :: "r"(&v)));',
        'T("sync", 0, __asm__ volatile("sync"));',
    ]),
}


def _entry(addiu):
    """ARCH_ENTRY(f): a _start that sets $t9 to f (PIC code computes its $gp from it) and jumps."""
    return (f'__asm__(".text\\n.globl _start\\n.set push\\n.set noreorder\\n_start:\\nbal 1f\\nnop\\n'
            f'1: {addiu} $25, $31, " #f " - 1b\\njr $25\\nnop\\n.set pop\\n")')


# ---- the rest of each module's contract ----------------------------------------------

EF_MIPS_ABI2 = 0x20          # n32
EF_MIPS_NAN2008 = 0x400
EF_MIPS_ARCH = 0xF0000000
_R6_ARCHES = {0x90000000: "MIPS32 release 6", 0xA0000000: "MIPS64 release 6"}


def check_elf_for(o32):
    def check_elf(elf):
        flags = elf.flags
        if o32 and flags & EF_MIPS_ABI2:
            return "an n32 program; this command runs o32 programs"
        if flags & EF_MIPS_ARCH in _R6_ARCHES:
            return (f"a {_R6_ARCHES[flags & EF_MIPS_ARCH]} program; pyqemu runs MIPS release 2 and "
                    "earlier programs (what Debian builds)")
        if flags & EF_MIPS_NAN2008:
            return "built for IEEE 754-2008 NaNs (-mnan=2008); the CPU models offered use the legacy NaN encoding"
        return None
    return check_elf


def emulate_trapped(uc, insn):
    return False


def undecodable(insn):
    return "SIGILL"


def common_names(abi, o32):
    """The contract names both ABIs build alike from their Abi (see o32_arch/n64_arch)."""
    fr = not o32
    bits = abi.bits
    frames_ = Frames(abi, o32, set_resume_address)
    return {
        "ELF_MACHINE": 8,  # EM_MIPS
        "ELF_CLASS": bits,
        "GPR_IDS": GPR_IDS, "GPR_SLOT_BYTES": abi.word_bytes,
        "REG_PC": REG_PC, "REG_SP": REG_SP, "REG_TLS": REG_TLS,
        "FAULT_PC_ADJUST": 0,
        "EXCEPTIONS": EXCEPTIONS,
        "MINSIGSTKSZ": None,  # the mips kernel puts no AT_MINSIGSTKSZ in the auxv
        "PLATFORM": None,     # nor an AT_PLATFORM for the cores offered
        "SIGNAL_REDZONE": 32,  # get_sigframe's sp -= 32 (room the FPU emulator once used)
        "setup_frame": frames_.setup, "restore_frame": frames_.restore,
        "FRAME_LAYOUT": frames_.layout_facts(),
        "TRAMPOLINES": trampolines(abi, o32),
        "SYSCALLS": private_syscalls(o32),
        "emulate_trapped": emulate_trapped, "undecodable": undecodable,
        "check_elf": check_elf_for(o32),
        # binfmt_misc: o32 programs are ELF32 without EF_MIPS_ABI2 (n32 has it), as qemu's entries
        "ELF_FLAGS_MATCH": (EF_MIPS_ABI2, 0) if o32 else None,
        "prepare": prepare_for(fr, abi.endian == "big"),
        "tlb_mode": tlb_mode, "tlb_filled": tlb_filled,
        "resume_address": resume_address, "set_resume_address": set_resume_address,
        "exception_fault": exception_fault, "adjust_fault_pc": adjust_fault_pc,
        "TEST_C": {**TEST_C, "ARCH_ENTRY(f)": _entry("addiu" if o32 else "daddiu")},
        "SHMLBA": 0x40000,  # arch/mips shmparam.h, forced (__ARCH_FORCE_SHMLBA) as qemu-mips does
        # arch/mips uapi resource.h: 32-bit kernels' infinity (and compat's for o32)
        "RLIM_INFINITY": 0x7fffffff if o32 else None,
        "STACK_ALIGN": 8 if o32 else 16,  # o32 keeps the stack 8-aligned at calls (n64: 16)
        "CS_ARCH": 2,  # capstone: CS_ARCH_MIPS
        "CS_MODE": (4 if o32 else 8) | (0 if abi.endian == "little" else 1 << 31),
        "GDB_TYPES": "",
    }


# ---- o32's CPUs (mips and mipsel: the same but for the byte order) --------------------
# qemu-mips's and qemu-mipsel's default is the 24Kf; the others are cores of the same ISA
# with DSP (34Kf, 74Kf) or release 5 with MSA (P5600)
O32_CPU_MODELS = {"24Kf": M.UC_CPU_MIPS32_24KF, "34Kf": M.UC_CPU_MIPS32_34KF, "74Kf": M.UC_CPU_MIPS32_74KF,
                  "P5600": M.UC_CPU_MIPS32_P5600}
_O32_MIPS16 = {M.UC_CPU_MIPS32_24KF, M.UC_CPU_MIPS32_34KF, M.UC_CPU_MIPS32_74KF}  # Config1.CA, as QEMU defines them


def o32_hwcaps(uc):
    return hwcaps_for(uc, uc.ctl_get_cpu_model() in _O32_MIPS16)


def o32_cpuinfo(hwcap, hwcap2, ncpus):
    return cpuinfo_for("MIPS 24Kf", "mips1 mips2 mips32r1 mips32r2", hwcap, ncpus)

