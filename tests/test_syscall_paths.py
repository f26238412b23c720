"""The short ways of the hot syscalls (reads and writes that do not block, stat
packed in one go) give what the long ways give, and what the kernel gives."""
import os

from conftest import assert_same_as_qemu, build, run_pyqemu
from usermode import cpu
from usermode.structs import Layouts
from usermode.syscalls.handlers import statpack


def test_reads_and_writes_blocking_or_not(arch, tmp_path):
    prog = build(arch, "nowait_io.c", "static", ["-pthread"])
    res = assert_same_as_qemu(arch, prog, str(tmp_path), timeout=120)
    lines = res.stdout.decode().splitlines()
    assert lines == ["pipe write 4096, read 4096, same 1", "empty non-blocking pipe: -1 EAGAIN",
                     "socket write 1000, read 1000", f"big write {256 * 1024}, the other thread read {256 * 1024}",
                     f"file read {256 * 1024}, same 1", "interrupted read: -1 EINTR"]


def test_stat_packed_in_one_go_as_field_by_field(arch, tmp_path):
    layouts = Layouts(cpu.get(arch).ABI)
    (tmp_path / "f").write_bytes(b"x" * 12345)
    os.utime(tmp_path / "f", ns=(1_700_000_000_123_456_789, -5_000_000_001))  # before 1970 too
    for path in ("/", "/dev/null", str(tmp_path / "f"), os.path.realpath("/proc/self/exe")):
        st = os.stat(path)
        for name in ("stat", "stat64"):
            try:
                layout = getattr(layouts, name)
            except (AttributeError, KeyError):
                continue
            try:
                careful = statpack.pack_stat_carefully(layout, st)
            except Exception as e:  # EOVERFLOW: the short way must fail the same way
                try:
                    statpack.pack_stat(layout, st)
                except Exception as short:
                    assert type(short) is type(e)
                    continue
                raise AssertionError(f"{name} of {path}: packed where the careful way says {e}")
            assert statpack.pack_stat(layout, st) == careful, (name, path)
            if path == "/":  # every value fits: the one-pack way itself packs it (no field-by-field fallback)
                assert statpack.packer(layout)(st) == careful, (name, path)


def test_stat_family_the_fast_way_and_the_generic_way(arch, tmp_path):
    """statfast.py's fast way and the declarations' generic stubs give the same answers
    (the switch PYQEMU_NO_UNSAFE=fast-syscalls forces the generic one), and qemu-user's;
    past a mapped file's end (where qemu-user 7.2 dies of an assertion) the kernel's EFAULT."""
    prog = build(arch, "stat_ways.c", "static")
    res = assert_same_as_qemu(arch, prog, str(tmp_path), timeout=120)
    lines = res.stdout.decode().splitlines()
    assert "stat file: type 100000 perm 640 size 4096 nlink 1" in lines
    assert "lstat link: type 120000 perm 777 size 1 nlink 1" in lines
    assert "stat NULL: -1 EFAULT" in lines and "statx bad buffer: -1 EFAULT" in lines
    assert "fstatat unknown flag: -1 EINVAL" in lines and "fstatat bad dirfd: -1 EBADF" in lines
    assert "statx dirfd: type 100000 size 4096 basic 1" in lines
    fast = run_pyqemu(arch, prog, str(tmp_path), "past-eof")
    generic = run_pyqemu(arch, prog, str(tmp_path), "past-eof",
                         env=dict(os.environ, PYQEMU_NO_UNSAFE="fast-syscalls"))
    assert fast.returncode == generic.returncode == 0, (fast.stderr, generic.stderr)
    assert fast.stdout == generic.stdout
    assert fast.stdout.decode().splitlines() == lines + [
        "stat past the file's end: -1 EFAULT", "statx into the pages past the file's end: -1 EFAULT",
        "statx before the file's end: type 100000 size 4096 basic 1"]


def test_a_mask_the_register_slots_make_needless_is_left_out():
    """A 32-bit guest's size and unsigned arguments are masked to 32 bits where a register
    slot may hold more (i386's 64-bit slots), and taken as they are from 32-bit slots
    (arm, MIPS, ppc, m68k), with one call less per argument."""
    from usermode.syscalls import dispatch, registry
    from usermode.syscalls.argtypes import Size, UInt

    seen = []

    def handler(t, count: Size, bits: UInt):
        seen.append((count, bits))
    decl = registry.declare(handler)
    abi = cpu.get("arm").ABI
    regs = [0x1_0000_0005, 0x1_0000_0007]  # more than 32 bits: what only a 64-bit slot could hold
    dispatch._fast_stub(decl, abi, (0, 1), 64)(None, regs)
    dispatch._fast_stub(decl, abi, (0, 1), 32)(None, regs)
    assert seen == [(5, 7), (0x1_0000_0005, 0x1_0000_0007)]


def test_repacked_in_one_go_as_field_by_field(arch):
    """hostcall.repack's one-pack way (same members, another byte order or word size)
    gives what the field-by-field way gives, for the structs the host fills."""
    from usermode.syscalls.handlers import hostcall
    layouts = Layouts(cpu.get(arch).ABI)
    for name in ("statx", "rusage", "tms"):
        host, guest = getattr(hostcall.HOST_LAYOUTS, name), getattr(layouts, name)
        values = {f: (tuple(range(i, i + len(v))) if isinstance(v, tuple) else v if isinstance(v, bytes) else 1000 + i)
                  for i, (f, v) in enumerate(host.unpack(bytes(host.size)).items())}
        data = host.pack(**values)
        assert hostcall.repack(host, guest, data) == guest.pack(**host.unpack(data)), name
