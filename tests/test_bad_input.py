"""Bad input: one clear line on stderr naming the problem, a non-zero status,
never a traceback -- whatever the user or the file gives us.

Corrupt programs are made from real compiled ones by patching the ELF header
and program headers with struct, so each case breaks exactly one thing.
"""
import os
import random
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import time

import pytest

from conftest import ARCHES, build, pyqemu_command, run
from usermode import cpu


# ---- running and checking -------------------------------------------------


def run_cmd(args, arch="riscv64", env=None, **kw):
    full_env = None
    if env is not None:
        full_env = dict(os.environ)
        full_env.update(env)
    return run(pyqemu_command(arch) + list(args), env=full_env, timeout=60, **kw)


def assert_one_line(res, *words):
    """Exactly one stderr line, no traceback, non-zero status, naming the problem."""
    err = res.stderr.decode(errors="replace")
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{err}"
    assert res.returncode != 0, f"status 0 with {err!r}"
    assert res.returncode > 0, f"killed by a signal: {err!r}"
    line = lines[0]
    assert line.startswith("pyqemu"), line
    for w in words:
        assert w.lower() in line.lower(), f"{w!r} not in {line!r}"
    return line


def write_program(path, data):
    """A program file as a user would run it: executable (execve's EACCES otherwise)."""
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, 0o755)


def bad(arch, program, *words, options=(), env=None):
    res = run_cmd(list(options) + [program], arch, env=env)
    return assert_one_line(res, *words)


# ---- files that are not programs -------------------------------------------


def test_missing_file(arch, tmp_path):
    bad(arch, str(tmp_path / "nope"), "nope", "no such file")


def test_missing_file_plain_pyqemu(tmp_path):
    bad(None, str(tmp_path / "nope"), "nope", "no such file")


def test_missing_directory_in_path(arch, tmp_path):
    (tmp_path / "file").write_text("x")
    bad(arch, str(tmp_path / "file" / "prog"), "no such file")


def test_directory(arch, tmp_path):
    bad(arch, str(tmp_path), str(tmp_path), "directory")


def test_not_a_regular_file(arch):
    bad(arch, "/dev/null", "/dev/null", "not a regular file")


def test_fifo_does_not_block(arch, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    bad(arch, str(fifo), "not a regular file")


@pytest.mark.parametrize("content,words", [
    (b"#!/bin/sh\necho hello\n", ["not an ELF"]),
    (b"", ["empty"]),
    (b"abc", ["not an ELF"]),
    (b"\x7fEL", ["not an ELF"]),
    (b"\x7fELF", ["truncated"]),
    (b"MZ\x90\x00" + bytes(60), ["not an ELF"]),
])
def test_not_elf(arch, tmp_path, content, words):
    p = tmp_path / "prog"
    write_program(p, content)
    p.chmod(0o755)
    bad(arch, str(p), "prog", *words)


def test_name_with_newline_stays_one_line(arch, tmp_path):
    p = tmp_path / "two\nlines"
    write_program(p, b"text")
    bad(arch, str(p), "not an ELF")


# ---- the ELF header and program headers, for ELF32 and ELF64, either byte order ------

class Elf:
    """Where the fields a test patches live in one program's file (the two classes
    order a program header's fields differently)."""

    def __init__(self, data):
        self.bits = 32 if data[4] == 1 else 64
        self.e = "<" if data[5] == 1 else ">"
        if self.bits == 64:
            self.at = {"e_phoff": (0x20, "Q"), "e_shoff": (0x28, "Q"), "e_phentsize": (0x36, "H"),
                       "e_phnum": (0x38, "H"), "e_shentsize": (0x3A, "H")}
            self.ph = struct.Struct(self.e + "IIQQQQQQ")
            self.order = (TYPE, FLAGS, OFF, VADDR, PADDR, FILESZ, MEMSZ, ALIGN)
        else:
            self.at = {"e_phoff": (0x1C, "I"), "e_shoff": (0x20, "I"), "e_phentsize": (0x2A, "H"),
                       "e_phnum": (0x2C, "H"), "e_shentsize": (0x2E, "H")}
            self.ph = struct.Struct(self.e + "IIIIIIII")
            self.order = (TYPE, OFF, VADDR, PADDR, FILESZ, MEMSZ, FLAGS, ALIGN)
        self.absurd = 0xFFFFFFFFFFFF0000 if self.bits == 64 else 0xFFFFF000
        self.word = "Q" if self.bits == 64 else "I"

    def get(self, data, field):
        off, fmt = self.at[field]
        return struct.unpack_from(self.e + fmt, data, off)[0]

    def set(self, data, field, value):
        off, fmt = self.at[field]
        struct.pack_into(self.e + fmt, data, off, value)

    def read_ph(self, data, off):
        raw = self.ph.unpack_from(data, off)
        ph = [0] * 8
        for slot, value in zip(self.order, raw):
            ph[slot] = value
        return ph

    def write_ph(self, data, off, ph):
        self.ph.pack_into(data, off, *[ph[slot] & (self.word == "I" and 0xFFFFFFFF or (1 << 64) - 1)
                                       for slot in self.order])


TYPE, FLAGS, OFF, VADDR, PADDR, FILESZ, MEMSZ, ALIGN = range(8)


def phdrs(data):
    elf = Elf(data)
    phoff, phnum = elf.get(data, "e_phoff"), elf.get(data, "e_phnum")
    return [(phoff + elf.ph.size * i, elf.read_ph(data, phoff + elf.ph.size * i)) for i in range(phnum)]


def loads(data):
    return [(o, p) for o, p in phdrs(data) if p[TYPE] == 1]


# ---- truncated programs ----------------------------------------------------

def cut_points(data):
    elf = Elf(data)
    phoff = elf.get(data, "e_phoff")
    last = loads(data)[-1][1]
    return {
        "10 bytes": (10, ["truncated"]),
        "inside the ELF header": (40, ["truncated", "header"]),
        "inside the program headers": (phoff + elf.ph.size + 20, ["program headers", "end of the file"]),
        "inside a segment": (last[OFF] + last[FILESZ] // 2, ["segment", "end of the file"]),
    }


@pytest.mark.parametrize("mode", ["static", "dynamic"])
@pytest.mark.parametrize("where", ["10 bytes", "inside the ELF header", "inside the program headers",
                                   "inside a segment"])
def test_truncated_elf(arch, tmp_path, mode, where):
    data = open(build(arch, "hello.c", mode), "rb").read()
    length, words = cut_points(data)[where]
    p = tmp_path / "cut"
    write_program(p, data[:length])
    bad(arch, str(p), "cut", *words)


# ---- corrupt program headers -----------------------------------------------


def set_ph(data, off, ph):
    Elf(data).write_ph(data, off, ph)


def patch_load(index, field, value):
    def patch(data):
        off, ph = loads(data)[index]
        ph[field] = value(data, ph) if callable(value) else value
        set_ph(data, off, ph)
    return patch


def overlap(data):  # the first PT_LOAD grows over the second
    (o0, p0), (o1, p1) = loads(data)[:2]
    p0[MEMSZ] = p1[VADDR] - p0[VADDR] + 0x100
    p0[FILESZ] = min(p0[FILESZ], p0[MEMSZ])
    set_ph(data, o0, p0)


def unsorted(data):
    (o0, p0), (o1, p1) = loads(data)[:2]
    set_ph(data, o0, p1)
    set_ph(data, o1, p0)


def interp(fn):
    def patch(data):
        found = [(o, p) for o, p in phdrs(data) if p[TYPE] == 3]
        assert found, "no PT_INTERP"
        fn(data, *found[0])
    return patch


@interp
def interp_without_nul(data, off, ph):
    data[ph[OFF] + ph[FILESZ] - 1] = ord("x")


@interp
def interp_huge(data, off, ph):
    ph[FILESZ] = ph[MEMSZ] = 1 << 20
    set_ph(data, off, ph)


@interp
def interp_past_end(data, off, ph):
    ph[OFF] = len(data) - 4
    set_ph(data, off, ph)


@interp
def interp_empty(data, off, ph):
    data[ph[OFF]] = 0


def header(offset, fmt, value):
    def patch(data):
        struct.pack_into(fmt, data, offset, value)
    return patch


def field(name, value):
    """Set a header field wherever this program's class puts it; value may depend on the Elf."""
    def patch(data):
        elf = Elf(data)
        elf.set(data, name, value(elf) if callable(value) else value)
    return patch


def absurd(data, ph):
    """An address far above any user space, keeping the segment's page offset."""
    return Elf(data).absurd | (ph[OFF] & 0xFFF)


def large(data, ph):
    """A memory size beyond the address space: half the 64-bit range, or nearly all 4 GiB."""
    return Elf(data).absurd >> 1 if Elf(data).bits == 64 else 0xF8000000


# (patch, words the message must have; a callable gets the program's Elf and gives them)
CORRUPTIONS = {
    "p_offset past the end": (patch_load(1, OFF, lambda d, p: (len(d) + 0x10000) & ~0xFFF | p[VADDR] & 0xFFF),
                              ["p_offset", "end of the file"]),
    "p_filesz past the end": (patch_load(1, FILESZ, lambda d, p: len(d)), ["p_filesz", "end of the file"]),
    "p_memsz below p_filesz": (patch_load(1, MEMSZ, lambda d, p: p[FILESZ] - 8), ["p_memsz", "p_filesz"]),
    "overlapping PT_LOADs": (overlap, ["overlap"]),
    "unsorted PT_LOADs": (unsorted, ["out of order"]),
    "absurd vaddr": (patch_load(1, VADDR, absurd), lambda elf: [hex(elf.absurd)[:-3], "address space"]),
    "absurd vaddr of the first": (patch_load(0, VADDR, absurd), lambda elf: [hex(elf.absurd)[:-3],
                                                                            "address space"]),
    "absurd memsz": (patch_load(1, MEMSZ, lambda d, p: Elf(d).absurd),
                     lambda elf: [f"p_memsz {elf.absurd:#x}", "address space"]),
    "large memsz": (patch_load(1, MEMSZ, large), ["address space"]),
    "e_phnum 0xffff": (field("e_phnum", 0xFFFF), ["e_phnum 65535"]),
    "e_phnum 0": (field("e_phnum", 0), ["e_phnum 0"]),
    "e_phentsize wrong": (field("e_phentsize", 24), lambda elf: ["e_phentsize", "24", str(elf.ph.size)]),
    "e_phoff past the end": (field("e_phoff", lambda elf: 1 << (40 if elf.bits == 64 else 30)),
                             ["program headers", "end of the file"]),
    "e_phoff wraps": (field("e_phoff", lambda elf: (1 << elf.bits) - 16), ["program headers", "end of the file"]),
    "p_align not a power of two": (patch_load(1, ALIGN, 3), ["p_align 0x3", "power of two"]),
    "p_align absurd": (patch_load(1, ALIGN, lambda d, p: 1 << (62 if Elf(d).bits == 64 else 31)),
                       ["p_align", "large"]),
    "p_vaddr and p_offset disagree": (patch_load(1, VADDR, lambda d, p: p[VADDR] + 8), ["page offset"]),
    "PT_INTERP without NUL": (interp_without_nul, ["PT_INTERP", "NUL"]),
    "PT_INTERP huge": (interp_huge, ["PT_INTERP", "1048576"]),
    "PT_INTERP past the end": (interp_past_end, ["PT_INTERP", "end of the file"]),
    "PT_INTERP empty": (interp_empty, ["PT_INTERP", "empty"]),
    "no PT_LOAD": (lambda d: [set_ph(d, o, [0x6474E551] + p[1:]) for o, p in loads(d)], ["no loadable segment"]),
    "ET_REL": (lambda d: struct.pack_into(Elf(d).e + "H", d, 0x10, 1), ["not an executable", "ET_REL"]),
    "ET_CORE": (lambda d: struct.pack_into(Elf(d).e + "H", d, 0x10, 4), ["not an executable", "core"]),
    "EI_CLASS 3": (header(4, "B", 3), ["ELF class 3"]),
    "EI_DATA 0": (header(5, "B", 0), ["byte order 0"]),
    "other byte order": (lambda d: struct.pack_into("B", d, 5, 3 - d[5]), lambda elf: [
        "little-endian" if elf.e == ">" else "big-endian"]),
}


def corrupt(arch, name, tmp_path, mode="dynamic", flags=()):
    data = bytearray(open(build(arch, "hello.c", mode, flags), "rb").read())
    words = CORRUPTIONS[name][1]
    words = words(Elf(data)) if callable(words) else words
    CORRUPTIONS[name][0](data)
    p = tmp_path / "corrupt"
    write_program(p, bytes(data))
    p.chmod(0o755)
    return str(p), words


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_corrupt_program_headers(arch, tmp_path, name):
    mode = "dynamic" if "PT_INTERP" in name or name == "p_align absurd" else "static"
    # a PIE's p_align places it (an ET_EXEC's is ignored, as by the kernel): m68k's gcc needs asking
    flags = ("-fPIE", "-pie") if name == "p_align absurd" else ()
    path, words = corrupt(arch, name, tmp_path, mode, flags)
    bad(arch, path, "corrupt", *words)


@pytest.mark.parametrize("name", ["overlapping PT_LOADs", "unsorted PT_LOADs", "absurd vaddr",
                                  "e_phnum 0xffff", "p_filesz past the end"])
def test_corrupt_dynamic_program(arch, tmp_path, name):
    path, words = corrupt(arch, name, tmp_path, "dynamic")
    bad(arch, path, "corrupt", *words)


def test_corrupt_program_plain_pyqemu(tmp_path):
    arch = sorted(ARCHES)[0]
    path, _ = corrupt(arch, "e_phentsize wrong", tmp_path)
    bad(None, path, "e_phentsize")


def test_section_headers_do_not_matter(arch, tmp_path):
    """The kernel ignores section headers; so do we (a stripped or mangled table runs)."""
    data = bytearray(open(build(arch, "hello.c", "static"), "rb").read())
    elf = Elf(data)
    elf.set(data, "e_shoff", len(data) + 12345)
    off = elf.at["e_shentsize"][0]
    struct.pack_into(elf.e + "HHH", data, off, 7, 0xFFFF, 0xFFF0)  # e_shentsize, e_shnum, e_shstrndx
    p = tmp_path / "noshdr"
    write_program(p, bytes(data))
    res = run_cmd([str(p)], arch)
    assert res.returncode == 42, res.stderr


# ---- programs for another machine or class ---------------------------------

# pyelftools-free names, as the loader's messages say them
MACHINE_WORDS = {"riscv64": "RISC-V", "aarch64": "aarch64", "arm": "ARM", "x86_64": "x86-64", "i386": "i386",
                 "mipsel": "MIPS", "mips": "MIPS", "mips64el": "MIPS", "ppc": "PowerPC", "ppc64": "PowerPC 64",
                 "s390x": "s390", "m68k": "m68k"}


def runs_phrase(arch):
    """How pyqemu-<arch> says what it runs: "runs 32-bit big-endian mips programs"."""
    module = usermode_cpu(arch)
    return f"runs {module.ELF_CLASS}-bit {'big-endian ' if module.ABI.endian == 'big' else ''}{arch}"


def other_arch(arch):
    """Another architecture the suite builds for (the next in the registry)."""
    from usermode.cpu import registry
    names = [n for n in registry.NAMES if shutil.which(registry.cross_tools(n)["cc"])]
    return names[(names.index(arch) + 1) % len(names)]


def test_other_arch(arch):
    other = other_arch(arch)
    elf = Elf(open(build(other, "hello.c", "static"), "rb").read())
    line = bad(arch, build(other, "hello.c", "static"), f"{elf.bits}-bit", MACHINE_WORDS.get(other, other))
    assert f"{runs_phrase(arch)} programs" in line


def usermode_cpu(arch):
    from usermode import cpu
    return cpu.get(arch)


def test_host_binary(arch):
    """The host's own program (x86-64): refused by every other architecture's pyqemu."""
    if arch == "x86_64":
        res = run_cmd(["/bin/true"], arch)
        assert res.returncode == 0 and not res.stderr
        return
    line = bad(arch, "/bin/true", "x86-64")
    assert arch in line


def test_plain_pyqemu_on_host_binary():
    """plain pyqemu takes the host's own x86-64 programs for x86_64 guests."""
    res = run_cmd(["/bin/true"], None)
    assert res.returncode == 0 and not res.stderr


def minimal_elf(machine, path, bits=32, little=True):
    """A minimal well-formed executable of a class and machine: header, one PT_LOAD."""
    e = "<" if little else ">"
    code = b"\xfe\xe7"  # never runs
    ident = b"\x7fELF" + bytes([1 if bits == 32 else 2, 1 if little else 2, 1]) + bytes(9)
    if bits == 32:
        ehdr = struct.pack(e + "16sHHIIIIIHHHHHH", ident, 2, machine, 1, 0x10054, 52, 0, 0, 52, 32, 1, 40, 0, 0)
        phdr = struct.pack(e + "IIIIIIII", 1, 0, 0x10000, 0x10000, 84 + len(code), 84 + len(code), 5, 0x1000)
    else:
        ehdr = struct.pack(e + "16sHHIQQQIHHHHHH", ident, 2, machine, 1, 0x10078, 64, 0, 0, 64, 56, 1, 64, 0, 0)
        phdr = struct.pack(e + "IIQQQQQQ", 1, 5, 0, 0x10000, 0x10000, 120 + len(code), 120 + len(code), 0x1000)
    with open(path, "wb") as f:
        f.write(ehdr + phdr + code)
    os.chmod(path, 0o755)
    return path


def test_other_class_same_machine(arch, tmp_path):
    """The arch's machine number in the other ELF class: refused, naming the class."""
    a = usermode_cpu(arch)
    other_bits = 96 - a.ELF_CLASS
    path = minimal_elf(a.ELF_MACHINE, str(tmp_path / "p"), other_bits, a.ABI.endian == "little")
    bad(arch, path, f"{other_bits}-bit")


def test_unknown_machine_plain_pyqemu(tmp_path):
    """A machine pyqemu has no cpu module for (SuperH, 42): one line listing what it runs."""
    line = bad(None, minimal_elf(42, str(tmp_path / "sh")), "does not run")
    assert all(name in line for name in ARCHES)


def test_interpreter_for_another_arch(arch, tmp_path):
    """A sysroot of the wrong architecture: the interpreter is named and rejected."""
    from usermode.cpu import registry
    other = registry.cross_tools(other_arch(arch))["sysroot"]
    root = tmp_path / "root"
    data = bytearray(open(build(arch, "hello.c", "dynamic"), "rb").read())
    interp_off, ph = [(o, p) for o, p in phdrs(data) if p[TYPE] == 3][0]
    wanted = data[ph[OFF]:ph[OFF] + ph[FILESZ]].split(b"\0")[0].decode()
    (root / os.path.dirname(wanted).lstrip("/")).mkdir(parents=True)
    host_other = next(other + name for name in usermode_cpu(other_arch(arch)).INTERPRETERS
                      if os.path.exists(other + name))
    shutil.copy(host_other, str(root) + wanted)
    line = bad(arch, build(arch, "hello.c", "dynamic"), "interpreter", options=["-L", str(root)])
    assert runs_phrase(arch) in line


# ---- the interpreter ---------------------------------------------------------


def test_interpreter_missing_in_sysroot(arch, tmp_path):
    line = bad(arch, build(arch, "hello.c", "dynamic"), "interpreter", "not found", "-L",
               options=["-L", str(tmp_path)])
    from usermode import cpu
    assert any(i in line for i in cpu.get(arch).INTERPRETERS) and str(tmp_path) in line


@interp
def interp_nonexistent(data, off, ph):
    path = b"/nonexistent/ld-x.so.1\0"
    data[ph[OFF]:ph[OFF] + len(path)] = path
    ph[FILESZ] = ph[MEMSZ] = len(path)
    set_ph(data, off, ph)


def test_interpreter_path_nonexistent(arch, tmp_path):
    data = bytearray(open(build(arch, "hello.c", "dynamic"), "rb").read())
    interp_nonexistent(data)
    p = tmp_path / "prog"
    write_program(p, bytes(data))
    bad(arch, str(p), "/nonexistent/ld-x.so.1", "not found", "-L")


def test_sysroot_not_a_directory(arch, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    bad(arch, build(arch, "hello.c", "dynamic"), "-L", "not a directory", options=["-L", str(f)])
    bad(arch, build(arch, "hello.c", "static"), "-L", "not a directory", options=["-L", str(f)])
    bad(arch, build(arch, "hello.c", "static"), "-L", "no such directory", options=["-L", str(tmp_path / "x")])
    bad(arch, build(arch, "hello.c", "static"), "PYQEMU_LD_PREFIX", "not a directory",
        env={"PYQEMU_LD_PREFIX": str(f)})


# ---- the command line --------------------------------------------------------


def prog(arch):
    return build(arch, "hello.c", "static")


@pytest.mark.parametrize("args,words", [
    (["-bogus"], ["unknown option", "-bogus"]),
    (["--bogus"], ["unknown option", "--bogus"]),
    (["-E", "NOEQUALS"], ["-E", "NOEQUALS", "VAR=VALUE"]),
    (["-E", "A=1,B"], ["-E", "'B'", "VAR=VALUE"]),
    (["-E", "=x"], ["-E", "VAR=VALUE"]),
    (["-U", "A=B"], ["-U", "variable name"]),
    (["-s", "12Q"], ["-s", "invalid size", "12Q"]),
    (["-s", "-5"], ["-s", "invalid size", "positive"]),
    (["-s", "0"], ["-s", "invalid size"]),
    (["-s", ""], ["-s", "invalid size"]),
    (["-s", "99999999999999999999G"], ["-s", "invalid size"]),
    (["-s", "90000G"], ["-s", "larger than any guest address space"]),
    (["-s", "1"], ["stack", "-s"]),
    (["-cpu", "pentium"], ["unknown CPU model", "pentium", "-cpu help"]),
    (["-d", "bogus"], ["-d", "unknown log item", "bogus", "-d help"]),
    (["-d", "in_asm,bogus"], ["-d", "bogus"]),
    (["-D", "/nonexistent/dir/log"], ["log file", "/nonexistent/dir/log", "No such file"]),
    (["-D", "/"], ["log file", "directory"]),
])
def test_bad_option(arch, args, words):
    bad(arch, prog(arch), *words, options=args)


@pytest.mark.parametrize("option", ["-L", "-E", "-U", "-s", "-cpu", "-0", "-d", "-D"])
def test_option_missing_its_argument(arch, option):
    assert_one_line(run_cmd([option], arch), option, "needs an argument")


@pytest.mark.parametrize("args", [[], ["--"], ["-L", "/tmp"], ["-strace"]])
def test_no_program(arch, args):
    assert_one_line(run_cmd(args, arch), "no program given", "usage")


def test_no_program_plain_pyqemu():
    assert_one_line(run_cmd([], None), "no program given")


@pytest.mark.parametrize("var,value,words", [
    ("PYQEMU_STACK_SIZE", "lots", ["PYQEMU_STACK_SIZE", "invalid size"]),
    ("PYQEMU_SET_ENV", "NOEQUALS", ["PYQEMU_SET_ENV", "VAR=VALUE"]),
    ("PYQEMU_UNSET_ENV", "A=B", ["PYQEMU_UNSET_ENV", "variable name"]),
    ("PYQEMU_LOG", "bogus", ["PYQEMU_LOG", "bogus"]),
    ("PYQEMU_CPU", "pentium", ["PYQEMU_CPU", "pentium"]),
    ("PYQEMU_LOG_FILENAME", "/nonexistent/dir/log", ["PYQEMU_LOG_FILENAME", "/nonexistent/dir/log"]),
])
def test_bad_environment_variable(arch, var, value, words):
    bad(arch, prog(arch), *words, env={var: value})


# ---- fuzz: random damage to the header and program headers --------------------

FUZZ_SEED = 20240611
FUZZ_RUNS = 200


def fuzz_mutants(data, seed, count):
    rng = random.Random(seed)
    elf = Elf(data)
    end = elf.get(data, "e_phoff") + elf.get(data, "e_phnum") * elf.ph.size
    special = [0, 1, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFF0000, 1 << 63, len(data), len(data) + 1, 0x1000]
    for _ in range(count):
        m = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(0, end)
            kind = rng.random()
            if kind < 0.4:
                m[pos] ^= 1 << rng.randrange(8)
            elif kind < 0.7:
                m[pos] = rng.randrange(256)
            else:
                width = elf.bits // 8
                pos &= ~(width - 1)
                value = rng.choice(special + [rng.getrandbits(64), rng.getrandbits(32), rng.getrandbits(16)])
                m[pos:pos + width] = struct.pack(elf.e + elf.word, value & ((1 << elf.bits) - 1))
        yield bytes(m)


def _fork_main(path, arch):
    """usermode.cli.main([path], arch) in a forked child (Python and Unicorn
    start-up already paid), its stderr to a pipe. Returns (pid, read end)."""
    import usermode.cli
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(r)
            null = os.open(os.devnull, os.O_RDWR)
            os.dup2(null, 0)
            os.dup2(null, 1)
            os.dup2(w, 2)
            # pytest's capture replaced sys.stdout/err: write to the real descriptors
            sys.stdout = open(1, "w", closefd=False)
            sys.stderr = open(2, "w", closefd=False, errors="backslashreplace")
            status = usermode.cli.main([path], arch)
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:
            import traceback
            traceback.print_exc()
            sys.stderr.flush()
            status = 99
        os._exit(status)
    os.close(w)
    return pid, r


def run_forked_many(jobs, arch, timeout, parallel):
    """Run cli.main on each path of jobs, `parallel` at a time; yields
    (index, wait status, stderr text, timed out) as they finish."""
    pending = list(enumerate(jobs))
    running = {}  # read fd -> [index, pid, deadline, bytes]
    while pending or running:
        while pending and len(running) < parallel:
            index, path = pending.pop(0)
            pid, fd = _fork_main(path, arch)
            running[fd] = [index, pid, time.monotonic() + timeout, b""]
        wait = max(0.0, min(job[2] for job in running.values()) - time.monotonic())
        ready, _, _ = select.select(list(running), [], [], wait)
        now = time.monotonic()
        for fd in list(running):
            job = running[fd]
            done = timed_out = False
            if fd in ready:
                chunk = os.read(fd, 65536)
                job[3] += chunk
                done = not chunk
            if not done and now >= job[2]:
                os.kill(job[1], signal.SIGKILL)
                done = timed_out = True
            if done:
                os.close(fd)
                del running[fd]
                _, status = os.waitpid(job[1], 0)
                yield job[0], status, job[3].decode(errors="replace"), timed_out


def check_fuzz_outcome(status, err, timed_out, prog_name):
    """A normal run, a one-line error, or a guest fault line: never a traceback."""
    assert "Traceback" not in err, err
    ours = [line for line in err.splitlines() if line.startswith(prog_name + ":")
            and "unsupported syscall" not in line]
    if timed_out:  # the damage sent the guest into a loop: its business, not an emulator failure
        return "loop"
    if os.WIFSIGNALED(status):
        if os.WTERMSIG(status) == signal.SIGABRT and not ours:
            return "guest abort"  # the guest's libc saw the damage (said so, or too early to) and raised SIGABRT
        assert len(ours) == 1 and " guest SIG" in ours[0], err  # a CPU fault: we said so in one line
        return "fault"
    code = os.WEXITSTATUS(status)
    assert code != 70 and code != 99, f"internal error: {err}"
    if code == 42 and not ours:
        return "ran"
    if ours:
        assert len(ours) == 1, err
        if "guest SIG" not in ours[0]:
            assert len(err.splitlines()) == 1, err
        return "error"
    return "ran"  # the guest itself failed (its own message, its own status)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fuzz_headers(arch, tmp_path):
    import usermode.cpu
    usermode.cpu.get(arch)  # imported before forking, once
    data = open(build(arch, "hello.c", "static"), "rb").read()
    outcomes = {}
    started = time.monotonic()
    paths = []
    for i, mutant in enumerate(fuzz_mutants(data, FUZZ_SEED + sorted(ARCHES).index(arch), FUZZ_RUNS)):
        paths.append(str(tmp_path / f"m{i}"))
        write_program(paths[-1], mutant)
    for i, status, err, timed_out in run_forked_many(paths, arch, timeout=5,
                                                     parallel=max(2, min(8, os.cpu_count() or 1))):
        try:
            kind = check_fuzz_outcome(status, err, timed_out, f"pyqemu-{arch}")
        except AssertionError:
            keep = os.path.join(os.path.dirname(__file__), ".build", f"fuzz-{arch}-{i}")
            shutil.copy(paths[i], keep)
            raise AssertionError(f"mutant {i} (kept as {keep}): status {status}, stderr:\n{err}")
        outcomes[kind] = outcomes.get(kind, 0) + 1
    assert outcomes.get("error", 0) > FUZZ_RUNS // 4, outcomes
    assert time.monotonic() - started < 60, outcomes


# ---- permissions, interpreters that are no files, E2BIG ------------------------------


@pytest.mark.parametrize("mode", [0o644, 0o000])
def test_not_executable(arch, tmp_path, mode):
    """execve's EACCES, even for root when no x bit is set at all (was: ran anyway)."""
    prog = tmp_path / "prog"
    shutil.copy(build(arch, "hello.c", "static"), prog)
    os.chmod(prog, mode)
    res = run_cmd([str(prog)], arch)
    assert_one_line(res, str(prog), "permission denied", "not executable", f"{mode:03o}")
    assert res.returncode == 126  # the shell's status for a program it may not execute
    assert_one_line(run_cmd([str(prog)], None), "permission denied")


def test_execute_only_runs(arch, tmp_path):
    prog = tmp_path / "prog"
    shutil.copy(build(arch, "hello.c", "static"), prog)
    os.chmod(prog, 0o111)
    res = run_cmd([str(prog)], arch)
    if os.geteuid() == 0:  # root reads it: it runs as natively
        assert res.returncode == 42, res.stderr
    else:
        assert_one_line(res, "cannot open", "permission denied")


def test_program_handed_over_open_needs_no_permission(arch, tmp_path):
    """binfmt_misc's flag O (the launcher's --execfd): the kernel checked execute
    permission and opened the file; pyqemu reads it from the descriptor."""
    prog = tmp_path / "prog"
    shutil.copy(build(arch, "hello.c", "static"), prog)
    fd = os.open(prog, os.O_RDONLY)
    os.chmod(prog, 0o100)  # execute-only now; open already
    try:
        res = run_cmd(["--execfd", str(fd), str(prog)], arch, pass_fds=(fd,))
    finally:
        os.close(fd)
    assert res.returncode == 42, res.stderr


def _with_interp(arch, tmp_path, value):
    data = bytearray(open(build(arch, "hello.c", "dynamic"), "rb").read())
    off, ph = [(o, p) for o, p in phdrs(data) if p[TYPE] == 3][0]
    data[ph[OFF]:ph[OFF] + len(value) + 1] = value + b"\0"
    ph[FILESZ] = ph[MEMSZ] = len(value) + 1
    set_ph(data, off, ph)
    p = tmp_path / "prog"
    write_program(p, bytes(data))
    os.chmod(p, 0o755)
    return str(p)


@pytest.mark.parametrize("target,words", [
    ("directory", ["is a directory", "not an elf interpreter"]),
    ("/etc/passwd", ["/etc/passwd", "not an elf file"]),
    ("/dev/null", ["/dev/null", "not a regular file"]),
])
def test_interpreter_that_is_no_program(arch, tmp_path, target, words):
    """PT_INTERP naming a directory said "not found"."""
    value = str(tmp_path).encode() if target == "directory" else target.encode()
    bad(arch, _with_interp(arch, tmp_path, value), "interpreter", *words)


def test_interpreter_directory_in_sysroot(arch, tmp_path):
    root = tmp_path / "root"
    (root / "lib" / "ld.so.1").mkdir(parents=True)
    bad(arch, _with_interp(arch, tmp_path, b"/lib/ld.so.1"), "interpreter", "is a directory",
        options=["-L", str(root)])


def test_arguments_too_large(arch):
    """The kernel's rule: strings and pointers within a quarter of the stack (-s), at least 128 KiB."""
    env = {f"V{i}": "z" * 1000 for i in range(150)}
    line = bad(arch, build(arch, "hello.c", "static"), "e2big", "a quarter of the 262144-byte stack",
               "environment strings", "131072", options=["-s", "256k"], env=env)
    assert re.search(r"take 1[5-9][0-9]{4} bytes", line)  # the sizes, in bytes
    ok = run_cmd([build(arch, "hello.c", "static")], arch, env=env)  # the default 8 MiB stack: 2 MiB
    assert ok.returncode == 42, ok.stderr
