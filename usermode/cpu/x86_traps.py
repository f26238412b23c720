"""x86 CPU exceptions as the kernel turns them into signals (arch/x86/kernel/traps.c,
mm/fault.c), and what it records of the last one for the signal frame.

Unicorn reports an exception by its vector: the faults (#DE, #GP...) with the
PC on the instruction, the software interrupts (int3, int n, into) with the
PC after it. The kernel's answers:

    #DE   divide error        SIGFPE  FPE_INTDIV  si_addr = the instruction
    #DB   int1                SIGTRAP             after it
    #BP   int3, int $3        SIGTRAP SI_KERNEL   after it
    #OF   into                SIGSEGV SI_KERNEL   after it
    #BR   bound               SIGSEGV SI_KERNEL   on it
    #UD   invalid opcode      SIGILL  ILL_ILLOPN  si_addr = the instruction
    #GP   privileged insns, int n for a kernel-only vector:
                              SIGSEGV SI_KERNEL   on it (int n: error code n*8+2)
    #PF   (a refused access)  SIGSEGV SEGV_MAPERR/ACCERR, si_addr = cr2
    #AC   alignment check     SIGBUS  BUS_ADRALN
    #MF, #XM                  SIGFPE  from the x87 status word / MXCSR

The sigcontext's trapno, err and cr2 are the thread's last trap's (the kernel's
thread.trap_nr, error_code, cr2), so they persist until the next one.
"""

DE, DB, BP, OF, BR, UD, DF, NP, SS, GP, PF, MF, AC, XM = 0, 1, 3, 4, 5, 6, 8, 11, 12, 13, 14, 16, 17, 19
_warned = {}

# page fault error code bits
PF_PROT, PF_WRITE, PF_USER, PF_INSTR = 1, 2, 4, 16

_EXCEPTIONS = {  # vector -> (signal, si_code, description, after the instruction)
    DE: ("SIGFPE", "FPE_INTDIV", "integer divide error", False),
    DB: ("SIGTRAP", "TRAP_BRKPT", "debug trap", True),
    BP: ("SIGTRAP", "SI_KERNEL", "breakpoint", True),
    OF: ("SIGSEGV", "SI_KERNEL", "overflow trap (into)", True),
    BR: ("SIGSEGV", "SI_KERNEL", "bound range exceeded", False),
    NP: ("SIGBUS", "SI_KERNEL", "segment not present", False),
    SS: ("SIGBUS", "SI_KERNEL", "stack segment fault", False),
    GP: ("SIGSEGV", "SI_KERNEL", "general protection fault", False),
    MF: ("SIGFPE", None, "x87 floating point exception", False),
    AC: ("SIGBUS", "BUS_ADRALN", "alignment check", False),
    XM: ("SIGFPE", None, "SIMD floating point exception", False),
}
# which faults report the instruction's address in si_addr
_ADDRESSED = (DE, MF, XM, AC)
EXCEPTIONS = {vector: (sig, what) for vector, (sig, _code, what, _after) in _EXCEPTIONS.items()}

_MEMORY = {  # GuestFault.what of a memory fault -> page fault error code
    "read of unmapped": PF_USER, "write to unmapped": PF_USER | PF_WRITE,
    "fetch from unmapped": PF_USER | PF_INSTR, "read of protected": PF_USER | PF_PROT,
    "write to protected": PF_USER | PF_PROT | PF_WRITE, "fetch from protected": PF_USER | PF_PROT | PF_INSTR,
}


def _fpe_code(uc, vector):
    """The si_code of a floating point exception, from the status that raised it (the
    kernel's fpu__exception_code: invalid first, then divide by zero, ...)."""
    from ..uclib import constants
    X = constants("x86_const")
    if vector == MF:
        status = uc.reg_read(X.UC_X86_REG_FPSW) & ~uc.reg_read(X.UC_X86_REG_FPCW) & 0x3F
    else:
        mxcsr = uc.reg_read(X.UC_X86_REG_MXCSR)
        status = mxcsr & ~(mxcsr >> 7) & 0x3F
    for bit, code in ((0x1, "FPE_FLTINV"), (0x4, "FPE_FLTDIV"), (0x8, "FPE_FLTOVF"), (0x12, "FPE_FLTUND"),
                      (0x20, "FPE_FLTRES")):
        if status & bit:
            return code
    return None


def annotate(thread, fault):
    """Make a fault the kernel's signal for it: si_code, si_addr, the PC the handler's
    frame resumes at, and the trap the sigcontext reports (thread.x86_trap)."""
    vector = getattr(fault, "intno", None)
    trap = getattr(thread, "x86_trap", (0, 0, 0))
    if vector is None:
        if fault.signal == "SIGSEGV" and fault.address is not None:  # a refused access: #PF
            code = _MEMORY.get(fault.what, PF_USER)
            thread.x86_trap = (PF, code, fault.address)
        elif fault.signal == "SIGILL":  # Unicorn's invalid instruction: #UD
            fault.code = "ILL_ILLOPN"
            thread.x86_trap = (UD, 0, trap[2])
        return
    state = getattr(thread.uc, "x86_exceptions", None)
    error_code = 0
    if state is not None:
        error_code = state.error_code() & 0xFFFF
        state.clear()  # delivered, as far as the CPU's double-fault logic is concerned
    elif vector == DF and not _warned.get(thread.process):
        _warned[thread.process] = True
        thread.process.warn("the x86 CPU's exception state was not found: a second CPU exception "
                            "arrives as a double fault")
    if vector == DF:  # the fallback's: another fault while the CPU thinks one is in flight
        vector = GP
    if vector != GP:
        error_code = 0
    entry = _EXCEPTIONS.get(vector)
    if entry is None:  # int n through a gate user mode may not use: #GP with the vector in the error code
        fault.signal, fault.code, fault.what = "SIGSEGV", "SI_KERNEL", f"int ${vector:#x}"
        fault.pc -= 2
        fault.address = None
        thread.x86_trap = (GP, vector * 8 + 2, trap[2])
        return
    signal, code, what, _after = entry
    fault.signal, fault.what = signal, what
    fault.code = code if code is not None else _fpe_code(thread.uc, vector)
    fault.address = fault.pc if vector in _ADDRESSED else None
    thread.x86_trap = (vector, error_code, trap[2])


def last_trap(thread):
    """(trapno, err, cr2) for a sigcontext."""
    return getattr(thread, "x86_trap", (0, 0, 0))
