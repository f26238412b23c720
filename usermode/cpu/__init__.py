"""Guest architectures: one module per architecture, every one exposing the
same names (the contract below), checked when the module is first loaded.

The list of architectures is registry.py's: every module here that assigns
NAME. Adding an architecture is adding its module (and its generated table,
tools/gen_tables.py); nothing else names architectures.
"""
import importlib

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
    "EXCEPTIONS": "intno -> (signal name, description)", "FAULT_PC_ADJUST": "bytes from the PC a fault "
    "reports back to the faulting instruction",
    # start-up
    "PLATFORM": "AT_PLATFORM string or None", "MINSIGSTKSZ": "AT_MINSIGSTKSZ or None",
    "prepare": "prepare(uc): switch on what the guest needs (FPU...), before anything runs",
    "hwcaps": "hwcaps(uc) -> (AT_HWCAP, AT_HWCAP2) as the kernel derives them for the model",
    "emulate_trapped": "emulate_trapped(uc, insn) -> bool: an instruction the kernel lets user code run",
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
    "TLB_MODE": "virtual",          # Unicorn's TLB: "virtual" (our fill hook) or "cpu" (the guest MMU's);
                                    # "virtual-only": never the CPU's, even without exact fault addresses
    # the virtual TLB's fill hook may stop the CPU (to grow the TLB at the safe point): a
    # stop from inside an access, exact where the CPU redoes nothing of it; False: the TLB
    # grows at syscalls instead (s390x)
    "TLB_STOPS_IN_FILL": True,
    "FAULT_ADDRESS_MASK": None,     # what of a fault's address si_addr keeps (s390x: the page)
    "ADDRESS_SPACE_SIZE": None,     # the reservation, when it must reach above TASK_SIZE (ARM's kuser page)
    "set_thread_pointer": _default_set_thread_pointer,
    # copy_cpu(child, parent): a new thread's CPU from its parent's (m68k: its thread pointer too)
    "copy_cpu": _default_copy_cpu,
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
        module = _loaded[name] = _complete(importlib.import_module(f"usermode.cpu.{name}"))
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
