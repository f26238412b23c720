"""The short ways of the hot syscalls (reads and writes that do not block, stat
packed in one go) give what the long ways give, and what the kernel gives."""
import os

from conftest import assert_same_as_qemu, build
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
