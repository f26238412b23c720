"""How one ABI makes a system call: declared by its cpu module, compiled into
the dispatcher's stubs once (syscalls/dispatch.py), never consulted per call.

    CONVENTION = Convention(number=R7, args=(R0, R1, R2, R3, R4, R5, R6), result=R0,
                            pairs="aligned", intno=2)

- number: the register holding the syscall number (`number_base` is
  subtracted: MIPS o32 numbers start at 4000); or number_hook(thread, r),
  where the instruction carries it (s390x's svc N: r[...] is the register
  array, the PC already past the instruction);
- args: the argument registers in order; `stack_args` more words are read
  from the user stack at sp + `stack_offset` (MIPS o32: arguments 5 to 8 at
  sp+16), so a call takes up to len(args) + stack_args words;
- pairs: how a 64-bit argument travels on a 32-bit ABI: None (64-bit ABIs:
  one register), "unaligned" (the next two words: i386, m68k), "aligned"
  (the next even-numbered pair: ARM EABI, MIPS o32, PPC32). The guest's byte
  order decides which word is the high one;
- error: "negative" (-errno in the result register: most ABIs),
  "flag" (a positive errno with flag_register set to 1, 0 on success: MIPS' a3),
  "hook" (a positive errno, and error_hook(uc, failed) sets the arch's flag:
  PowerPC's CR0.SO);
- entry: how the call reaches the emulator: ("intr", intno) for an exception
  (svc, ecall, int 0x80, sc, trap), ("insn", id) for Unicorn's instruction
  hook (x86-64's `syscall`);
- insn_size: the size of the syscall instruction, by which a restarted call
  moves the PC back;
- advance_pc: the emulator moves the PC past the instruction itself (s390x
  and m68k leave it on the instruction), before anything else looks at it:
  handlers, restarts, signal frames and number_hook then see the PC past the
  call, as on every other arch (syscalls/dispatch.py make_syscall_entry).
"""


class Convention:
    def __init__(self, number, args, result, *, number_base=0, stack_args=0, stack_offset=0,
                 pairs=None, error="negative", flag_register=None, error_hook=None, entry=None, intno=None,
                 insn_size=4, advance_pc=0, extra_result_registers=(), number_hook=None):
        if error not in ("negative", "flag", "hook"):
            raise ValueError(f"unknown error convention {error!r}")
        if pairs not in (None, "aligned", "unaligned"):
            raise ValueError(f"unknown register pair rule {pairs!r}")
        if error == "flag" and flag_register is None:
            raise ValueError("the flag convention needs flag_register")
        if error == "hook" and error_hook is None:
            raise ValueError("the hook convention needs error_hook")
        self.error_hook = error_hook
        self.number = number
        self.number_hook = number_hook
        self.number_base = number_base
        self.args = tuple(args)
        self.result = result
        self.stack_args = stack_args
        self.stack_offset = stack_offset
        self.pairs = pairs
        self.error = error
        self.flag_register = flag_register
        self.entry = entry or ("intr", intno)
        if self.entry[1] is None:
            raise ValueError("a convention needs intno or entry")
        self.insn_size = insn_size
        self.advance_pc = advance_pc
        self.extra_result_registers = tuple(extra_result_registers)

    def number_of(self, thread):
        """The current call's number (for gdb's catch syscall: not the hot path)."""
        if self.number_hook is not None:
            from ..raw import reg_read
            r = [reg_read(thread.handle, reg) for reg in thread.arch.GPR_IDS]
            return self.number_hook(thread, r)
        return thread.uc.reg_read(self.number)

    def syscall_insn_size(self, uc):
        """How far a restarted call moves the PC back (ARM: 4 in ARM code, 2 in Thumb)."""
        return self.insn_size(uc) if callable(self.insn_size) else self.insn_size

    @property
    def max_words(self):
        return len(self.args) + self.stack_args

    def registers(self):
        """Every register the dispatcher reads or writes, number first."""
        regs = [self.number] + list(self.args) + [self.result]
        if self.flag_register is not None:
            regs.append(self.flag_register)
        regs += self.extra_result_registers
        out = []
        for r in regs:
            if r not in out:
                out.append(r)
        return out

    def word_positions(self, widths):
        """For parameters taking `widths` words each (1, or 2 for a 64-bit value
        in a register pair), the argument word indices of each, as the kernel's
        entry code reads them: a pair skips a word to start even where the ABI aligns."""
        positions, index = [], 0
        for width in widths:
            if width == 2 and self.pairs == "aligned" and index % 2:
                index += 1
            positions.append(tuple(range(index, index + width)))
            index += width
        return positions, index
