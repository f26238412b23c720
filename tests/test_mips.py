"""MIPS guests (o32 mipsel and mips, n64 mips64el): what the kernel ABI gives them
that other architectures do not, checked against the kernel's behaviour (qemu-user
7.2 gets several of these wrong: the lines it differs on are listed), and the
big-endian guest's view of every structure pyqemu writes."""
import os
import struct

import pytest

from conftest import ARCHES, assert_same_as_qemu, build, run_pyqemu, run_qemu
from usermode import cpu

MIPS = sorted(a for a in ARCHES if cpu.get(a).ELF_MACHINE == 8)

# what the kernel gives an o32 and an n64 task (tests/guest/mips_abi.c prints these)
COMMON = [
    "argc=2 argv1=héllo env=val", "pagesz=4096 phent_ok=1 entry_ok=1", "stat_agrees=1 regular=1",
    "pread_at_1=1 elf_E=1", "statfs=0 namelen=255",
    "sigqueue: signo_ok=1 code_si_queue=1 value=0x11223344 pid_ok=1",
    "rt signal 74 caught=1",  # SIGRTMIN+40: MIPS has 128 signals, the host has no twin for it
    "divide by zero: sigfpe=1 intdiv=1 addr_is_pc=1",  # gcc's teq ...,7: SIGFPE, not SIGTRAP
    "break 7: sigfpe=1 intdiv=1", "break: sigtrap=1 brkpt=1",
    # a load in a delay slot faults: reported at the branch (BD), which runs again on return
    "delay slot: segv=1 at_branch=1 addr_ok=1 loaded=0x5eed",
    "pipe: ok=1 read_back=1", "sysmips atomic_set: old=5 now=9",
    "sysmips flush_cache=0 bad=-1 errno_einval=1", "cacheflush: ret=0 first=42 second=43",
    "cacheflush beyond user space=-1 efault=1", "ll/sc: lower_half=1 upper_half=1",
    "indirect getpid ok=1", "constant=7",
]
PER_ABI = {
    "o32": ["base_platform=mips32r2", "fp mode=0 fr=0 double=4.5",  # FPXX code runs with FR=0
            "plain handler: arg2_zero=1 context_on_stack=1"],         # the old sigframe: a1 = 0, a2 = &sc
    "n64": ["base_platform=mips64r2", "fp mode=1 fr=1 double=4.5",
            "plain handler: arg2_zero=0 context_on_stack=1"],         # n64 has only the rt frame
}
# qemu-user 7.2 differs from the kernel on these (checked above against the kernel's code):
# no signals past 64, SIGTRAP for gcc's divide-by-zero trap, no sysmips, cacheflush
# without EFAULT, FR=1 for o32 programs
QEMU_WRONG = ("rt signal", "divide by zero", "break 7", "sysmips", "cacheflush beyond", "fp mode")


def _abi(arch):
    return "o32" if cpu.get(arch).ABI.bits == 32 else "n64"


@pytest.fixture(params=MIPS)
def mips(request):
    return request.param


@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_the_kernel_abi_as_a_mips_program_sees_it(mips, mode):
    prog = build(mips, "mips_abi.c", mode)
    options = ["-L", ARCHES[mips]["sysroot"]] if mode == "dynamic" else []
    env = dict(os.environ, MIPS_ABI_VAR="val")
    res = run_pyqemu(mips, prog, "héllo", options=options, env=env)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.decode().splitlines()
    expected = COMMON + PER_ABI[_abi(mips)] + [f"big_endian={int(cpu.get(mips).ABI.endian == 'big')}"]
    missing = [line for line in expected if line not in lines]
    assert not missing, f"missing {missing}\nin {lines}\n{res.stderr.decode()}"
    theirs = run_qemu(mips, prog, "héllo", options=options, env=env)
    keep = lambda out: [ln for ln in out.decode().splitlines() if not ln.startswith(QEMU_WRONG)]
    assert keep(res.stdout) == keep(theirs.stdout)


# ---- the big-endian guest --------------------------------------------------------------
# pyqemu writes guest memory in many places: the initial stack (argv, envp and auxv
# words, strings), struct stat & co, siginfo, the signal frame. The program above
# reads every one of them back through glibc on a big-endian guest; these check the
# same places below glibc, where a host-order word would show as byte-swapped.

def test_big_endian_packing_is_the_guests():
    from usermode.signals.delivery import SigInfo
    from usermode.signals.frames import pack_sigset
    from usermode.structs import Layouts
    be, le = cpu.get("mips").ABI, cpu.get("mipsel").ABI
    assert be.pack("W", 0x01020304) == b"\x01\x02\x03\x04" and le.pack("W", 0x01020304) == b"\x04\x03\x02\x01"
    assert be.pack_words([1, 2]) == b"\0\0\0\x01\0\0\0\x02"
    stat = Layouts(be).stat64.pack(st_size=0x0102030405060708, st_mode=0o100644)
    assert stat[56:64] == bytes(range(1, 9)) and stat[24:28] == struct.pack(">I", 0o100644)
    info = SigInfo(16, code=-1, pid=0x1234, uid=5).pack(be)  # MIPS: signo, code, errno
    assert info[:12] == struct.pack(">iii", 16, -1, 0) and info[12:16] == struct.pack(">i", 0x1234)
    assert pack_sigset(be, 1 << 72 | 1) == struct.pack(">4I", 1, 0, 1 << 8, 0)


def test_big_endian_initial_stack(tmp_path):
    """argv, envp and auxv as a big-endian guest reads them word by word (no glibc)."""
    from usermode.loader.stack import InitialStack
    abi = cpu.get("mips").ABI
    top = 0x7FF00000
    sp, blob, auxv = InitialStack(abi, top).build([b"prog", b"arg"], [b"A=b"], [(6, 4096), (25, "random")],
                                                  execfn=b"prog", platform=None, random16=bytes(16))
    words = struct.unpack(">6I", blob[:24])
    assert words[0] == 2  # argc
    for i, expected in ((1, b"prog"), (2, b"arg"), (4, b"A=b")):
        at = words[i] - sp
        assert blob[at:at + len(expected) + 1] == expected + b"\0"
    assert words[3] == 0 and words[5] == 0
    assert struct.unpack(">2I", blob[24:32]) == (6, 4096)  # AT_PAGESZ
    assert dict(auxv)[25] == struct.unpack(">I", blob[36:40])[0]  # AT_RANDOM points where it says


def test_signal_frame_of_a_big_endian_guest_round_trips():
    """The sigcontext MIPS' sigreturn reads back is what setup wrote, in the guest's order."""
    from usermode.cpu import _mips
    abi = cpu.get("mips").ABI
    sc = _mips.SigContext(abi, o32=True)

    class FakeUc:
        def __init__(self):
            self.regs = {r: 0x1000 + i for i, r in enumerate(_mips.R)}
            self.regs.update({_mips.HI: 0x7, _mips.LO: 0x8, _mips.FCSR: 0, _mips.STATUS: 0})
            self.regs.update({f: 0x40000000 + i for i, f in enumerate(_mips.F)})

        def reg_read(self, r):
            return self.regs[r]

        def reg_write(self, r, v):
            self.regs[r] = v
    uc = FakeUc()
    data = sc.save(uc, 0x400123)
    assert data[8:16] == struct.pack(">Q", 0x400123)  # sc_pc
    assert data[16 + 8 * 29:16 + 8 * 30] == struct.pack(">Q", 0x1000 + 29)  # sc_regs[29]
    assert data[272:280] == struct.pack(">Q", 0x40000001 << 32 | 0x40000000)  # FR=0: f0 with f1 above
    other = FakeUc()
    other.regs = {r: 0 for r in uc.regs}
    pcs = []
    sc.restore(other, data, pcs.append)
    assert pcs == [0x400123] and other.regs[_mips.R[29]] == 0x1000 + 29 and other.regs[_mips.F[1]] == 0x40000001


# ---- the parts of Unicorn pyqemu mends for MIPS (raw.py) --------------------------------

def test_a_long_straight_block_runs(mips, tmp_path):
    """Unicorn 2.1.4 crashes translating ~370 instructions without a branch (unicorn #2240);
    a page of zeros is 1024 nops: the guest runs off its end into a SIGSEGV, as on the kernel."""
    src = tmp_path / "zeros.c"
    src.write_text("#include <sys/mman.h>\nint main(void) { char *p = mmap(0, 2 * 4096, PROT_READ | PROT_EXEC, "
                   "MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); munmap(p + 4096, 4096); ((void (*)(void))p)(); return 0; }\n")
    prog = _compile(mips, src, tmp_path)
    res = run_pyqemu(mips, prog)
    assert res.returncode == -11 and b"fetch from unmapped memory" in res.stderr, res.stderr


def test_without_the_translator_mend_a_warning_says_why(mips, tmp_path):
    env = dict(os.environ, PYQEMU_NO_UNSAFE="mips-translator")
    res = run_pyqemu(mips, build(mips, "hello.c", "static"), env=env)
    assert res.returncode == 42
    assert b"could not be mended" in res.stderr and b"unicorn issue #2240" in res.stderr


@pytest.mark.parametrize("o32", [a for a in MIPS if cpu.get(a).ABI.bits == 32])
def test_o32_old_calls(o32):
    """sgetmask/ssetmask, umount and stime, which o32 has and qemu-user implements."""
    # qemu-mips 7.2 hands sgetmask's and ssetmask's mask back byte-swapped on the
    # big-endian guest (0x400100 for SIGUSR2's 0x10000)
    wrong = ("sgetmask", "ssetmask") if cpu.get(o32).ABI.endian == "big" else ()
    res = assert_same_as_qemu(o32, build(o32, "mips_oldcalls.c", "static"), qemu_wrong=wrong)
    assert res.stdout.decode().splitlines() == [
        "sgetmask: SIGUSR1 1, SIGUSR2 0",
        "ssetmask: old SIGUSR1 1; now SIGUSR1 0 SIGUSR2 1 SIGKILL 0 SIGSTOP 0, 40 kept 0",
        "sgetmask again: 0x10000",
        "umount of a missing path: -1 No such file or directory",
        "stime of a bad pointer: -1 Bad address"]


def test_handler_after_a_call_through_a_bad_pointer(mips):
    """A fetch fault leaves Unicorn's translator mid-block: its delay_slot_flag kept a dead
    temporary and the handler's first block crashed the emulator (temp_load). Cleared
    before each emu_start (raw.mips_delay_slot_flag), the handler runs as on qemu-user."""
    prog = build(mips, "jump_bad.c", "static")
    for target in ("0x10", "0x7f000000"):
        res = run_pyqemu(mips, prog, target, "with-handler")
        assert (res.returncode, res.stdout) == (0, f"SIGSEGV code 1 addr {target}\n".encode()), res.stderr
        assert run_qemu(mips, prog, target, "with-handler").stdout == res.stdout


def test_without_the_slot_flag_reset_a_warning_says_why(mips):
    env = dict(os.environ, PYQEMU_NO_UNSAFE="mips-slot-flag")
    res = run_pyqemu(mips, build(mips, "hello.c", "static"), env=env)
    assert res.returncode == 42
    assert b"warning: the translator state a fetch fault leaves cannot be reset" in res.stderr


def _compile(arch, src, tmp_path):
    import subprocess
    out = tmp_path / "prog"
    tools = ARCHES[arch]
    subprocess.run([tools["cc"], *tools["cc_flags"], "-O2", "-static", "-o", str(out), str(src)], check=True)
    return str(out)
