"""pyqemu-binfmt: register, list and remove pyqemu as the kernel's handler
(binfmt_misc) for riscv64 and aarch64 programs, so `./hello` runs them.

Only entries named <prefix>-<arch> (default pyqemu-riscv64, pyqemu-aarch64)
are pyqemu-binfmt's; it reads the others (to say when one claims the same
programs) and never changes them.
"""
import argparse
import os
import sys

from .. import cpu
from ..cli import one_line
from ..errors import UserError
from . import kernel, launcher, persistent

PROG = "pyqemu-binfmt"
DEFAULT_PREFIX = "pyqemu"
DEFAULT_FLAGS = "P"


class Registration:
    """pyqemu's entry for one architecture: its name, launcher and ELF magic."""

    def __init__(self, arch_name, prefix, launcher_dir):
        self.arch_name = arch_name
        self.name = f"{prefix}-{arch_name}"
        self.launcher = os.path.join(launcher_dir, self.name)
        # the launcher a binfmt.d file names: its own, so registering for boot never
        # changes what the entry in the kernel now runs, nor the other way round
        self.boot_launcher = self.launcher + "-boot"
        self.magic, self.mask = kernel.elf_magic_and_mask(cpu.get(arch_name))

    def claimed_headers(self):
        """Header starts of the programs this entry is for: ET_EXEC and ET_DYN."""
        dyn = bytes(m | (~k & 0xFF) for m, k in zip(self.magic, self.mask))
        return [self.magic, self.magic[:16] + dyn[16:18] + self.magic[18:]]

    def claimed_by(self, entry):
        return any(entry.matches(header) for header in self.claimed_headers())


def parse_flags(text):
    letters = text.upper()
    unknown = sorted(set(letters) - set(kernel.FLAG_LETTERS))
    if unknown:
        raise UserError(f"unknown flag {''.join(unknown)!r}: the flags are letters of {kernel.FLAG_LETTERS} "
                        "(-h explains them)")
    if "C" in letters:
        letters += "O"  # the kernel implies it; say so in what we register and list
    return "".join(f for f in kernel.FLAG_LETTERS if f in letters)


def parse_sysroots(values, arch_names):
    """--sysroot DIR (for every architecture named) or ARCH=DIR, repeatable -> {arch: DIR}."""
    chosen = {}
    for value in values:
        arch, eq, path = value.partition("=")
        targets = [arch] if eq and arch in cpu.ARCH_NAMES else list(arch_names)
        path = path if eq and arch in cpu.ARCH_NAMES else value
        if not os.path.isdir(path):
            raise UserError(f"--sysroot {value}: '{path}' is not a directory")
        for name in targets:
            chosen[name] = os.path.abspath(path)
    return chosen


def check_name_prefix(prefix):
    if not prefix or prefix.startswith(".") or any(c in prefix for c in "/:\n\t ") or not prefix.isprintable():
        raise UserError(f"--name-prefix {prefix!r}: a name prefix cannot be empty, start with '.', or hold "
                        "'/', ':' or white space")


def check_launcher_dir(directory):
    if ":" in directory or not directory.isprintable():
        raise UserError(f"--launcher-dir {directory!r}: the kernel's register line cannot hold ':' or control "
                        "characters in the interpreter's path")


def require_root(doing):
    if os.geteuid() != 0:
        raise UserError(f"{doing} needs root: binfmt_misc handlers are system-wide (run it with sudo)")


def say(line):
    print(line, flush=True)


def warn(line):
    sys.stderr.write(f"{PROG}: warning: {line}\n")
    sys.stderr.flush()


def registrations(args):
    check_name_prefix(args.name_prefix)
    directory = os.path.abspath(args.launcher_dir)
    check_launcher_dir(directory)
    unknown = [name for name in args.arch if name not in cpu.ARCH_NAMES]
    if unknown:
        raise UserError(f"unknown architecture '{unknown[0]}' (pyqemu runs: {', '.join(cpu.ARCH_NAMES)})")
    names = args.arch or list(cpu.ARCH_NAMES)
    return [Registration(name, args.name_prefix, directory) for name in dict.fromkeys(names)]


def mounted_binfmt_misc():
    misc = kernel.BinfmtMisc()
    misc.ensure_mounted()
    if not misc.is_enabled():
        warn(f"binfmt_misc is disabled as a whole ({misc.path('status')} says so): no handler runs "
             f"until `echo 1 > {misc.path('status')}`")
    return misc


def describe_launcher(path):
    """How a launcher runs pyqemu, for messages: 'pyqemu-riscv64 -L /root'."""
    recorded = launcher.describe(path) if path else None
    if recorded is None:
        return "(a launcher pyqemu-binfmt has no record of)"
    sysroot = recorded.get("sysroot")
    return f"pyqemu-{recorded.get('arch')}" + (f" -L {sysroot}" if sysroot else "")


def host_native(regs, named):
    """Architectures this host runs itself stay the kernel's: taking their programs
    over would put every such program (for x86-64, pyqemu's own Python) through pyqemu.
    Named ones are refused; left out of "every architecture" with a note."""
    from ..cpu import registry
    native = [r for r in regs if registry.runs_natively(r.arch_name)]
    if native and named:
        raise UserError(f"this host runs {native[0].arch_name} programs itself: pyqemu-binfmt does not take them "
                        "over (it would catch every such program, pyqemu's own included)")
    if native:
        say(f"left out: {', '.join(r.arch_name for r in native)} (this host runs those programs itself)")
    return [r for r in regs if r not in native]


def register(args):
    regs = host_native(registrations(args), bool(args.arch))
    flags = parse_flags(args.flags)
    sysroots = parse_sysroots(args.sysroot, [r.arch_name for r in regs])
    misc = None
    if not args.persistent:
        require_root("registering")
        misc = mounted_binfmt_misc()
    for reg in regs:
        sysroot = sysroots.get(reg.arch_name)
        command = launcher.emulator_command(reg.arch_name, sysroot)
        launcher.check_command(command)
        interpreter = reg.boot_launcher if args.persistent else reg.launcher
        replacing = False
        if not args.persistent:
            for other in misc.entries():
                if other.name != reg.name and other.enabled and reg.claimed_by(other):
                    warn(f"binfmt_misc entry '{other.name}' ({other.interpreter}) also claims {reg.arch_name} "
                         f"programs; the entry registered last wins: now {reg.name}, until '{other.name}' is "
                         "registered again")
            replacing = misc.entry(reg.name) is not None
            if replacing:  # first, so the old entry never runs the new launcher with its old flags
                misc.remove(reg.name)
        launcher.build(interpreter, command, "P" in flags, {"arch": reg.arch_name, "flags": flags, "sysroot": sysroot})
        line = kernel.register_line(reg.name, reg.magic, reg.mask, interpreter, flags)
        runs = describe_launcher(interpreter)
        if args.persistent:
            path = persistent.write_conf(args.binfmt_d, reg.name, line,
                                         f"{PROG}: {reg.arch_name} programs run under {runs}")
            say(f"wrote {path}: at boot, {reg.arch_name} programs will run under {runs} "
                f"(flags {flags or 'none'}, interpreter {interpreter})")
            warn_boot_conflicts(reg, args.binfmt_d)
            continue
        misc.register(line)
        say(f"{'re-registered' if replacing else 'registered'} {reg.name}: {reg.arch_name} programs now run "
            f"under {runs} (flags {flags or 'none'}, interpreter {interpreter})")
    return 0


def warn_boot_conflicts(reg, directory):
    """At boot systemd-binfmt registers files in name order and the last one wins: say
    which other file claims the same programs and who wins."""
    if not persistent.is_system_dir(directory):
        return
    ours = os.path.basename(persistent.conf_path(directory, reg.name))
    for file_name, path in persistent.boot_files().items():
        if file_name == ours:
            continue
        for other in persistent.read_conf(path):
            if reg.claimed_by(other):
                winner = file_name if file_name > ours else ours
                advice = (f"; to let pyqemu win, mask it: ln -s /dev/null /etc/binfmt.d/{file_name}"
                          if winner != ours else "")
                warn(f"{path} also claims {reg.arch_name} programs ('{other.name}'); at boot the file "
                     f"whose name sorts last wins: {winner}{advice}")


def list_entries(args):
    regs = registrations(args)
    shown = 0
    if args.persistent:
        for reg in regs:
            path = persistent.conf_path(args.binfmt_d, reg.name)
            for entry in persistent.read_conf(path):
                say(f"{path}: {entry.name}, flags {entry.flags or 'none'}, runs "
                    f"{describe_launcher(entry.interpreter)}, interpreter {entry.interpreter}")
                shown += 1
        if not shown:
            say(f"no {PROG} files in {args.binfmt_d} (names {args.name_prefix}-<arch>.conf)")
        return 0
    misc = kernel.BinfmtMisc()
    misc.ensure_mounted()
    others = [e for e in misc.entries() if e.name not in {r.name for r in regs}]
    for reg in regs:
        entry = misc.entry(reg.name)
        if entry is None:
            continue
        shown += 1
        say(f"{entry.name}: {'enabled' if entry.enabled else 'disabled'}, flags {entry.flags or 'none'}, "
            f"runs {describe_launcher(entry.interpreter)}, interpreter {entry.interpreter}")
        for other in others:
            if other.enabled and reg.claimed_by(other):
                say(f"  also claimed by '{other.name}' ({other.interpreter}): the entry registered last wins")
    if not shown:
        say(f"no {PROG} entries registered (names {args.name_prefix}-<arch>)")
    return 0


def remove(args):
    regs = registrations(args)
    removed = 0
    if args.persistent:
        misc = kernel.BinfmtMisc()
        for reg in regs:
            path = persistent.conf_path(args.binfmt_d, reg.name)
            entries = persistent.read_conf(path)
            if not os.path.exists(path):
                if args.arch:  # asked for by name: say it was not there
                    say(f"{path}: not there")
                continue
            try:
                os.unlink(path)
            except OSError as e:
                raise UserError(f"cannot remove {path}: {e.strerror}") from None
            removed += 1
            say(f"removed {path} (the registration now in the kernel, if any, stays until "
                f"`{PROG} remove` or reboot)")
            live = misc.entry(reg.name) if misc.is_mounted() else None
            for entry in entries:
                if live is None or live.interpreter != entry.interpreter:
                    launcher.delete(entry.interpreter)
        if not removed and not args.arch:
            say(f"no {PROG} files in {args.binfmt_d} (names {args.name_prefix}-<arch>.conf)")
        return 0
    require_root("removing")
    misc = mounted_binfmt_misc()
    for reg in regs:
        entry = misc.entry(reg.name)
        if entry is None:
            if args.arch:
                say(f"{reg.name}: not registered")
            continue
        misc.remove(reg.name)
        removed += 1
        say(f"removed {reg.name}")
        boot = persistent.read_conf(persistent.conf_path(args.binfmt_d, reg.name))
        if entry.interpreter not in {e.interpreter for e in boot}:
            launcher.delete(entry.interpreter)
    if not removed and not args.arch:
        say(f"no {PROG} entries registered (names {args.name_prefix}-<arch>)")
    return 0


FLAGS_HELP = "\n".join(f"  {letter}  {text}" for letter, text in kernel.FLAG_MEANINGS.items())

DESCRIPTION = f"""\
Run riscv64 and aarch64 Linux programs directly (./hello, exec from any
program) under pyqemu, through the kernel's binfmt_misc.

  {PROG} register [ARCH...]   register now (root); --persistent: write binfmt.d files for boot
  {PROG} list [ARCH...]       show {PROG}'s own entries
  {PROG} remove [ARCH...]     remove {PROG}'s own entries (never anyone else's)

ARCH: {', '.join(cpu.ARCH_NAMES)} (default: all). Each entry matches the
architecture's ELF programs, static and dynamic, ET_EXEC and ET_DYN.
The kernel runs a small launcher (built with the C compiler, in --launcher-dir)
that starts this pyqemu. `{PROG} COMMAND -h` shows each command's options."""

FLAGS_EPILOG = f"""\
flags (binfmt_misc's letters; default {DEFAULT_FLAGS}):
{FLAGS_HELP}

examples:
  {PROG} register                                  # both architectures, flag P
  {PROG} register aarch64 --sysroot ~/.cache/pyqemu/rootfs-arm64-bookworm --flags PF
  {PROG} register --persistent                     # /etc/binfmt.d/pyqemu-<arch>.conf, for boot
  {PROG} list; {PROG} remove"""


def parser():
    top = argparse.ArgumentParser(prog=PROG, description=DESCRIPTION,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = top.add_subparsers(dest="command", metavar="COMMAND")

    def common(sub):
        sub.add_argument("arch", nargs="*", metavar="ARCH",
                         help=f"{', '.join(cpu.ARCH_NAMES)} (default: all)")
        sub.add_argument("--name-prefix", default=DEFAULT_PREFIX, metavar="PREFIX",
                         help="entries are named PREFIX-ARCH (default %(default)s)")
        sub.add_argument("--persistent", action="store_true",
                         help="act on systemd's binfmt.d files (loaded at boot) instead of the kernel's entries")
        sub.add_argument("--binfmt-d", default=persistent.DEFAULT_DIR, metavar="DIR",
                         help="where --persistent's files are (default %(default)s)")
        sub.add_argument("--launcher-dir", default=launcher.DEFAULT_DIR, metavar="DIR",
                         help="where the launchers the kernel runs are (default %(default)s)")

    reg = commands.add_parser("register", help="register pyqemu for ARCH's programs",
                              description="Register pyqemu as the handler of each ARCH's programs (root).",
                              epilog=FLAGS_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    common(reg)
    reg.add_argument("--flags", default=DEFAULT_FLAGS, metavar="LETTERS",
                     help="binfmt_misc flags, letters of POCF (below; default %(default)s, '' for none)")
    reg.add_argument("--sysroot", action="append", default=[], metavar="[ARCH=]DIR",
                     help="run the programs with -L DIR (ARCH=DIR for one architecture; repeatable)")
    common(commands.add_parser("list", help=f"show {PROG}'s entries",
                               description=f"Show {PROG}'s own entries, and other entries claiming the same programs."))
    common(commands.add_parser("remove", help=f"remove {PROG}'s entries",
                               description=f"Remove {PROG}'s own entries (root) and the launchers it made for them."))
    return top


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        if args.command == "register":
            return register(args)
        if args.command == "list":
            return list_entries(args)
        if args.command == "remove":
            return remove(args)
        parser().print_help(sys.stderr)
        return 2
    except UserError as e:
        sys.stderr.write(f"{PROG}: {one_line(str(e))}\n")
        return e.status
    except BrokenPipeError:
        return 141
    except KeyboardInterrupt:
        return 130
