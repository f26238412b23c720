"""Guest architectures: one module per architecture, every one exposing the
same names (the contract below), checked when the module is first loaded.

The list of architectures is registry.py's: every module here that assigns
NAME. Adding an architecture is adding its module (and its generated table,
tools/gen_tables.py); nothing else names architectures.
"""
import sys

from . import registry

ARCH_NAMES = registry.NAMES

# name -> what it is. Facts are literals registry.py reads without importing.
REQUIRED = {
    # facts
    "NAME": "pyqemu-<NAME>", "TRIPLE": "GNU triple of the cross tools", "DEBIAN_ARCH": "dpkg's name",
    "ABI": "usermode.abi.Abi: word size, byte order, alignment, quirks, tables",
    "CONVENTION": "usermode.syscalls.convention.Convention: how a syscall is made",
    "ELF_MACHINE": "e_machine", "ELF_CLASS": "32 or 64",
    "UNAME_MACHINE": "uname -m", "TASK_SIZE": "end of the guest's mappable range",
    "INTERPRETERS": "PT_INTERP values the arch's glibc uses",
    # Unicorn and capstone
    "UC_ARCH": "Unicorn arch", "UC_MODE": "Unicorn mode", "CPU_MODELS": "-cpu name -> Unicorn model",
    "DEFAULT_CPU": "key of CPU_MODELS", "CS_ARCH": "capstone arch", "CS_MODE": "capstone mode",
    # registers
    "REG_PC": "Unicorn id", "REG_SP": "Unicorn id",
    "GPR_IDS": "integer registers in the CPU state's array order (regfile.py)",
    "GPR_SLOT_BYTES": "width of one slot of that array (4 or 8)",
    # exceptions
    "EXCEPTIONS": "intno -> (signal name, description[, si_code name])", "FAULT_PC_ADJUST": "bytes from the PC a fault "
    "reports back to the faulting instruction",
    # start-up
    "PLATFORM": "AT_PLATFORM string or None", "MINSIGSTKSZ": "AT_MINSIGSTKSZ or None",
    "prepare": "prepare(uc): switch on what the guest needs (FPU...), before anything runs",
    "hwcaps": "hwcaps(uc) -> (AT_HWCAP, AT_HWCAP2) as the kernel derives them for the model",
    "emulate_trapped": "emulate_trapped(uc, insn) -> an instruction the kernel lets user code run (or "
                       "carries out for it): False (SIGILL), True (done, the PC is past it), or "
                       "finish(thread) to call at the thread's safe point, which moves the PC",
    "undecodable": "undecodable(insn) -> signal name for an instruction Unicorn refused",
    "cpuinfo": "cpuinfo(hwcap, hwcap2, ncpus) -> /proc/cpuinfo text",
    # signals (usermode/signals/frames.py)
    "SIGNAL_REDZONE": "bytes below the SP a frame must skip", "setup_frame": "setup_frame(frame): the kernel's "
    "signal frame, registers set for the handler", "restore_frame": "restore_frame(thread, rt) -> the "
    "blocked mask the frame saved: sigreturn and rt_sigreturn",
    "TRAMPOLINES": "name -> code the [vdso] page holds (sigreturn trampolines)",
    "FRAME_LAYOUT": "(C type, member or None) -> the offset (size) setup_frame uses: checked against glibc",
    # gdb
    "GDB_ARCHITECTURE": "gdb's name", "GDB_FEATURES": "target description features", "GDB_TYPES": "their types",
}


def _default_set_thread_pointer(uc, thread, value):
    """clone's CLONE_SETTLS: the thread pointer register takes the tls argument."""
    uc.reg_write(thread.arch.REG_TLS, value)


def _default_copy_cpu(child, parent):
    """clone: the child's CPU starts as a copy of its parent's."""
    child.uc.context_restore(parent.uc.context_save())


# Optional hooks and values: modules define them when they need to.
DEFAULTS = {
    "QEMU_NAME": None,              # qemu-<it>; registry.py fills NAME in
    "SYSCALLS": {},                 # private syscalls (registry.arch_syscall)
    "BASE_PLATFORM": None,          # AT_BASE_PLATFORM string (the ISA level: MIPS' "mips32r2")
    "ELF_FLAGS_MATCH": None,        # (mask, value) e_flags must have for binfmt_misc (MIPS o32: not n32)
    "TLB_MODE": "virtual",          # Unicorn's TLB: "virtual" (our fill hook) or "cpu" (the guest MMU's);
                                    # "virtual-only": never the CPU's, even without exact fault addresses
    # Whether the emulator hears when a program tells its CPU that code changed (riscv64's
    # fence.i, aarch64's ic ivau, ARM's and m68k's cacheflush, MIPS' synci), and then drops
    # every thread's translations of it. False where programs say nothing (x86 and s390x:
    # their I-caches are coherent) or where Unicorn gives no hook (PowerPC's icbi is a plain
    # load to it): there a thread taking the emulator lock after another drops its own
    # translations of code any mapping can store to (memory/coherence.py)
    "CODE_CHANGES_HEARD": True,
    # How another host thread stops this CPU (a signal to deliver, a time slice's end):
    # "direct", uc_emu_stop itself, which lands at the next block start while Unicorn's
    # exit checks after loads and stores are off (raw.py); "block-hook", the stop switch
    # (a hook called at every block start) where the translator turns those checks back on
    "ASYNC_STOPS": "direct",
    "FAULT_ADDRESS_MASK": None,     # what of a fault's address si_addr keeps (s390x: the page)
    "ADDRESS_SPACE_SIZE": None,     # the reservation, when it must reach above TASK_SIZE (ARM's kuser page)
    "set_thread_pointer": _default_set_thread_pointer,
    # inline_syscall(thread) -> (number, ctypes.c_uint32 cell) or None: a call the syscall
    # hook answers in machine code with the cell's value, when the register array holds
    # the number, the result and the PC (m68k's get_thread_area, made on every TLS access)
    "inline_syscall": None,
    "start_mappings": lambda space: None,  # fixed mappings every process has (ARM's kuser helpers)
    "initial_registers": lambda uc, entry, sp: None,  # what the kernel sets besides PC and SP
    # elf_entry_registers(uc, space, entry, bias): where the entry is not code but names it
    # (ppc64 ELFv1: a function descriptor, the PC and TOC in it); the image's load bias
    "elf_entry_registers": None,
    "resume_address": None,         # resume_address(uc) -> what emu_start must get (ARM: pc|Thumb)
    "set_resume_address": None,     # set_resume_address(uc, pc): move the PC, keeping the instruction set
                                    # (ARM's Thumb state); writing REG_PC is a jump that may change it
    "check_elf": lambda elf: None,  # check_elf(elf) -> None or why this arch cannot run it (ARM OABI)
    # passed_hint(uc, read) -> True when Unicorn's "invalid instruction" was a hint it
    # executed and stopped after (ARM's yield, wfe): the thread just goes on
    "passed_hint": lambda uc, read: False,
    "cs_mode": lambda uc: None,     # capstone's mode for the current instruction set (ARM's Thumb)
    # copy_cpu(child, parent): a new thread's CPU from its parent's (x86: its descriptor
    # tables too; m68k: its thread pointer)
    "copy_cpu": _default_copy_cpu,
    # syscall_entry(thread, on_syscall) -> what the syscall hook calls: what the syscall
    # instruction itself does besides the call (x86-64's RCX and R11), around on_syscall
    "syscall_entry": lambda thread, on_syscall: on_syscall,
    # handle_fault(thread, fault) -> True when the kernel would have dealt with the CPU
    # fault itself (x86-64's vsyscall page): the thread runs on; else it may make the
    # fault the kernel's signal for it (si_code, si_addr, the PC a handler returns to)
    "handle_fault": lambda thread, fault: False,
    "extra_maps": lambda: [],       # /proc/self/maps lines of the kernel's own ([vsyscall])
    # (start, end) of memory each CPU maps for itself outside the guest's range (x86's
    # descriptor tables): the virtual TLB lets the CPU (and so the guest) reach it
    "CPU_PRIVATE": None,
    "platform": None,               # platform(uc) -> AT_PLATFORM when it depends on the CPU model
    "STACK_ALIGN": 16,              # the ABI's stack alignment at a call (AAPCS: 8)
    # exception_fault(thread, intno) -> GuestFault for an exception other than the syscall
    # (MIPS: the signal depends on the instruction; the PC needs care), or None when the
    # kernel emulates the instruction and the thread goes on (PowerPC's mfpvr); None: EXCEPTIONS
    "exception_fault": None,
    # extra_auxv(uc) -> [(AT_ name, value)] the arch's kernel puts before the generic
    # entries (PowerPC's AT_IGNOREPPC and cache line sizes)
    "extra_auxv": lambda uc: (),
    "SHMLBA": 4096,                 # shmat's address alignment (ARM's and MIPS' caches want more)
    # -cpu MODEL,FEATURE=on|off: name -> (what it is, None or why it cannot be on);
    # configure(uc, {name: bool}) applies them after prepare() (a UserError: one line)
    "CPU_FEATURES": {},
    "configure": lambda uc, features: None,
    # prctl options of the architecture: kernel name -> handler(t, arg2, arg3, arg4, arg5)
    "PRCTLS": {},
    # the bits of a data address the CPU uses, when it ignores some (aarch64's top byte:
    # TBI, which the kernel turns on for every process); None: all
    "ADDRESS_MASK": None,
    # data_address(uc, insn) -> the address an exception's instruction accessed (a
    # misaligned exclusive load's, for SIGBUS's si_addr), decoded from it; None: unknown
    "data_address": lambda uc, insn: None,
    # pc_misaligned(uc, pc) -> True where the kernel would have sent SIGBUS (BUS_ADRALN)
    # for a jump to pc. Unicorn 2.1.4 (QEMU 5) does not check, and runs what it finds
    # there, so a fault at such a PC is reported as that
    "pc_misaligned": lambda uc, pc: False,
    "RLIM_INFINITY": None,          # struct rlimit's infinity where it is not all ones (MIPS o32's)
    # tlb_mode(uc) -> "virtual", "cpu", or "cpu-exit-checks" (the CPU's TLB, whose faults are
    # precise only with Unicorn's exit check after every access): default TLB_MODE
    "tlb_mode": None,
    "tlb_filled": None,             # tlb_filled(uc): after the virtual TLB's fill granted a load or store
    "adjust_fault_pc": lambda uc, pc: pc,  # a memory fault's PC as the kernel reports it (MIPS delay slots)
}


def _complete(module):
    missing = [name for name in REQUIRED if not hasattr(module, name)]
    if missing:
        raise ImportError(f"usermode/cpu/{module.__name__.rsplit('.', 1)[-1]}.py lacks {', '.join(missing)} "
                          "(see usermode/cpu/__init__.py: REQUIRED)")
    for name, value in DEFAULTS.items():
        if not hasattr(module, name):
            setattr(module, name, value)
    pc = module.REG_PC
    if module.tlb_mode is None:
        module.tlb_mode = lambda uc, mode=module.TLB_MODE: mode
    if module.resume_address is None:
        module.resume_address = lambda uc: uc.reg_read(pc)
    if module.set_resume_address is None:
        module.set_resume_address = lambda uc, address: uc.reg_write(pc, address)
    if module.platform is None:
        module.platform = lambda uc, value=module.PLATFORM: value
    return module


_loaded = {}


def get(name):
    if name not in ARCH_NAMES:
        raise KeyError(name)
    module = _loaded.get(name)
    if module is None:
        __import__(f"usermode.cpu.{name}")  # (not importlib: its import costs 0.5 ms of a start-up)
        module = _loaded[name] = _complete(sys.modules[f"usermode.cpu.{name}"])
    return module


def by_elf(machine, elf_class, little_endian, flags=None):
    """The arch module for an ELF header's e_machine/class/data, or None."""
    for name in ARCH_NAMES:
        arch = get(name)
        if arch.ELF_MACHINE == machine and arch.ELF_CLASS == elf_class and \
                (arch.ABI.endian == "little") == little_endian:
            return arch
    return None


def cross_tools(name):
    """What builds and runs `name`'s programs on a Debian host: the cross gcc,
    qemu-user, and the sysroot the cross glibc packages install."""
    return registry.cross_tools(name)
