"""The loader: the initial stack and auxv, PIE and non-PIE programs, the
program break, a large .bss, ld.so and libc.so.6 run as programs, and an ET_DYN
with no interpreter at all."""
import os
import struct

import pytest

from conftest import (ARCHES, assert_same_as_qemu, build, elf_header, glibc_files, run, run_native, run_pyqemu,
                      run_qemu, run_reference, runs_natively, stack_aligned)

HWCAP_FP, HWCAP_ASIMD = 1 << 0, 1 << 1  # aarch64 <asm/hwcap.h>
# qemu-user 7.2 gives these no AT_PLATFORM; their kernels give the CPU's (ppc750, z13...),
# as pyqemu does (test_auxv checks ours)
QEMU_NO_PLATFORM = {"ppc", "ppc64", "s390x"}
# -pie as well: m68k's gcc has no static-pie of its own (-static-pie alone links an ET_EXEC)
FREESTANDING_FLAGS = ["-nostdlib", "-fPIE", "-pie", "-Wl,--no-dynamic-linker"]


def parse(res):
    out = {}
    for line in res.stdout.decode().splitlines():
        key, eq, value = line.partition("=")
        if eq:
            out.setdefault(key, value)
    return out


def sysroot_options(arch, mode):
    return ["-L", ARCHES[arch]["sysroot"]] if mode == "dynamic" else []


def auxv_run(arch, mode, *args, flags=(), **kw):
    prog = build(arch, "auxv.c", mode, flags=flags)
    res = run_pyqemu(arch, prog, *args, options=sysroot_options(arch, mode), **kw)
    assert res.returncode == 0, res.stderr
    return prog, parse(res)


def e_entry(path):
    return elf_header(path)["entry"]


# AT_HWCAP bits every CPU model of the arch has (exactly riscv64's: qemu's IMAFDC). On
# x86 glibc's getauxval(AT_HWCAP) is glibc's own word, checked against the native run.
HWCAP_MUST = {"aarch64": HWCAP_FP | HWCAP_ASIMD,
              # half thumb fastmult vfp edsp neon vfpv3 tls vfpv4 (the default model: max)
              "arm": sum(1 << bit for bit in (1, 2, 4, 6, 7, 12, 13, 15, 16)),
              # the 24Kf: MIPS16e only (bit 3); the 5KEf: none
              "mipsel": 1 << 3, "mips": 1 << 3, "mips64el": 0,
              # PPC_FEATURE_32, HAS_FPU, HAS_MMU (asm/cputable.h: 750, 604e and 603e alike)
              "ppc": 0x80000000 | 0x08000000 | 0x04000000,
              # PPC_FEATURE_32, _64, HAS_FPU, HAS_MMU (no vector bits: cpu/ppc64.py says why)
              "ppc64": 0x80000000 | 0x40000000 | 0x08000000 | 0x04000000,
              # esan3 zarch stfle msa ldisp eimm (asm/elf.h: every z/Architecture model)
              "s390x": 0x3F,
              "m68k": 0}  # the m68k kernel gives none (no ELF_HWCAP): checked exactly below


def sp_right(arch, sp_mod16, prog, *args):
    """Whether the SP's alignment auxv.c reads in main is right: the ABI's alignment, or
    on x86 (where main's SP is past a pushed return address) what the native run shows."""
    if runs_natively(arch):
        return sp_mod16 == parse(run_native(arch, prog, *args))["sp_mod16"]
    return stack_aligned(arch, sp_mod16)


@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_auxv(arch, mode):
    from usermode import cpu
    prog, got = auxv_run(arch, mode)
    head = elf_header(prog)
    assert got["AT_PAGESZ"] == "0x1000"
    assert int(got["AT_PHENT"], 16) == head["phentsize"] == (56 if head["bits"] == 64 else 32)
    assert int(got["AT_PHNUM"], 16) == head["phnum"]
    with open(prog, "rb") as f:
        f.seek(head["phoff"])
        first_type = struct.unpack(head["endian"] + "I", f.read(4))[0]
    assert got["AT_PHDR_nonzero"] == "1" and int(got["AT_PHDR_first_type"]) == first_type
    assert got["AT_ENTRY_nonzero"] == "1"
    assert got["AT_BASE_nonzero"] == ("1" if mode == "dynamic" else "0")
    assert got["AT_FLAGS"] == "0"
    for key in ("AT_UID_ok", "AT_EUID_ok", "AT_GID_ok", "AT_EGID_ok"):
        assert got[key] == "1", key
    assert got["AT_SECURE"] == "0"
    assert got["AT_CLKTCK"] == "0x64"
    assert got["AT_RANDOM_nonzero"] != "0" and len(got["AT_RANDOM"]) == 32
    assert got["AT_EXECFN"] == prog
    hwcap = int(got["AT_HWCAP"], 16)
    module = cpu.get(arch)
    if arch == "riscv64":
        assert hwcap == 0x112D  # IMAFDC, as qemu-riscv64 reports
    elif runs_natively(arch):
        assert got["AT_HWCAP"] == parse(run_native(arch, prog, options=sysroot_options(arch, mode)))["AT_HWCAP"]
    else:
        assert hwcap & HWCAP_MUST[arch] == HWCAP_MUST[arch]
        assert arch != "m68k" or hwcap == 0
    # arm's depends on the model: the default (max) has the ARMv8 additions
    assert got["AT_PLATFORM"] == ("v8l" if arch == "arm" else module.PLATFORM or "(absent)")
    assert got["AT_MINSIGSTKSZ_nonzero"] == ("1" if module.MINSIGSTKSZ else "0")


def test_auxv_matches_qemu_where_it_should(arch):
    """The values that do not depend on the CPU model or on chance are qemu's."""
    prog = build(arch, "auxv.c", "static")
    ours = parse(run_pyqemu(arch, prog, "x"))
    theirs = parse(run_reference(arch, prog, "x"))
    same = ["AT_PAGESZ", "AT_PHENT", "AT_PHNUM", "AT_ENTRY", "AT_BASE_nonzero", "AT_FLAGS", "AT_UID_ok",
            "AT_SECURE", "AT_CLKTCK", "AT_PLATFORM", "AT_EXECFN", "argc", "argv[0]", "argv[1]",
            "sp_mod16", "envp_follows_argv", "brk_after_end"]
    if arch == "riscv64":
        same.append("AT_HWCAP")
    if arch in QEMU_NO_PLATFORM:
        same.remove("AT_PLATFORM")
    assert {k: ours.get(k) for k in same} == {k: theirs.get(k) for k in same}


def test_auxv_entry_is_the_elf_entry_for_non_pie(arch):
    prog, got = auxv_run(arch, "static")
    assert int(got["AT_ENTRY"], 16) == e_entry(prog)


def test_at_random_differs_between_runs(arch):
    _, one = auxv_run(arch, "static")
    _, two = auxv_run(arch, "static")
    assert one["AT_RANDOM"] != two["AT_RANDOM"]


def test_at_execfn_is_the_path_given(arch, tmp_path):
    prog = build(arch, "auxv.c", "static")
    link = tmp_path / "some name"
    os.symlink(prog, link)
    res = run_pyqemu(arch, "./some name", options=["-0", "zero"], cwd=str(tmp_path))
    got = parse(res)
    assert got["AT_EXECFN"] == "./some name"
    assert got["argv[0]"] == "zero"


@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_argv_envp_and_stack_alignment(arch, mode):
    args = ["one", "", "two words", "@PQ_VAR", "x" * 3000]
    env = dict(os.environ, PQ_VAR="the value")
    prog, got = auxv_run(arch, mode, *args, env=env)
    assert got["argc"] == str(len(args) + 1)
    assert [got[f"argv[{i + 1}]"] for i in range(len(args))] == args
    assert got["argv[0]"] == prog
    assert got["argv_end_null"] == "1" and got["envp_follows_argv"] == "1" and got["envp_is_environ"] == "1"
    assert got["PQ_VAR"] == "the value"
    assert sp_right(arch, got["sp_mod16"], prog, *args) and got["local_mod16"] == "0"


@pytest.mark.parametrize("count", [0, 1, 2, 3])
def test_stack_alignment_whatever_the_string_sizes(arch, count):
    """argc parity and string lengths move the vector: sp must stay aligned."""
    args = ["y" * (count * 7 + 1)] * count
    prog, got = auxv_run(arch, "static", *args, env={"A": "b" * count})
    assert sp_right(arch, got["sp_mod16"], prog, *args) and got["local_mod16"] == "0"


# PIE asked for: m68k's gcc does not make it by default
@pytest.mark.parametrize("mode,flags", [("dynamic", ("-fPIE", "-pie")), ("dynamic", ("-no-pie",)), ("static", ())],
                         ids=["pie", "no-pie", "static"])
def test_pie_and_non_pie(arch, mode, flags):
    prog = build(arch, "auxv.c", mode, flags=flags)
    e_type = elf_header(prog)["type"]
    assert e_type == (3 if "-pie" in flags else 2)
    res = run_pyqemu(arch, prog, "arg", options=sysroot_options(arch, mode))
    assert res.returncode == 0, res.stderr
    got = parse(res)
    assert got["argv[1]"] == "arg" and got["malloc_ok"] == "1"
    if e_type == 2:
        assert int(got["AT_ENTRY"], 16) == e_entry(prog)
    else:
        assert int(got["AT_ENTRY"], 16) != e_entry(prog)  # moved to the load base
    hello = build(arch, "hello.c", mode, flags=flags)
    assert assert_same_as_qemu(arch, hello, "z", options=sysroot_options(arch, mode)).returncode == 42


@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_brk_after_the_highest_segment(arch, mode):
    _, got = auxv_run(arch, mode)
    assert got["brk_after_end"] == "1" and got["brk_near_end"] == "1"
    assert got["sbrk_grows"] == "1" and got["sbrk_shrinks"] == "1"


def test_large_bss(arch):
    prog = build(arch, "bigbss.c", "static")
    res = assert_same_as_qemu(arch, prog)
    assert res.returncode == 0
    assert res.stdout == b"bss=67108864 nonzero=0 last=0x5a data=123\n"


def test_static_pie_glibc_aarch64():
    prog = build("aarch64", "auxv.c", "static-pie")
    res = run_pyqemu("aarch64", prog)
    assert res.returncode == 0, res.stderr
    got = parse(res)
    assert got["AT_BASE_nonzero"] == "0" and got["sp_mod16"] == "0"
    assert int(got["AT_ENTRY"], 16) != e_entry(prog)


def test_freestanding_static_pie(arch):
    """-nostdlib ET_DYN with no PT_INTERP: placed by the loader, started at its entry."""
    prog = build(arch, "freestanding.c", "static-pie", flags=FREESTANDING_FLAGS)
    with open(prog, "rb") as f:
        data = f.read()
    head = elf_header(prog)
    assert head["type"] == 3  # ET_DYN
    types = [struct.unpack_from(head["endian"] + "I", data, head["phoff"] + head["phentsize"] * i)[0]
             for i in range(head["phnum"])]
    assert 3 not in types  # no PT_INTERP
    res = assert_same_as_qemu(arch, prog)
    assert res.returncode == 7 and res.stdout == b"freestanding ok\n"


# ---- ld.so and libc.so.6 as programs ---------------------------------------------


def interpreter(arch):
    return glibc_files(arch)[0][0]


def library_names(text):
    names = []
    for line in text.splitlines():
        name = line.strip().split(" ")[0]
        if name.startswith("(") or not name:
            continue  # the vDSO has no name
        names.append(name)
    return names


@pytest.mark.parametrize("with_L", [True, False], ids=["-L", "no-L"])
def test_interpreter_list(arch, with_L):
    prog = build(arch, "hello.c", "dynamic")
    ld = interpreter(arch)
    sysroot = ARCHES[arch]["sysroot"]
    ours = run_pyqemu(arch, ld, "--list", prog, options=["-L", sysroot] if with_L else [])
    assert ours.returncode == 0, ours.stderr
    theirs = run_qemu(arch, ld, "--list", prog, options=["-L", sysroot])
    assert theirs.returncode == 0
    names = library_names(ours.stdout.decode())
    assert names == library_names(theirs.stdout.decode())
    assert "libc.so.6" in names


def test_interpreter_runs_a_program(arch):
    prog = build(arch, "hello.c", "dynamic")
    res = run_pyqemu(arch, interpreter(arch), prog, "via ld.so")
    assert res.returncode == 42, res.stderr
    assert b"argv[1] = via ld.so" in res.stdout


def test_interpreter_auxv(arch):
    """ld.so run directly is the main program: AT_BASE 0, AT_ENTRY its own."""
    ld = interpreter(arch)
    prog = build(arch, "auxv.c", "dynamic")
    res = run_pyqemu(arch, ld, prog)
    assert res.returncode == 0, res.stderr
    got = parse(res)
    assert got["AT_BASE_nonzero"] == "0"
    assert sp_right(arch, got["sp_mod16"], prog)


def test_libc_prints_its_banner(arch):
    libc = glibc_files(arch)[1][0]
    res = run_pyqemu(arch, libc)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(b"GNU C Library")
    theirs = run_reference(arch, libc, options=["-L", ARCHES[arch]["sysroot"]])
    assert res.stdout == theirs.stdout


def test_plain_pyqemu_runs_the_interpreter(arch):
    from conftest import pyqemu_command
    res = run(pyqemu_command() + [interpreter(arch), "--list", build(arch, "hello.c", "dynamic")])
    assert res.returncode == 0, res.stderr
    assert "libc.so.6" in library_names(res.stdout.decode())
