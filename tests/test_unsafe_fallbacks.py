"""The unsafe shortcuts (usermode/raw.py, regfile.py: registers found in Unicorn's CPU
state, fields of its private uc_struct, run-time machine code for hooks) each check
themselves and fall back. These tests force every fallback: programs must behave the
same without the shortcuts, and each check must refuse a layout that does not match."""
import ctypes
import os

import pytest

from conftest import ARCHES, build, run_pyqemu
from usermode import cpu, raw, regfile
from usermode.uc import Uc

ALL_OFF = {"PYQEMU_NO_UNSAFE": ",".join(raw.UNSAFE_ITEMS)}


def _both(arch, prog, *args, options=()):
    normal = run_pyqemu(arch, prog, *args, options=options, timeout=300)
    safe = run_pyqemu(arch, prog, *args, options=options, timeout=300, env=dict(os.environ, **ALL_OFF))
    return normal, safe


@pytest.mark.parametrize("source, args", [("files.c", ("{tmp}",)), ("threads.c", ()), ("signals.c", ()),
                                          ("code_memory.c", ("thread",)), ("code_memory.c", ("alias",)),
                                          ("code_memory.c", ("alias-more",)),
                                          ("futex_queue.c", ())])
def test_programs_run_the_same_without_the_shortcuts(arch, source, args, tmp_path):
    if source == "code_memory.c" and "ARCH_CODE_RETURN(w, n)" not in cpu.get(arch).TEST_C:
        pytest.xfail("code_memory.c is not ported to this architecture yet (test_code_memory.NOT_PORTED)")
    prog = build(arch, source, "static", ["-pthread"])
    normal, safe = _both(arch, prog, *[a.format(tmp=tmp_path) for a in args])
    assert normal.returncode == safe.returncode == 0, safe.stderr
    assert normal.stdout == safe.stdout
    assert b"internal error" not in safe.stderr


def _fresh(arch_name):
    arch = cpu.get(arch_name)
    uc = Uc(arch.UC_ARCH, arch.UC_MODE)
    uc.ctl_set_cpu_model(arch.CPU_MODELS[arch.DEFAULT_CPU])
    arch.prepare(uc)
    uc.mem_map(0x10000, 0x1000)  # Unicorn sets an instance up on first use
    return arch, uc


def test_the_register_array_is_found_and_a_wrong_order_refused(arch):
    module, uc = _fresh(arch)
    ids = module.GPR_IDS
    # i386's 32-bit registers sit in 64-bit slots: the check writes values that fit them
    bits = module.ABI.bits if module.ABI.bits < 8 * module.GPR_SLOT_BYTES else None
    assert regfile.locate(uc._uch.value, ids, module.GPR_SLOT_BYTES, bits) is not None
    swapped = (ids[1], ids[0]) + tuple(ids[2:])  # the array is there, but in another order
    assert regfile.locate(uc._uch.value, swapped, module.GPR_SLOT_BYTES, bits) is None
    wrong_width = 4 if module.GPR_SLOT_BYTES == 8 else 8
    assert regfile.locate(uc._uch.value, ids, wrong_width, bits) is None


def test_the_register_array_is_looked_for_where_the_last_instance_had_it(arch, monkeypatch):
    """The next instance is checked at the last one's place first; a place that does
    not hold the markers (or cannot be read: no fault either way) sends it to the search."""
    module, uc = _fresh(arch)
    ids = module.GPR_IDS
    bits = module.ABI.bits if module.ABI.bits < 8 * module.GPR_SLOT_BYTES else None  # as above
    assert regfile.locate(uc._uch.value, ids, module.GPR_SLOT_BYTES, bits) is not None
    assert tuple(ids) in regfile._last_hit
    _, second = _fresh(arch)
    searched = []
    real_search = regfile._search

    def counted(handle, needle, ranges, kind):  # this array's searches only (x86's prepare has its own)
        if kind == tuple(ids):
            searched.append(1)
        return real_search(handle, needle, ranges, kind)

    monkeypatch.setattr(regfile, "_search", counted)
    assert regfile.locate(second._uch.value, ids, module.GPR_SLOT_BYTES, bits) is not None
    assert not searched  # found at the hint
    for bad in [(0, 1 << 47), (3, -(1 << 40)), (511, 12345)]:  # unmapped, or not the array
        monkeypatch.setitem(regfile._last_hit, tuple(ids), bad)
        _, other = _fresh(arch)
        assert regfile.locate(other._uch.value, ids, module.GPR_SLOT_BYTES, bits) is not None
    assert len(searched) == 3
    assert not regfile._readable(0, 8) and not regfile._readable(1 << 47, 8)


def test_uc_struct_fields_refused_when_their_neighbours_disagree(arch, monkeypatch):
    _, uc = _fresh(arch)
    assert raw._no_exit_request_flag(uc) is not None  # this build's layout is the one we know
    monkeypatch.setattr(raw, "_flag_offset", None)
    monkeypatch.setattr(raw, "_NO_EXIT_REQUEST_AFTER_PAGE_SIZE", raw._NO_EXIT_REQUEST_AFTER_PAGE_SIZE + 8)
    assert raw._no_exit_request_flag(uc) is None  # the bools are not where the shifted offset says
    assert raw.set_memory_exit_checks(uc, False) is False
    assert raw.fault_address(uc, 0x10000) is None  # the caller finds the address the slow way

