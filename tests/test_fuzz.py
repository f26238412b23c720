"""pyqemu's own fuzzers (tools/fuzz.py), a short run of each per architecture, and
what they found, each fixed and kept here as a line of tests/guest/fuzz_found.c.

The long runs (8 seeds x 50,000 calls, 1,000 mutants per architecture) are for
people: `./dev fuzz syscalls` and `./dev fuzz elf`."""
import importlib.util
import os

from conftest import build, build_host, run, run_pyqemu

HERE = os.path.dirname(os.path.abspath(__file__))


def _fuzz():
    spec = importlib.util.spec_from_file_location("fuzz", os.path.join(HERE, "..", "tools", "fuzz.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_what_the_fuzzer_found(arch):
    """Each line was an internal error or a wrong answer before: negative descriptors
    (ValueError), flags and limits beyond an int (OverflowError), mremap shrinking to
    a fixed place or onto itself (UC_ERR_MAP), a signalfd made blocking (the refresh
    blocked for ever)."""
    native = run([build_host("fuzz_found.c")], timeout=60)
    assert native.returncode == 0, native.stderr
    ours = run_pyqemu(arch, build(arch, "fuzz_found.c", "static"), timeout=60)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout.decode().splitlines() == native.stdout.decode().splitlines()
    assert b"internal error" not in ours.stderr
