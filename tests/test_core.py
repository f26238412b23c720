"""The patched Unicorn core (tools/core): which library runs is chosen as
asked and reported by -version, the private-layout code checks itself against
it, guest programs behave as on the stock wheel, and what it is for: guest
atomics that stay atomic when several Unicorn instances run at once.

Tests needing the core use the one built from the current patch set (`./dev
core`, or the riscv64/aarch64 one .ci/run builds) and are skipped, saying so,
when there is none.
"""
import hashlib
import importlib.util
import json
import os
import subprocess
import sys

import pytest

from conftest import BUILD, GUEST, HERE, build, pyqemu_command, run
from usermode import cpu
from test_memory import MEMORY_CHECKS
from test_signals import signal_checks
from test_threads import expected as threads_expected

ROOT = os.path.dirname(HERE)
_spec = importlib.util.spec_from_file_location("core_build", os.path.join(ROOT, "tools", "core", "build.py"))
core_build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(core_build)

CORE = core_build.find_built()
needs_core = pytest.mark.skipif(CORE is None, reason="no patched core built from tools/core/patches: "
                                "`./dev core` builds it (.ci/run builds its riscv64/aarch64 part)")


# Unicorn's target (tools/core/build.py ARCHES) that runs each architecture
_TARGETS = {"UC_ARCH_ARM": "arm", "UC_ARCH_ARM64": "aarch64", "UC_ARCH_MIPS": "mips", "UC_ARCH_X86": "x86",
            "UC_ARCH_PPC": "ppc", "UC_ARCH_M68K": "m68k", "UC_ARCH_RISCV": "riscv", "UC_ARCH_S390X": "s390x"}


def _target(arch):
    from usermode.uclib import constants
    names = constants("unicorn_const")
    return next(t for name, t in _TARGETS.items() if getattr(names, name) == cpu.get(arch).UC_ARCH)


def core_runs(arch):
    with open(os.path.join(CORE, "core.json")) as f:
        return _target(arch) in json.load(f)["arches"]


def skip_unless_core_runs(arch):
    """The CI build has only the riscv and aarch64 targets."""
    if not core_runs(arch):
        pytest.skip(f"this core was built without the {_target(arch)} target (the CI build): `./dev core` builds it")


def env_with(**changes):
    env = dict(os.environ)
    env.pop("LIBUNICORN_PATH", None)
    env.update(changes)
    return env


def version(core):
    res = run(pyqemu_command("riscv64") + ["-version"], env=env_with(PYQEMU_CORE=core))
    assert res.returncode == 0, res.stderr
    return res.stdout.decode().strip()


# ---- which library ----------------------------------------------------------------

def test_version_says_stock_when_forced():
    assert version("stock").endswith("(Unicorn 2.1.4, stock PyPI wheel)")


@needs_core
def test_version_names_the_patched_core_and_its_patch_set():
    with open(os.path.join(CORE, "core.json")) as f:
        info = json.load(f)
    assert info["key"] == core_build.build_key(tuple(info["arches"]))  # built from today's patches
    count = len(core_build.patch_files())
    assert count >= 3 and len(info["patches"]) == count
    assert version(CORE).endswith(f"(Unicorn 2.1.4, patched core ({count} patches, {info['key']}))")


def test_a_missing_core_is_one_line_and_a_failure():
    res = run(pyqemu_command("riscv64") + ["-version"], env=env_with(PYQEMU_CORE="/nonexistent/core"))
    assert res.returncode != 0 and res.stdout == b""
    lines = res.stderr.decode().splitlines()
    assert len(lines) == 1 and "PYQEMU_CORE=/nonexistent/core" in lines[0] and "./dev core" in lines[0]


def test_the_venv_core_is_used_when_present_and_ignored_when_forced_off(tmp_path):
    """uclib's choice, given a virtualenv with a pyqemu-core link and without."""
    from usermode import uclib
    stock = os.path.join(uclib.PACKAGE_DIR, "lib", "libunicorn.so.2")
    assert uclib._choose_library({}, str(tmp_path)) == (stock, None, "stock PyPI wheel")
    core = tmp_path / "built"
    core.mkdir()
    (core / "libunicorn.so.2").write_bytes(b"")
    (tmp_path / "pyqemu-core").symlink_to(core)
    linked = str(tmp_path / "pyqemu-core")
    assert uclib._choose_library({}, str(tmp_path)) == (os.path.join(linked, "libunicorn.so.2"), linked,
                                                        "patched core")
    assert uclib._choose_library({"PYQEMU_CORE": "stock"}, str(tmp_path))[0] == stock
    assert uclib._choose_library({"PYQEMU_CORE": str(core)}, "/nonexistent")[1] == str(core)
    other = str(core / "libunicorn.so.2")
    assert uclib._choose_library({"LIBUNICORN_PATH": other, "PYQEMU_CORE": "stock"}, str(tmp_path))[0] == other


def test_build_key_follows_the_patches(tmp_path, monkeypatch):
    """Editing a patch means another build: the cache key is the patch set's."""
    patches = tmp_path / "patches"
    patches.mkdir()
    (patches / "0001-a.patch").write_text("one\n")
    monkeypatch.setattr(core_build, "PATCHES", str(patches))
    first = core_build.build_key()
    (patches / "0001-a.patch").write_text("two\n")
    assert core_build.build_key() != first
    assert core_build.build_key(core_build.CI_ARCHES) != core_build.build_key()


# ---- raw.py and regfile.py against each library -------------------------------------

LAYOUT_PROBE = """
import sys
from usermode import cpu, raw, regfile
from usermode.uc import Uc
for name in sys.argv[1:]:
    arch = cpu.get(name)
    uc = Uc(arch.UC_ARCH, arch.UC_MODE)
    uc.ctl_set_cpu_model(arch.CPU_MODELS[arch.DEFAULT_CPU])
    arch.prepare(uc)
    uc.mem_map(0x10000, 0x1000)  # Unicorn sets an instance up on first use
    assert raw.set_memory_exit_checks(uc, False), (name, "no_exit_request not found")
    assert raw.fault_address_readable(uc), (name, "invalid_addr not found")
    bits = arch.ABI.bits if arch.ABI.bits < 8 * arch.GPR_SLOT_BYTES else None  # i386: 32-bit values in 64-bit slots
    assert regfile.locate(uc._uch.value, arch.GPR_IDS, arch.GPR_SLOT_BYTES, bits) is not None, \
        (name, "register array not found")
print("layout ok")
"""


@pytest.mark.parametrize("which", ["stock", "patched"])
def test_private_layout_is_found_and_checked(which):
    """raw.py's uc->no_exit_request and regfile.py's register array: found, and
    verified, in the library that runs (a fallback here would be silently slow)."""
    if which == "patched" and CORE is None:
        pytest.skip("no patched core built from tools/core/patches: `./dev core` builds it")
    names = [name for name in cpu.ARCH_NAMES if which == "stock" or core_runs(name)]
    res = run([sys.executable, "-c", LAYOUT_PROBE, *names],
              env=env_with(PYQEMU_CORE=CORE if which == "patched" else "stock"), cwd=ROOT)
    assert res.stdout.decode().strip() == "layout ok", res.stderr.decode()[-2000:]


# ---- guest atomics between instances running at once --------------------------------

# (arch, compiler flags): riscv64 A extension (amoadd, amoswap, amomax, lr/sc);
# aarch64 LSE (ldadd, cas, swp, stsmax); aarch64 v8.0 (ldxr/stxr loops only)
ATOMIC_FLAVOURS = {
    "riscv64": ("riscv64", ["-march=rv64gc", "-mabi=lp64d"]),
    "aarch64-lse": ("aarch64", ["-march=armv8.1-a", "-mno-outline-atomics"]),
    "aarch64-llsc": ("aarch64", ["-march=armv8-a", "-mno-outline-atomics"]),
}


def atomics_code(arch, flags):
    """tests/guest/atomics.c's hammer() as raw machine code (cached like build())."""
    cc = cpu.cross_tools(arch)["cc"]  # these flavours run whatever PYQEMU_TEST_ARCHES selects
    src = os.path.join(GUEST, "atomics.c")
    with open(src, "rb") as f:
        key = hashlib.sha256(f.read() + repr((arch, flags)).encode()).hexdigest()[:16]
    out = os.path.join(BUILD, f"atomics-{arch}-{key}.bin")
    if not os.path.exists(out):
        os.makedirs(BUILD, exist_ok=True)
        obj = f"{out}.{os.getpid()}.o"
        subprocess.run([cc, "-O2", "-ffreestanding", "-nostdlib", "-fno-pic", "-fno-stack-protector",
                        "-fno-asynchronous-unwind-tables", "-c", "-o", obj, src] + flags, check=True)
        subprocess.run([cc.replace("-gcc", "-objcopy"), "-O", "binary", "-j", ".text", obj, f"{out}.tmp"], check=True)
        os.unlink(obj)
        os.rename(f"{out}.tmp", out)
    return out


def hammer(flavour, threads, iterations, *extra):
    arch, flags = ATOMIC_FLAVOURS[flavour]
    res = run([sys.executable, os.path.join(HERE, "core_atomics.py"), arch, atomics_code(arch, flags),
               str(threads), str(iterations), *extra], env=env_with(PYQEMU_CORE=CORE), cwd=ROOT, timeout=300)
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    return json.loads(res.stdout)


def assert_exact(counts):
    n = counts["expected"]
    assert counts["errors"] == []
    assert (counts["add"], counts["cas"], counts["locked"], counts["ticket"]) == (n, n, n, n), counts
    assert (counts["max"], counts["lock"]) == (n - 1, 0), counts


@needs_core
@pytest.mark.parametrize("flavour", sorted(ATOMIC_FLAVOURS))
def test_guest_atomics_are_atomic_across_instances(flavour):
    """4 Unicorn instances on one shared buffer (mem_map_ptr), running at once:
    fetch-add, compare-and-swap, an exchange spin lock guarding a plain
    increment, and an atomic max each end exact. On the stock wheel the adds
    come out short and the spin lock loses its release and hangs."""
    assert_exact(hammer(flavour, 4, 200000))


@needs_core
@pytest.mark.parametrize("flavour", ["riscv64", "aarch64-lse"])
def test_stopping_instances_from_another_thread_loses_nothing(flavour):
    """uc_emu_stop from another host thread every 50 us while they run, each
    instance resuming where it stopped, as pyqemu's run loop would: with the
    exit check only at block starts, no instruction runs twice."""
    counts = hammer(flavour, 2, 300000, "--stops")
    assert counts["runs"] > 2 * 2  # it was stopped, and resumed
    assert_exact(counts)


UNALIGNED_ATOMIC_PROBE = """
import ctypes, mmap
from usermode.uc import Uc
from usermode.uclib import constants
U, X = constants("unicorn_const"), constants("x86_const")
uc = Uc(U.UC_ARCH_X86, U.UC_MODE_64)
memory = mmap.mmap(-1, 0x10000)
code = bytes.fromhex("b801000000" "f00fc107" "48ffc9" "75f2")  # 1: mov eax,1; lock xadd [rdi],eax; dec rcx; jnz 1b
memory[0:len(code)] = code
uc.mem_map_ptr(0x100000, 0x10000, 7, ctypes.addressof(ctypes.c_char.from_buffer(memory)))
uc.reg_write(X.UC_X86_REG_RDI, 0x108003)
uc.reg_write(X.UC_X86_REG_RCX, 100000)
uc.emu_start(0x100000, 0x100000 + len(code))
print(int.from_bytes(memory[0x8003:0x8007], "little"))
"""


@needs_core
def test_an_atomic_host_atomics_cannot_do_runs_serially_instead_of_looping():
    """x86 allows a locked add on an unaligned word; TCG's atomic helpers cannot
    do it and raise EXCP_ATOMIC, which Unicorn never handled: with code
    translated for parallel use the instruction would be retried for ever."""
    with open(os.path.join(CORE, "core.json")) as f:
        if "x86" not in json.load(f)["arches"]:
            pytest.skip("this core was built without the x86 target (the CI build): `./dev core` builds it")
    res = run([sys.executable, "-c", UNALIGNED_ATOMIC_PROBE], env=env_with(PYQEMU_CORE=CORE), cwd=ROOT, timeout=60)
    assert res.stdout.decode().strip() == "100000", res.stderr.decode()[-2000:]


SELF_MODIFYING_PROBE = """
from usermode import cpu
from usermode.uc import Uc
arch = cpu.get("riscv64")
uc = Uc(arch.UC_ARCH, arch.UC_MODE)
uc.mem_map(0x100000, 0x1000)
uc.mem_map(0x200000, 0x1000)
# at 0x100000, for n = 1..5: call C (ret, at 0x200080: the page keeps translated code),
# store `li a0, n` over B's first instruction (B at 0x200000: li a0, 0; ret), call B,
# s0 += a0
main = bytes.fromhex("b7052000130400009304100013096000e7800508939244019382325123a05500e78005003304a40093841400e39224ff13000000")
uc.mem_write(0x100000, main)
uc.mem_write(0x200000, bytes.fromhex("1305000067800000"))
uc.mem_write(0x200080, bytes.fromhex("67800000"))
uc.emu_start(0x100000, 0x100000 + len(main) - 4)
print(uc.reg_read(arch.GPR_IDS[8]))
"""


@pytest.mark.parametrize("which", ["stock", "patched"])
def test_a_store_into_translated_code_is_seen(which):
    """Self-modifying code on both libraries: a store over translated code drops the
    translation (patch 5 changes how a translated page's TLB entries are marked for
    that; this does not tell its walk from the stock one, it checks the outcome)."""
    if which == "patched" and CORE is None:
        pytest.skip("no patched core built from tools/core/patches: `./dev core` builds it")
    res = run([sys.executable, "-c", SELF_MODIFYING_PROBE],
              env=env_with(PYQEMU_CORE=CORE if which == "patched" else "stock"), cwd=ROOT, timeout=60)
    assert res.stdout.decode().split() == ["15"], res.stderr.decode()[-2000:]


# ---- guest programs: the same as on the stock wheel -----------------------------------

@needs_core
def test_guest_programs_behave_as_on_the_stock_wheel(arch, tmp_path):
    skip_unless_core_runs(arch)
    env = env_with(PYQEMU_CORE=CORE)
    threads = build(arch, "threads.c", "static", ["-pthread"])
    res = run(pyqemu_command(arch) + [threads, "8", "20000"], env=env, timeout=300)
    assert res.stdout.decode().splitlines() == threads_expected(8, 20000), res.stderr.decode()[-2000:]
    memory = build(arch, "memory.c", "static")
    res = run(pyqemu_command(arch) + [memory, str(tmp_path)], env=env)
    assert res.stdout.decode().splitlines() == [f"{c}: ok" for c in MEMORY_CHECKS], res.stderr.decode()[-2000:]
    signals = build(arch, "signals.c", "static", ["-pthread"])
    res = run(pyqemu_command(arch) + [signals], env=env, timeout=60)
    assert res.stdout.decode().splitlines() == [f"{c}: ok" for c in signal_checks(arch)], res.stderr.decode()[-2000:]


@needs_core
def test_process_shared_atomics_and_mutex_are_exact(arch):
    """Two guest processes (fork) on one MAP_SHARED page: atomic adds and a
    PTHREAD_PROCESS_SHARED mutex. Each process is its own emulator running at
    the same time, so only host atomics keep the counts exact (on the stock
    wheel: adds lost, glibc's mutex assertion failing, or a hang)."""
    skip_unless_core_runs(arch)
    prog = build(arch, "shared_atomics.c", "static", ["-pthread"])
    res = run(pyqemu_command(arch) + [prog, "300000"], env=env_with(PYQEMU_CORE=CORE), timeout=120)
    assert res.stdout.decode().splitlines() == ["atomic adds: 600000 (expected 600000)",
                                                "mutex-protected increments: 600000 (expected 600000)"], \
        res.stderr.decode()[-2000:]
    assert res.returncode == 0
