"""The CPU a process sees: user mode (privileged instructions fault as at EL0 / in
U-mode / in User mode), aarch64's ID registers as the kernel's sanitised view, its
pointer authentication with the PR_PAC_* prctls, top-byte-ignore, SVE/SME/MTE/BTI
refused as a kernel without them does, and -cpu MODEL,FEATURE=on|off."""
import pytest

from conftest import ARCHES, build, have_qemu, run_pyqemu, run_qemu, run_reference, runs_natively
from usermode import cpu

# qemu-user answers otherwise, and the kernel as we do: qemu-arm lets User mode read MIDR.
QEMU_DIFFERS = {("arm", "mrc midr")}
# What Unicorn cannot make fault as the kernel does; not run under pyqemu (README "Not yet"):
# x86's in/out are not checked against the I/O privilege level at CPL 3 (they run);
# Unicorn's MIPS runs in kernel mode (coprocessor 0 usable): user mode would also need
# CP0 HWREna, which it offers no way to set, for glibc's rdhwr of the thread pointer.
_X86_IO = {"inb", "outb"}
_MIPS_CP0 = {"mfc0 status", "mtc0 status", "di", "eret", "wait", "tlbwi", "cache"}
# Unicorn's 68030 lets user mode read SR, as a 68000 may (the 68010 made it privileged).
UNICORN_CANNOT = {"x86_64": _X86_IO, "i386": _X86_IO, "mipsel": _MIPS_CP0, "mips": _MIPS_CP0,
                  "mips64el": _MIPS_CP0, "m68k": {"move from sr"}}
# qemu-m68k 7.2's translator aborts at the first `move to sr` (insn_opsize: "code should
# not be reached"): nothing of its run to compare.
QEMU_ABORTS = {"m68k"}


@pytest.mark.parametrize("arch", [a for a in sorted(ARCHES) if "ARCH_PRIVILEGED(T)" in cpu.get(a).TEST_C])
def test_privileged_instructions_fault_as_in_user_mode(arch):
    prog = build(arch, "privileged.c", "static")
    cannot = sorted(UNICORN_CANNOT.get(arch, ()))
    res = run_pyqemu(arch, prog, *cannot)
    lines = res.stdout.decode().splitlines()
    ran = [line for line in lines if not line.endswith(": not run")]
    assert res.returncode == 0 and ran and all(line.endswith(": ok") for line in ran), res.stdout.decode()
    assert len(lines) - len(ran) == len(cannot)
    if runs_natively(arch) or have_qemu(arch) and arch not in QEMU_ABORTS:
        theirs = run_reference(arch, prog).stdout.decode().splitlines()
        keep = lambda out: [line for line in out if (arch, line.split(":")[0]) not in QEMU_DIFFERS]
        assert all(line.endswith(": ok") for line in keep(theirs)), theirs  # the facts hold there
        assert [line for line in keep(theirs) if line.split(":")[0] not in cannot] == keep(ran)


def test_every_architecture_says_what_user_mode_may_run():
    """A new architecture brings its ARCH_PRIVILEGED fact (usermode/cpu/<arch>.py TEST_C)."""
    missing = {a for a in cpu.ARCH_NAMES if "ARCH_PRIVILEGED(T)" not in cpu.get(a).TEST_C}
    assert not missing, f"TEST_C lacks ARCH_PRIVILEGED(T) in: {sorted(missing)}"


def _id_registers(res):
    return dict(line.rsplit(" ", 1) for line in res.stdout.decode().splitlines())


@pytest.mark.parametrize("model", ["cortex-a53", "cortex-a57", "cortex-a72"])
def test_id_registers_are_the_kernels_view_as_qemu_user_gives_it(model):
    """For the models both define alike, qemu-aarch64 (which exports what the kernel's
    cpu-feature-registers document lists) reads the same values and hwcaps."""
    prog = build("aarch64", "id_registers.c", "static")
    ours = run_pyqemu("aarch64", prog, options=["-cpu", model])
    assert ours.returncode == 0, ours.stderr
    regs = _id_registers(ours)
    assert regs["MPIDR_EL1"] == "80000000" and regs["ID_AA64DFR0_EL1"] == "6"
    if have_qemu("aarch64"):
        theirs = run_qemu("aarch64", prog, options=["-cpu", model])
        assert theirs.stdout == ours.stdout


def test_id_registers_of_max_show_only_the_visible_fields():
    prog = build("aarch64", "id_registers.c", "static")
    res = run_pyqemu("aarch64", prog)
    assert res.returncode == 0, res.stderr
    regs = {name: int(value, 16) for name, value in _id_registers(res).items()}
    hwcap = regs["AT_HWCAP"]
    assert hwcap & (1 << 11)  # HWCAP_CPUID: the kernel emulates these reads
    pfr0 = regs["ID_AA64PFR0_EL1"]
    assert pfr0 & 0xFF == 0x11 and not pfr0 & 0xF00000000  # EL0/EL1 AArch64 only; SVE hidden (not offered)
    assert pfr0 & ~0x000F000000FF00FF == 0
    assert regs["ID_AA64PFR1_EL1"] & ~0xF0 == 0  # only SSBS: BT, MTE, SME not offered
    assert regs["ID_AA64ZFR0_EL1"] == 0 and regs["ID_AA64MMFR0_EL1"] & 0xFFFFFFFF == 0xFF000000
    isar0 = regs["ID_AA64ISAR0_EL1"]
    # the hwcaps agree with the fields: atomics, AES/PMULL, CRC32, PAC (APA and GPA)
    assert bool(hwcap & (1 << 8)) == ((isar0 >> 20) & 0xF >= 2)
    assert bool(hwcap & (1 << 4)) == ((isar0 >> 4) & 0xF >= 2)
    assert bool(hwcap & (1 << 7)) == ((isar0 >> 16) & 0xF >= 1)
    isar1 = regs["ID_AA64ISAR1_EL1"]
    assert bool(hwcap & (1 << 30)) == bool(isar1 & 0xFF0) and bool(hwcap & (1 << 31)) == bool(isar1 & 0xFF000000)
    assert regs["reserved (3, 0, c0, c7, 7)"] == 0


PAC_LINES = [
    "HWCAP_PACA: 1", "HWCAP_PACG: 1", "HWCAP_SVE: 0", "HWCAP2_MTE: 0", "HWCAP2_BTI: 0", "HWCAP2_SME: 0",
    "pacia signs: 1", "autia gives it back: 1", "xpaci strips it: 1", "another modifier fails: 1",
    "the signature is bits 54:48 only: 1",
    "enabled keys: 15", "a thread shares the keys: 1", "a forked child keeps them: 1",
    "PR_PAC_RESET_KEYS: 0", "a new key signs otherwise: 1", "PR_PAC_SET_ENABLED_KEYS off: 0",
    "a disabled key leaves pointers alone: 1", "enabled keys: 14", "PR_PAC_SET_ENABLED_KEYS bad: Invalid argument",
    "PR_PAC_RESET_KEYS bad: Invalid argument",
]
REFUSED_LINES = [
    "a load through a tagged pointer: 42", "an SVE instruction without SVE: signal 4",
    "PR_SVE_GET_VL: Invalid argument", "PR_SME_GET_VL: Invalid argument", "mmap with PROT_MTE: Invalid argument",
    "mmap with PROT_BTI: Invalid argument",
]
NO_PAC_LINES = ["HWCAP_PACA: 0", "HWCAP_PACG: 0", "HWCAP_SVE: 0", "HWCAP2_MTE: 0", "HWCAP2_BTI: 0", "HWCAP2_SME: 0",
                "PR_PAC_RESET_KEYS: Invalid argument"]


@pytest.mark.parametrize("cpu_option, expected", [
    ("max", PAC_LINES + REFUSED_LINES),
    ("max,pauth=off", NO_PAC_LINES + REFUSED_LINES),
    ("max,-pauth,sve=off", NO_PAC_LINES + REFUSED_LINES),
    ("cortex-a72", NO_PAC_LINES + REFUSED_LINES),  # a model without PAC
])
def test_aarch64_pointer_authentication_and_what_is_refused(cpu_option, expected):
    prog = build("aarch64", "aarch64_features.c", "static", ["-pthread"])
    res = run_pyqemu("aarch64", prog, options=["-cpu", cpu_option])
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().splitlines() == expected, res.stderr.decode()
    assert b"unsupported" not in res.stderr  # refusals are the kernel's answers, not gaps


def test_cpu_help_lists_models_and_features():
    from conftest import pyqemu_command, run
    out = run(pyqemu_command("aarch64") + ["-cpu", "help"]).stdout.decode()
    assert "max  (default)" in out and "cortex-a53" in out and "pauth" in out and "sve" in out
    out = run(pyqemu_command("riscv64") + ["-cpu", "help"]).stdout.decode()
    assert "rv64  (default)" in out and "\n  c " in out


@pytest.mark.parametrize("arch, option, words", [
    ("aarch64", "max,sve=on", ["sve=on", "cannot offer SVE"]),
    ("aarch64", "max,mte=on", ["no CPU feature 'mte'"]),
    ("aarch64", "max,pauth=maybe", ["FEATURE=on or FEATURE=off"]),
    ("riscv64", "rv64,zk=on", ["no CPU feature 'zk'"]),
    ("riscv64", "sifive-e51,f=on", ["f=on", "no such extension"]),
    ("arm", "max,vfp=off", ["no CPU feature 'vfp'"]),
])
def test_a_cpu_feature_that_cannot_be_had_is_one_line(arch, option, words):
    if arch not in ARCHES:
        pytest.skip(f"{arch} is not under test (PYQEMU_TEST_ARCHES)")
    prog = build(arch, "hello.c", "static")
    res = run_pyqemu(arch, prog, options=["-cpu", option])
    lines = res.stderr.decode().splitlines()
    assert res.returncode == 1 and len(lines) == 1 and res.stdout == b"", res.stderr
    for word in words:
        assert word in lines[0]


def test_riscv_c_off_makes_compressed_code_illegal():
    """rv64,c=false: a program built without compressed instructions runs; one with them
    stops at its first jump to a 2-aligned address: SIGBUS (BUS_ADRALN), as the kernel
    sends for a misaligned instruction fetch (qemu-riscv64 7.2 aborts)."""
    from test_loader import FREESTANDING_FLAGS
    plain = build("riscv64", "freestanding.c", "static-pie", flags=FREESTANDING_FLAGS + ["-march=rv64g"])
    res = run_pyqemu("riscv64", plain, options=["-cpu", "rv64,c=false"])
    assert res.returncode == 7 and res.stdout == b"freestanding ok\n", res.stderr
    compressed = build("riscv64", "hello.c", "static")
    res = run_pyqemu("riscv64", compressed, options=["-cpu", "rv64,c=false"])
    assert res.returncode == -7 and "guest SIGBUS: jump to a misaligned address" in res.stderr.decode()
    assert run_pyqemu("riscv64", compressed, options=["-cpu", "rv64,c=on"]).stdout.startswith(b"hello from")


def test_riscv_c_off_is_refused_where_the_cpu_state_is_not_known(monkeypatch):
    """The fallback when the CPU state cannot be found or checked (regfile.state_word):
    one line, no guess."""
    import os
    compressed = build("riscv64", "hello.c", "static")
    res = run_pyqemu("riscv64", compressed, options=["-cpu", "rv64,c=off"],
                     env=dict(os.environ, PYQEMU_NO_UNSAFE="regfile"))
    assert res.returncode == 1 and b"cannot be changed" in res.stderr and b"Traceback" not in res.stderr
