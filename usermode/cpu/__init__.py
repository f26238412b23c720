"""Guest architectures. Every module here exposes the same names:

NAME, ABI, ELF_MACHINE, ELF_CLASS, TRIPLE, UNAME_MACHINE, TASK_SIZE,
UC_ARCH, UC_MODE, CPU_MODELS, DEFAULT_CPU, CS_ARCH, CS_MODE,
REG_PC, REG_SP, REG_TLS, SYSCALL_REGS (number then six arguments), RETURN_REG,
GPR_IDS (the integer registers in the CPU state's array order),
SYSCALL_INTNO, EXCEPTIONS (intno -> (signal name, description)), FAULT_PC_ADJUST,
PLATFORM, MINSIGSTKSZ,
INTERPRETERS (PT_INTERP values the arch's glibc uses),
prepare(uc), hwcaps(uc) -> (AT_HWCAP, AT_HWCAP2), undecodable(insn_bytes) -> signal name,
emulate_trapped(uc, insn_bytes) -> bool; signal frames: SYSCALL_INSN_SIZE, SIGNAL_REDZONE,
MCONTEXT_SIZE, SIGRETURN_CODE, save_mcontext, restore_mcontext, frame_placement, enter_handler.
"""
import importlib

ARCH_NAMES = ("riscv64", "aarch64")


def get(name):
    if name not in ARCH_NAMES:
        raise KeyError(name)
    return importlib.import_module(f"usermode.cpu.{name}")


def by_elf(machine, elf_class, little_endian):
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
    triple = get(name).TRIPLE
    return {"cc": f"{triple}-gcc", "qemu": f"qemu-{name}", "sysroot": f"/usr/{triple}"}
