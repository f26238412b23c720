"""pyqemu, pyqemu-<arch>: qemu-user compatible command line.

    pyqemu-riscv64 [options] program [arguments...]

Options end at the first argument that is not one (or at --). Each option has
an environment variable, PYQEMU_* where qemu has QEMU_*; the command line wins.
"""
import gc
import os
import sys

from . import __version__
from .errors import UserError

DEBUG_ITEMS = {
    "in_asm": "show the guest instructions of each new translation block (capstone)",
    "exec": "show each translation block as it runs",
    "strace": "log each system call (as -strace)",
    "unimp": "log each call of an unimplemented system call",
    "page": "show the guest memory map at start-up",
    "guest_errors": "log guest faults",
    "traceback": "print the Python traceback of an internal error",
}

# (option, environment variable, argument name or None, help)
OPTIONS = [
    ("h", None, None, "print this help and exit"),
    ("help", None, None, "print this help and exit"),
    ("L", "PYQEMU_LD_PREFIX", "path", "sysroot: the guest's absolute paths are looked up here first"),
    ("rootfs", "PYQEMU_ROOTFS", "dir", "the guest sees dir as / (like a chroot; /proc, /dev, /sys, /tmp "
     "and the current directory stay the host's)"),
    ("s", "PYQEMU_STACK_SIZE", "size", "stack size in bytes (k, M, G suffixes), default 8M"),
    ("cpu", "PYQEMU_CPU", "model", "CPU model ('-cpu help' lists them)"),
    ("E", "PYQEMU_SET_ENV", "var=value", "set a variable in the guest's environment (repeatable, or comma separated)"),
    ("U", "PYQEMU_UNSET_ENV", "var", "remove a variable from the guest's environment"),
    ("0", "PYQEMU_ARGV0", "argv0", "argv[0] for the guest, instead of the program path"),
    ("strace", "PYQEMU_STRACE", None, "log system calls to stderr (or the -D file)"),
    ("d", "PYQEMU_LOG", "item[,...]", "enable logging of the items ('-d help' lists them)"),
    ("D", "PYQEMU_LOG_FILENAME", "logfile", "write -d and -strace output to logfile"),
    ("g", "PYQEMU_GDB", "port", "wait for gdb on port (127.0.0.1), host:port or a unix socket path"),
    ("version", "PYQEMU_VERSION", None, "print the version and exit"),
]
_BY_NAME = {o[0]: o for o in OPTIONS}


class Options:
    def __init__(self, prog_name):
        self.prog_name = prog_name
        self.sysroot = None
        self.rootfs = None
        self.stack_size = 8 << 20
        self.cpu = None
        self.cpu_features = {}  # -cpu MODEL,FEATURE=on|off: name -> bool
        self.env_ops = []  # ("set", name, value) / ("unset", name, None), in the order given
        self.argv0 = None
        self.strace = False
        self.debug_items = set()
        self.logfile = None
        self.gdb = None  # -g: where the gdbstub listens
        self.log_fd = None  # --log-fd, internal (see syscalls/handlers/spawn.py)
        self.guest_rlimits = None  # --guest-rlimits, internal: an exec'ing guest's RLIMIT_AS/DATA
        self.exec_fd = None  # --execfd, internal: the program, already open (binfmt_misc flag O, see binfmt/)
        self.program = None
        self.args = []
        self.action = None  # "help", "version", "cpu-help", "debug-help"
        self.origin = {}  # option name -> how it was given ("-L" or "PYQEMU_LD_PREFIX"), for messages

    def given_as(self, name):
        return self.origin.get(name, f"-{name}")


_ON, _OFF = ("on", "true", "yes"), ("off", "false", "no")


def parse_cpu(value):
    """-cpu MODEL[,FEATURE=on|off|true|false][,+FEATURE][,-FEATURE]... as qemu spells it:
    (model, {feature: bool})."""
    model, *items = value.split(",")
    features = {}
    for item in items:
        if item[:1] in "+-" and len(item) > 1 and "=" not in item:
            features[item[1:]] = item[0] == "+"
            continue
        feature, eq, setting = item.partition("=")
        if not feature:
            raise UserError(f"-cpu {value}: empty feature")
        if not eq:
            setting = "on"
        if setting.lower() not in _ON + _OFF:
            raise UserError(f"-cpu {value}: '{item}': a feature is FEATURE=on or FEATURE=off")
        features[feature] = setting.lower() in _ON
    return model, features


def check_cpu_features(arch, opts):
    """The features -cpu asked for exist for this architecture and can be what was asked."""
    for feature, on in opts.cpu_features.items():
        known = arch.CPU_FEATURES.get(feature)
        if known is None:
            offered = ", ".join(sorted(arch.CPU_FEATURES)) or "none"
            raise UserError(f"{opts.given_as('cpu')}: {arch.NAME} has no CPU feature '{feature}' that pyqemu can "
                            f"change on Unicorn's CPUs (it can change: {offered}; -cpu help lists them)")
        why_not = known[1] if on else None
        if why_not:
            raise UserError(f"{opts.given_as('cpu')}: {feature}=on: {why_not}")


MIN_STACK = 64 << 10  # glibc's start-up alone needs several KiB; less is a guest crash, not a choice
MAX_STACK = 1 << 40  # the smallest guest (riscv64 Sv39) has 256 GiB; run() checks per arch


def parse_size(text):
    units = {"k": 1 << 10, "K": 1 << 10, "m": 1 << 20, "M": 1 << 20, "g": 1 << 30, "G": 1 << 30}
    try:
        if text and text[-1] in units:
            value = int(text[:-1], 0) * units[text[-1]]
        else:
            value = int(text, 0)
    except ValueError:
        raise UserError(f"invalid size '{text}' (examples: 8388608, 8192k, 16M)") from None
    if value <= 0:
        raise UserError(f"invalid size '{text}': must be positive")
    if value > MAX_STACK:
        raise UserError(f"invalid size '{text}': larger than any guest address space allows")
    return (value + 0xFFF) & ~0xFFF


def _apply(opts, name, value):
    if name in ("h", "help"):
        opts.action = "help"
    elif name == "version":
        opts.action = "version"
    elif name == "L":
        opts.sysroot = value
    elif name == "rootfs":
        opts.rootfs = value
    elif name == "s":
        opts.stack_size = parse_size(value)
    elif name == "cpu":
        if value in ("help", "?"):
            opts.action = "cpu-help"
        opts.cpu, opts.cpu_features = parse_cpu(value)
    elif name == "E":
        for item in value.split(","):
            var, eq, val = item.partition("=")
            if not eq or not var:
                raise UserError(f"'{item}': expected VAR=VALUE")
            opts.env_ops.append(("set", var, val))
    elif name == "U":
        for var in value.split(","):
            if not var or "=" in var:
                raise UserError(f"'{var}': expected a variable name")
            opts.env_ops.append(("unset", var, None))
    elif name == "0":
        opts.argv0 = value
    elif name == "strace":
        opts.strace = True
    elif name == "d":
        for item in value.split(","):
            if item == "help":
                opts.action = "debug-help"
            elif item not in DEBUG_ITEMS:
                raise UserError(f"unknown log item '{item}' (-d help lists them)")
            else:
                opts.debug_items.add(item)
        if "strace" in opts.debug_items:
            opts.strace = True
    elif name == "D":
        opts.logfile = value
    elif name == "g":
        opts.gdb = value


def _parse_fd(text, option):
    try:
        fd = int(text)
        os.fstat(fd)
    except (ValueError, OSError):
        raise UserError(f"--{option} '{text}': not an open descriptor") from None
    return fd


def _parse_rlimits(text, option):
    words = text.split(",")
    if len(words) != 4 or not all(w == "inf" or w.isdigit() for w in words):
        raise UserError(f"--{option} '{text}': expected four limits (numbers or inf)")
    return text


def parse(argv, prog_name, environ=os.environ):
    opts = Options(prog_name)
    for name, env, arg, _ in OPTIONS:
        if env and env in environ:
            try:
                _apply(opts, name, environ[env] if arg else None)
            except UserError as e:
                raise UserError(f"{env}={environ[env]}: {e}") from None
            opts.origin[name] = env
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            i += 1
            break
        if not word.startswith("-") or word == "-":
            break
        name = word.lstrip("-")
        if name == "guest-rlimits" and i + 1 < len(argv):  # internal: the exec'ing guest's limits
            opts.guest_rlimits = _parse_rlimits(argv[i + 1], name)
            i += 2
            continue
        if name == "log-fd" and i + 1 < len(argv):  # internal: an exec'd guest inherits its parent's log
            opts.log_fd = _parse_fd(argv[i + 1], name)
            i += 2
            continue
        if name == "execfd" and i + 1 < len(argv):  # internal: pyqemu-binfmt's launcher passes AT_EXECFD
            opts.exec_fd = _parse_fd(argv[i + 1], name)
            i += 2
            continue
        option = _BY_NAME.get(name)
        if option is None:
            raise UserError(f"unknown option '{word}' (-h lists the options)")
        value = None
        if option[2]:
            if i + 1 >= len(argv):
                raise UserError(f"option '{word}' needs an argument ({option[2]})")
            value = argv[i + 1]
            i += 1
        try:
            _apply(opts, name, value)
        except UserError as e:
            raise UserError(f"-{name}: {e}") from None
        opts.origin[name] = f"-{name}"
        i += 1
        if opts.action:
            return opts
    if i >= len(argv):
        raise UserError("no program given (usage: " + prog_name + " [options] program [arguments...])")
    opts.program = argv[i]
    opts.args = argv[i + 1:]
    return opts


def usage(prog_name, arch_name):
    lines = [f"usage: {prog_name} [options] program [arguments...]",
             f"Run a Linux {arch_name or 'riscv64 or aarch64'} ELF program on this host (pyqemu {__version__}).", "",
             "Options and the environment variables that set them:"]
    for name, env, arg, text in OPTIONS:
        left = f"-{name}" + (f" {arg}" if arg else "")
        lines.append(f"  {left:<20} {env or '':<22} {text}")
    return "\n".join(lines)


def guest_environment(opts, environ=None):
    """The guest's envp: ours (or `environ`, bytes to bytes), with -E and -U applied."""
    env = dict(os.environb if environ is None else environ)
    for op, var, val in opts.env_ops:
        if op == "set":
            env[os.fsencode(var)] = os.fsencode(val)
        else:
            env.pop(os.fsencode(var), None)
    return [k + b"=" + v for k, v in env.items()]


def detect_arch(path):
    """The arch module for a program, from its ELF header (for plain `pyqemu`)."""
    from . import cpu
    from .loader.elf import ElfFile
    from .loader.program import describe
    found = []

    def check(elf):
        arch = cpu.by_elf(elf.machine_id, elf.elf_class, elf.little_endian)
        if arch is None:
            raise UserError(f"program '{path}' is a {describe(elf)} ELF, which pyqemu does not run "
                            f"(it runs: {', '.join(cpu.ARCH_NAMES)})")
        found.append(arch)

    ElfFile(path, check=check, executable=True).close()
    return found[0]


GUEST_PATH = b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def rootfs_program(opts):
    """--rootfs: check the root, and find the program the guest names inside it
    (a name without a slash is also looked for along the usual PATH, as proot does)."""
    from .paths import PathResolver
    given = opts.given_as("rootfs")
    if opts.sysroot is not None:
        raise UserError(f"{opts.given_as('L')} and {given} exclude each other: the root is the sysroot")
    if not os.path.isdir(opts.rootfs):
        raise UserError(f"root '{opts.rootfs}' ({given}) is not a directory" if os.path.exists(opts.rootfs)
                        else f"root '{opts.rootfs}' ({given}): no such directory")
    paths = PathResolver()
    paths.set_rootfs(opts.rootfs)
    name = os.fsencode(opts.program)
    candidates = [name]
    if b"/" not in name:
        candidates += [d + b"/" + name for d in GUEST_PATH.split(b":")]
    for candidate in candidates:
        host = paths.to_host(candidate)
        if os.path.isfile(host):
            return os.fsdecode(host)
    raise UserError(f"program '{opts.program}' not found in the root '{opts.rootfs}' ({given})")


def run(opts, arch_name):
    arch, argv = resolve(opts, arch_name)
    log = None
    if opts.log_fd is not None:
        os.set_inheritable(opts.log_fd, False)
        log = os.fdopen(opts.log_fd, "w", buffering=1)
    elif opts.logfile:
        try:
            log = open(opts.logfile, "w", buffering=1)
        except OSError as e:
            raise UserError(f"{opts.given_as('D')}: cannot open log file '{opts.logfile}': "
                            f"{e.strerror}") from None
    from .runner import run_program
    return run_program(arch, opts, argv, guest_environment(opts), log)


def resolve(opts, arch_name):
    """The options checked against the program: (its arch module, the guest's argv)."""
    from . import cpu
    argv = [os.fsencode(opts.argv0 if opts.argv0 is not None else opts.program)] + \
        [os.fsencode(a) for a in opts.args]
    if opts.rootfs is not None:
        opts.program = rootfs_program(opts)
    if arch_name is None:
        arch = detect_arch(opts.program)
    else:
        arch = cpu.get(arch_name)
    if opts.cpu and opts.cpu not in arch.CPU_MODELS:
        raise UserError(f"{opts.given_as('cpu')}: unknown CPU model '{opts.cpu}' for {arch.NAME} "
                        "(-cpu help lists them)")
    check_cpu_features(arch, opts)
    if opts.sysroot is not None and not os.path.isdir(opts.sysroot):
        given = opts.given_as("L")
        raise UserError(f"sysroot '{opts.sysroot}' ({given}) is not a directory" if os.path.exists(opts.sysroot)
                        else f"sysroot '{opts.sysroot}' ({given}): no such directory")
    if opts.stack_size < MIN_STACK:
        raise UserError(f"stack size {opts.stack_size:#x} ({opts.given_as('s')}) is too small for a "
                        f"program to start: at least {MIN_STACK >> 10} KiB")
    # the rest for the program, its libraries and the heap: half the address space at most
    # (qemu-user takes -s 1G for a 2 GiB MIPS o32 space)
    most = arch.TASK_SIZE // 2 & ~0xFFF
    if opts.stack_size > most:
        raise UserError(f"stack size {opts.stack_size:#x} ({opts.given_as('s')}) is too large for the {arch.NAME} "
                        f"address space ({arch.TASK_SIZE:#x} bytes): at most {most:#x}")
    return arch, argv


def main(argv=None, arch_name=None):
    argv = sys.argv[1:] if argv is None else argv
    prog_name = "pyqemu" + (f"-{arch_name}" if arch_name else "")
    opts = None
    try:
        opts = parse(argv, prog_name)
        if opts.action == "help":
            print(usage(prog_name, arch_name))
            return 0
        if opts.action == "version":
            print(f"{prog_name} version {__version__} (Unicorn {_unicorn_version()}, {_core_description()})")
            return 0
        if opts.action == "debug-help":
            print("Log items (comma separated):")
            for item, text in DEBUG_ITEMS.items():
                print(f"  {item:<14} {text}")
            return 0
        if opts.action == "cpu-help":
            from . import cpu
            for name in ([arch_name] if arch_name else cpu.ARCH_NAMES):
                arch = cpu.get(name)
                print(f"Available CPUs for {name}:")
                for model in arch.CPU_MODELS:
                    print(f"  {model}" + ("  (default)" if model == arch.DEFAULT_CPU else ""))
                if arch.CPU_FEATURES:
                    print(f"Features for {name} (-cpu MODEL,FEATURE=on|off):")
                    for feature, (what, why_not) in arch.CPU_FEATURES.items():
                        print(f"  {feature:<8} {what}" + (f" (only =off: {why_not})" if why_not else ""))
            return 0
        return run(opts, arch_name)
    except UserError as e:
        _say(f"{prog_name}: {one_line(str(e))}")
        return e.status
    except BrokenPipeError:  # -h | head: the reader left; go quietly, as SIGPIPE would
        _silence_stdout()
        return 128 + 13
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # the last guard of the rule: one line, never a traceback
        if opts is not None and "traceback" in opts.debug_items:
            import traceback
            traceback.print_exc()
        _say(f"{prog_name}: {one_line(f'internal error: {type(e).__name__}: {e}')} "
             "(please report; -d traceback shows where)")
        return INTERNAL_ERROR_STATUS


INTERNAL_ERROR_STATUS = 70  # EX_SOFTWARE, as the runner uses


def _say(line):
    try:
        if sys.stderr is not None:
            sys.stderr.write(line + "\n")
            sys.stderr.flush()
    except (OSError, ValueError):
        pass  # nowhere to say it: the status still tells


def _silence_stdout():
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def one_line(message):
    """A message as one line: names the user gave may hold newlines or escapes."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


def _unicorn_version():
    from .uclib import version  # the loaded library's own: no import of the unicorn package
    return version()


def _core_description():
    from .uclib import core_description
    return core_description()


def entry(arch_name=None):
    # Start-up allocates much and frees almost nothing: the cyclic collector's two dozen
    # passes over it cost 2 ms of a hello. runner.py turns it back on before guest code runs.
    gc.disable()
    status = main(arch_name=arch_name)
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:  # None when started with the descriptor closed
                stream.flush()
        except (OSError, ValueError):
            pass
    # Skip interpreter teardown: Unicorn instances and host threads need none,
    # and the guest's own data already went to its descriptors.
    os._exit(status)


def main_auto():
    entry(None)


def __getattr__(name):
    """main_<arch>: the console script pyqemu-<arch> (setup.py lists one per
    architecture of usermode/cpu/registry.py)."""
    if name.startswith("main_"):
        from .cpu import registry
        if name[5:] in registry.NAMES:
            return lambda: entry(name[5:])
    raise AttributeError(name)


if __name__ == "__main__":
    main_auto()
