"""Start a guest program: map it and its interpreter, build the initial stack,
and return the main thread ready to run."""
import os
import _signal as signal  # signal.py only adds enums, and imports enum: 3 ms of every start-up
import threading

from ..errors import UserError
from ..memory.space import PAGE, PROT_EXEC, PROT_READ, PROT_WRITE, page_ceil
from ..signals import numbers
from ..threads.thread import GuestThread
from . import image
from .elf import ElfFile
from .stack import InitialStack
from .sysroot import find_interpreter

# e_machine values named in wrong-architecture messages (pyelftools' names are too terse)
MACHINE_NAMES = {3: "i386", 8: "MIPS", 20: "PowerPC", 21: "PowerPC 64", 22: "s390", 40: "ARM",
                 43: "SPARC v9", 62: "x86-64", 183: "aarch64", 243: "RISC-V", 258: "LoongArch"}


def describe(elf, big_endian_arch=False):
    """"64-bit RISC-V", "32-bit big-endian MIPS"; a little-endian file is said to be one
    where the arch is big-endian."""
    name = MACHINE_NAMES.get(elf.machine_id, f"machine {elf.machine_id}")
    order = "big-endian " if not elf.little_endian else "little-endian " if big_endian_arch else ""
    return f"{elf.elf_class}-bit {order}{name}"


def check_arch(elf, arch, what, prog):
    if elf.machine_id == arch.ELF_MACHINE and elf.elf_class == arch.ELF_CLASS and \
            elf.little_endian == (arch.ABI.endian == "little"):
        elf.user_limit = arch.TASK_SIZE  # segments must lie below it: checked with the others
        return
    raise UserError(f"{what} '{elf.path}' is a {describe(elf, arch.ABI.endian == 'big')} ELF; {prog} runs "
                    f"{arch.ELF_CLASS}-bit {'' if arch.ABI.endian == 'little' else 'big-endian '}"
                    f"{arch.NAME} programs")


def check_abi(elf, arch, what):
    """What the header's flags say beyond the machine (ARM's EABI version...)."""
    why = arch.check_elf(elf)
    if why:
        raise UserError(f"{what} '{elf.path}' is {why}")


def program_sysroot(path, arch):
    """A program with no interpreter that lives in the arch's cross sysroot
    (ld.so or libc.so.6 run directly) gets that sysroot, as if -L named it:
    `pyqemu-riscv64 /usr/riscv64-linux-gnu/lib/ld-linux-riscv64-lp64d.so.1 --list prog`
    then finds libc.so.6 where the dynamic programs' own runs find it."""
    cross = os.path.realpath(f"/usr/{arch.TRIPLE}")
    if os.path.realpath(path).startswith(cross + os.sep) and os.path.isdir(cross):
        return cross
    return None


MAX_ARG_STRLEN = 32 * 4096  # the kernel's limit on one argument or environment string
ARG_MIN = 32 * 4096  # the kernel's floor for the whole (ARG_MAX)
ARG_CAP = 6 << 20  # and its ceiling: 3/4 of _STK_LIM


def check_exec_size(argv, envp, stack_size, word_bytes):
    """execve's E2BIG rule (fs/exec.c), with -s's stack size as the stack limit: the
    strings and their pointers must fit a quarter of the stack (at least 128 KiB, at
    most 6 MiB), and no string may be longer than 128 KiB."""
    for kind, strings in (("argument", argv), ("environment string", envp)):
        for i, s in enumerate(strings):
            if len(s) + 1 > MAX_ARG_STRLEN:
                raise UserError(f"{kind} {i} is {len(s) + 1} bytes: longer than the kernel's limit of "
                                f"{MAX_ARG_STRLEN} bytes for one string (E2BIG)")
    limit = max(min(stack_size // 4, ARG_CAP), ARG_MIN)
    pointers = (max(len(argv), 1) + len(envp)) * word_bytes
    strings = sum(len(s) + 1 for s in argv) + sum(len(s) + 1 for s in envp)
    if pointers + strings > limit:
        raise UserError(f"arguments and environment too large (E2BIG): {len(argv)} arguments and "
                        f"{len(envp)} environment strings take {strings} bytes and {pointers} of pointers, "
                        f"over the kernel's limit of {limit} bytes (a quarter of the {stack_size}-byte "
                        f"stack, at least {ARG_MIN}, at most {ARG_CAP}; -s sets the stack size)")


def inherited_mask(abi):
    """The guest's initial blocked mask: the host thread's, which execve kept."""
    mask = 0
    for host in signal.pthread_sigmask(signal.SIG_BLOCK, []):
        guest = numbers.to_guest(abi, int(host))
        if guest is not None:
            mask |= numbers.bit(guest)
    return mask


def start(process, path, argv, envp):
    """Load `path` into process and return its main thread, registers set."""
    arch, space, options = process.arch, process.space, process.options
    elf = ElfFile(path, check=lambda e: check_arch(e, arch, "program", process.prog), fd=options.exec_fd,
                  executable=True)
    check_abi(elf, arch, "program")
    process.exe = os.path.abspath(path)
    # the name the guest knows it by (AT_EXECFN, comm): under --rootfs, inside the root
    process.exe_guest = process.paths.guest_name(os.fsencode(process.exe)) if process.paths.is_rootfs \
        else os.fsencode(path)

    # the stack: fixed size (-s), at the top of the guest range, as qemu-user
    stack_base = process.stack_top - process.stack_size
    space.map(stack_base, process.stack_size, PROT_READ | PROT_WRITE, name="[stack]")

    main = image.load(space, elf, base_hint=(space.size // 3 * 2))
    entry, entry_bias = main.entry, main.bias
    interp_base = 0
    if elf.interp:
        host_interp, sysroot = find_interpreter(elf.interp, arch, options.sysroot, process.paths)
        ielf = ElfFile(host_interp, what="interpreter",
                       check=lambda e: check_arch(e, arch, "interpreter", process.prog))
        check_abi(ielf, arch, "interpreter")
        interp = image.load(space, ielf)
        entry, interp_base = interp.entry, interp.bias
        entry_bias = interp.bias
        ielf.close()
    else:
        sysroot = options.sysroot or program_sysroot(path, arch)
    if sysroot:
        process.set_sysroot(sysroot)
        process.debug_note(f"sysroot: {sysroot}" + ("" if options.sysroot else " (found by pyqemu, no -L given)"))
    elf.close()

    process.brk_start = process.brk = page_ceil(main.end)

    # The kernel's vDSO holds the sigreturn trampolines a handler returns
    # through when it has no SA_RESTORER (always, on riscv): ours holds just those.
    vdso = space.find_free(PAGE)
    space.map(vdso, PAGE, PROT_READ | PROT_WRITE, name="[vdso]")
    at = vdso
    for name, code in arch.TRAMPOLINES.items():
        space.write(at, code)
        process.trampolines[name] = at
        at += (len(code) + 15) & ~15
    space.protect(vdso, PAGE, PROT_READ | PROT_EXEC)
    arch.start_mappings(space)

    thread = GuestThread(process, os.getpid())
    thread.host_ident = threading.get_ident()
    process.add_thread(thread)
    thread.signals.set_blocked(inherited_mask(arch.ABI))  # execve keeps the blocked mask
    hwcap, hwcap2 = arch.hwcaps(thread.uc)
    at = arch.ABI.tables.AUXV
    uid, euid, gid, egid = os.getuid(), os.geteuid(), os.getgid(), os.getegid()
    auxv = [(at[name], value) for name, value in arch.extra_auxv(thread.uc)] + [
        (at["AT_PHDR"], main.phdr), (at["AT_PHENT"], main.phent), (at["AT_PHNUM"], main.phnum),
        (at["AT_PAGESZ"], PAGE), (at["AT_BASE"], interp_base), (at["AT_FLAGS"], 0),
        (at["AT_ENTRY"], main.entry), (at["AT_UID"], uid), (at["AT_EUID"], euid),
        (at["AT_GID"], gid), (at["AT_EGID"], egid), (at["AT_SECURE"], 0),
        (at["AT_RANDOM"], "random"), (at["AT_HWCAP"], hwcap), (at["AT_HWCAP2"], hwcap2),
        (at["AT_CLKTCK"], os.sysconf("SC_CLK_TCK")), (at["AT_EXECFN"], "execfn"),
    ]
    platform = arch.platform(thread.uc)
    if platform:
        auxv.append((at["AT_PLATFORM"], "platform"))
    if arch.BASE_PLATFORM:
        auxv.append((at["AT_BASE_PLATFORM"], "base_platform"))
    if arch.MINSIGSTKSZ:
        auxv.append((at["AT_MINSIGSTKSZ"], arch.MINSIGSTKSZ))

    check_exec_size(argv, envp, process.stack_size, arch.ABI.word_bytes)
    stack = InitialStack(arch.ABI, process.stack_top)
    sp, blob, process.auxv = stack.build(
        argv, envp, auxv, execfn=process.exe_guest,
        platform=platform.encode() if platform else None, random16=os.urandom(16),
        base_platform=arch.BASE_PLATFORM.encode() if arch.BASE_PLATFORM else None)
    if len(blob) > process.stack_size // 2:
        raise UserError(f"arguments and environment ({len(blob)} bytes) do not fit the "
                        f"{process.stack_size} byte stack: raise it with -s")
    space.write(sp, blob)
    process.start_stack = sp  # /proc/self/stat's startstack
    process.argv, process.envp = argv, envp

    thread.uc.reg_write(arch.REG_SP, sp)
    thread.uc.reg_write(arch.REG_PC, entry)  # an ARM entry's bit 0 selects Thumb, as the kernel's does
    arch.initial_registers(thread.uc, entry, sp)
    if arch.elf_entry_registers:
        arch.elf_entry_registers(thread.uc, space, entry, entry_bias)
    return thread
