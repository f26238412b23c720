#!/usr/bin/env python3
"""Generate usermode/tables/<arch>.py: syscall numbers and kernel constants.

Values are taken from the headers a real compiler sees for each target (the
cross packages' glibc and kernel headers), never typed by hand:

1. `<cc> -E -dM` on each group's headers lists the macro names;
2. a C file initialising an array with those names is compiled (`-c`, never run),
   names the compiler rejects (pointer casts, non-constants) are dropped;
3. the array is read back from the object's .rodata with pyelftools.

Usage: tools/gen_tables.py [arch ...]   (default: every arch in TARGETS)
"""
import os
import re
import subprocess
import sys
import tempfile

from elftools.elf.elffile import ELFFile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "usermode", "cpu"))
import registry  # noqa: E402  (usermode/cpu/registry.py, read without importing the package)

# arch name -> (C compiler that targets it, its flags): every guest, and the host,
# which is the other side of every translation
TARGETS = {"x86_64": ("gcc", [])}
TARGETS.update({name: (registry.cross_tools(name)["cc"], registry.cross_tools(name)["cc_flags"])
                for name in registry.NAMES})

# group -> (headers, regex a macro name must match (group 1, if any, is the key),
#           or the list of names when they are enum constants rather than macros)
GROUPS = {
    # ARM's private calls (__ARM_NR_set_tls...) keep their prefix: ARM_set_tls
    "SYSCALLS": (["asm/unistd.h"], r"^__((?:ARM_)?)NR_(\w+)$"),
    "ERRNO": (["errno.h"], r"^E[A-Z0-9]+$"),
    "SIGNALS": (["signal.h"], r"^SIG[A-Z0-9]+$"),
    "SIGNAL_FLAGS": (["signal.h"], r"^((SA|SS|SEGV|BUS|ILL|TRAP|CLD|FPE|SI)_\w+|SIG_(BLOCK|UNBLOCK|SETMASK)|MINSIGSTKSZ|SIGSTKSZ)$"),
    # the kernel's signal set size (glibc's _NSIG is one more): sigsetsize arguments
    # and the kernel's sigaction flags (SA_RESTORER exists only where the kernel has one)
    "KSIGNAL": (["asm/signal.h"], r"^(_NSIG|SA_RESTORER|MINSIGSTKSZ)$"),
    # the highest signal number (the kernel's _NSIG: 64, 128 on MIPS): glibc's, since
    # some arches' uapi headers keep _NSIG for the kernel
    "NSIG": (["signal.h"], r"^__SIGRTMAX$"),
    # socketcall's and ipc's call numbers, for the ABIs that multiplex through them
    "MULTIPLEX": (["linux/net.h", "linux/ipc.h"],
                  r"^(SYS_[A-Z0-9_]+|SEMOP|SEMGET|SEMCTL|SEMTIMEDOP|MSGSND|MSGRCV|MSGGET|MSGCTL|SHMAT|SHMDT|"
                  r"SHMGET|SHMCTL|IPC_64)$"),
    "FILE": (["fcntl.h", "sys/stat.h", "unistd.h", "linux/fs.h", "linux/falloc.h", "dirent.h"],
             r"^(O|F|FD|AT|S_I[FRWX]\w*|SEEK|RENAME|FALLOC_FL|STATX|UTIME|[RWXF]_OK|DT|CLOSE_RANGE)(_\w+)?$"),
    # the kernel's own O_* bits (glibc's O_LARGEFILE is 0 on 64-bit, the kernel's is not,
    # and aarch64's differs from x86-64's): what open flags and F_GETFL/F_SETFL carry
    "OPEN": (["asm/fcntl.h"], r"^(O_\w+|__O_\w+|FASYNC)$"),
    "FILEOPS": (["sys/file.h", "fcntl.h"], r"^(LOCK|POSIX_FADV)_\w+$"),
    "MMAN": (["sys/mman.h"], r"^(MAP|PROT|MREMAP|MADV|MS|MCL|MFD)_\w+$"),
    "SOCKET": (["sys/socket.h", "netinet/in.h", "netinet/tcp.h", "sys/un.h"],
               r"^(AF|PF|SOCK|SOL|SO|SCM|MSG|SHUT|IPPROTO|IP|IPV6|TCP)_\w+$"),
    # the kernel's struct termios (asm/termbits.h), not glibc's: PowerPC's TCGETS encodes
    # the struct's size (44 bytes; glibc's is 60)
    "IOCTL": (["stddef.h", "sys/types.h", "sys/ioctl.h", "asm/termbits.h", "asm/ioctls.h", "asm/sockios.h",
               "linux/random.h", "linux/loop.h", "linux/fs.h"],
              r"^(TC|TIOC|FIO|FION|SIOC|RND|LOOP_|BLK)\w+$"),
    "TERMIOS": (["termios.h"], r"^(NCCS|V[A-Z]+|[IOC]?[A-Z]{2,7}|B\d+|TCSA\w+|TCSANOW)$"),
    "TIME": (["time.h", "sys/timerfd.h", "sys/time.h"], r"^(CLOCK|TIMER|TFD|ITIMER)_\w+$"),
    "POLL": (["poll.h", "sys/epoll.h", "sys/eventfd.h", "sys/signalfd.h"],
             r"^(POLL|EPOLL|EFD|SFD)\w*$"),
    "RESOURCE": (["sys/resource.h"], r"^(RLIMIT|RUSAGE|PRIO)_\w+$"),
    "PROC": (["sched.h", "sys/wait.h", "linux/futex.h", "sys/prctl.h", "sys/random.h"],
             r"^(CLONE|CSIGNAL|W[A-Z]+|P_[A-Z]+|FUTEX|PR|GRND|SCHED)(_\w+)?$"),
    # enum constants are no macros: named one by one
    "MEMBARRIER": (["linux/membarrier.h"], ["MEMBARRIER_CMD_QUERY", "MEMBARRIER_CMD_GLOBAL",
                   "MEMBARRIER_CMD_GLOBAL_EXPEDITED", "MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED",
                   "MEMBARRIER_CMD_PRIVATE_EXPEDITED", "MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED",
                   "MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE",
                   "MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE"]),
    "AUXV": (["linux/auxvec.h"], r"^AT_\w+$"),
}

# Groups whose header only some architectures have: written where it compiles.
ARCH_GROUPS = {
    # MIPS' sysmips() commands (glibc's sys/sysmips.h)
    "SYSMIPS": (["sys/sysmips.h"], r"^(SETNAME|FLUSH_CACHE|MIPS_FIXADE|MIPS_RDNVRAM|MIPS_ATOMIC_SET)$"),
}

PREAMBLE = "#define _GNU_SOURCE\n"


def macro_names(cc, flags, headers, pattern):
    if isinstance(pattern, list):
        return sorted(pattern)
    src = PREAMBLE + "".join(f"#include <{h}>\n" for h in headers)
    out = subprocess.run([cc, *flags, "-E", "-dM", "-x", "c", "-"], input=src, text=True,
                         capture_output=True, check=True).stdout
    regex = re.compile(pattern)
    names = []
    for line in out.splitlines():
        parts = line.split(None, 2)
        if len(parts) >= 2 and parts[0] == "#define" and "(" not in parts[1] and regex.match(parts[1]):
            names.append(parts[1])
    return sorted(set(names))


def has_headers(cc, flags, headers):
    src = "".join(f"#include <{h}>\n" for h in headers)
    return subprocess.run([cc, *flags, "-E", "-x", "c", "-"], input=src, text=True,
                          capture_output=True).returncode == 0


def compile_values(cc, flags, headers, names):
    """Return {name: value} for the names that are integer constants for cc."""
    names = list(names)
    with tempfile.TemporaryDirectory() as tmp:
        src_path, obj_path = os.path.join(tmp, "v.c"), os.path.join(tmp, "v.o")
        while names:
            head = PREAMBLE + "".join(f"#include <{h}>\n" for h in headers)
            first_line = head.count("\n") + 2
            body = "const long long pyq_values[] = {\n" + "".join(f"(long long)({n}),\n" for n in names) + "};\n"
            with open(src_path, "w") as f:
                f.write(head + body)
            res = subprocess.run([cc, *flags, "-c", "-O0", "-w", src_path, "-o", obj_path],
                                 capture_output=True, text=True)
            if res.returncode == 0:
                return dict(zip(names, read_array(obj_path, len(names))))
            bad = {int(m) - first_line for m in re.findall(r"v\.c:(\d+):\d+: error", res.stderr)}
            bad = {i for i in bad if 0 <= i < len(names)}
            if not bad:
                raise SystemExit(f"{cc}: cannot compile constants:\n{res.stderr[:2000]}")
            names = [n for i, n in enumerate(names) if i not in bad]
    return {}


def read_array(obj_path, count, symbol="pyq_values"):
    """The `count` long longs of array `symbol` in a compiled (not linked) object file."""
    with open(obj_path, "rb") as f:
        elf = ELFFile(f)
        sym = elf.get_section_by_name(".symtab").get_symbol_by_name(symbol)[0]
        data = elf.get_section(sym["st_shndx"]).data()
        order = "little" if elf.little_endian else "big"
        start = sym["st_value"]
        return [int.from_bytes(data[start + 8 * i:start + 8 * i + 8], order, signed=True) for i in range(count)]


def generate(arch, cc, flags):
    shown = " ".join([cc, *flags])
    lines = [f'"""Kernel ABI constants for {arch}, generated by tools/gen_tables.py from {shown}\'s headers.',
             'Do not edit: rerun the script."""', ""]
    groups = dict(GROUPS)
    groups.update({g: spec for g, spec in ARCH_GROUPS.items() if has_headers(cc, flags, spec[0])})
    for group, (headers, pattern) in groups.items():
        names = macro_names(cc, flags, headers, pattern)
        values = compile_values(cc, flags, headers, names)
        entries = {}
        for name, value in values.items():
            if group == "SYSCALLS":
                match = re.match(pattern, name)
                name = match.group(1) + match.group(2)
                if name.endswith("BASE") or name in ("syscalls", "Linux", "Linux_syscalls"):
                    continue  # the number ranges' bases and counts, not calls (MIPS: __NR_Linux)
            entries[name] = value
        lines.append(f"{group} = {{")
        lines += [f"    {k!r}: {v}," for k, v in sorted(entries.items(), key=lambda kv: (kv[1], kv[0]))]
        lines.append("}")
        lines.append("")
    return "\n".join(lines)


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = os.path.join(here, "..", "usermode", "tables")
    for arch in argv or TARGETS:
        cc, flags = TARGETS[arch]
        text = generate(arch, cc, flags)
        with open(os.path.join(outdir, f"{arch}.py"), "w") as f:
            f.write(text)
        print(f"wrote usermode/tables/{arch}.py")


if __name__ == "__main__":
    main(sys.argv[1:])
