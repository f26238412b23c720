"""usermode/memory/coherence.py: why each part of an alias's home is there (Unicorn 2.1.4,
reproduced in a few x86-64 instructions), and what the plan makes of a few mappings.
The programs' side is tests/test_code_memory.py (alias, alias-more, thread, read-code)."""
import ctypes
import mmap
import os

import pytest

from usermode import raw
from usermode.memory import coherence
from usermode.memory.space import Vma
from usermode.uc import UC_HOOK_MEM_FETCH_UNMAPPED, UC_HOOK_TLB_FILL, UC_TLB_VIRTUAL, Uc, UcError
from usermode.uclib import constants

U = constants("unicorn_const")
X = constants("x86_const")
CODE, WRITABLE, DRIVER, STACK = 0x10000, 0x20000, 0x30000, 0x40000
RIGHTS = {CODE: 5, WRITABLE: 3, DRIVER: 5, STACK: 3}
DRIVER_CODE = bytes.fromhex(
    "48c7c700000200"  # mov rdi, WRITABLE
    "c7470101000000"  # mov dword [rdi+1], 1: written before any code is translated
    "48c7c000000100" "ffd0"  # call CODE
    "89c3"  # mov ebx, eax
    "c7470102000000"  # mov dword [rdi+1], 2: through the entry the first store made fast
    "48c7c000000100" "ffd0")  # call CODE
RETURN_0 = bytes.fromhex("b800000000c3")  # mov eax, 0; ret


def _run(home, extra_rights, hook):
    """CODE and WRITABLE are two regions over the same memfd page. home: WRITABLE's pages get
    CODE's physical address; extra_rights: CODE's region may also be written; hook: a
    fetch-from-unmapped hook covers CODE. -> (what the first call returned, the second's),
    or the error."""
    fd = os.memfd_create("code")
    os.ftruncate(fd, 4096)
    pages = [mmap.mmap(fd, 4096, mmap.MAP_SHARED) for _ in range(2)]
    scratch = [mmap.mmap(-1, 4096) for _ in range(2)]
    os.close(fd)
    pages[0][:len(RETURN_0)] = RETURN_0
    scratch[0][:len(DRIVER_CODE)] = DRIVER_CODE
    uc = Uc(U.UC_ARCH_X86, U.UC_MODE_64)
    uc.ctl_set_tlb_mode(UC_TLB_VIRTUAL)
    for at, memory in zip((CODE, WRITABLE, DRIVER, STACK), pages + scratch):
        rights = RIGHTS[at] | (3 if at == CODE and extra_rights else 0)
        uc.mem_map_ptr(at, 4096, rights, ctypes.addressof(ctypes.c_char.from_buffer(memory)))

    def fill(handle, page, access, entry, user_data):
        entry[0] = CODE if home and page == WRITABLE else page
        entry[1] = RIGHTS.get(page, 0)
        return page in RIGHTS
    callbacks = [raw.TLB_FILL_CALLBACK(fill), raw.MEM_INVALID_CALLBACK(lambda *args: False)]
    raw.add_hook(uc, UC_HOOK_TLB_FILL, callbacks[0])
    if hook:
        raw.add_hook(uc, UC_HOOK_MEM_FETCH_UNMAPPED, callbacks[1], CODE, CODE + 4095)
    uc.reg_write(X.UC_X86_REG_RSP, STACK + 4096)
    try:
        uc.emu_start(DRIVER, DRIVER + len(DRIVER_CODE))
    except UcError as e:
        return str(e)
    return uc.reg_read(X.UC_X86_REG_EBX), uc.reg_read(X.UC_X86_REG_EAX)


def test_a_store_through_another_region_is_not_seen():
    assert _run(home=False, extra_rights=False, hook=False) == (1, 1)


def test_a_home_needs_write_rights_in_its_region():
    assert "UC_ERR_WRITE_PROT" in _run(home=True, extra_rights=False, hook=False)


def test_a_store_entry_made_fast_before_the_code_was_translated_stays_fast_without_the_hook():
    assert _run(home=True, extra_rights=True, hook=False) == (1, 1)


def test_with_home_rights_and_hook_the_store_is_seen():
    assert _run(home=True, extra_rights=True, hook=True) == (1, 2)


def _vma(start, pages, prot, file="f", offset=0, maywrite=True):
    stat = os.stat_result((0, hash(file), 1, 1, 0, 0, 4096, 0, 0, 0)) if file else None
    return Vma(start, start + pages * 4096, prot, "shared" if file else "anon", "", offset, stat, maywrite)


def test_the_lowest_executable_mapping_is_the_home_of_the_others():
    rx_high, rw, rx_low = _vma(0x90000, 1, 5, offset=4096), _vma(0x50000, 2, 3), _vma(0x30000, 1, 5, offset=4096)
    p = coherence.plan(sorted([rx_high, rw, rx_low], key=lambda v: v.start), redirect=True)
    assert [(v, lo, hi) for v, lo, hi in p.homes] == [(rx_low, 0x30000, 0x31000)]
    assert p.aliases == {rx_high: [(0x90000, 0x91000, 0x30000 - 0x90000)],
                         rw: [(0x51000, 0x52000, 0x30000 - 0x51000)]}
    assert p.writable_code == [(0x30000, 0x31000)] and p.writers == {rw} and not p.watched


@pytest.mark.parametrize("redirect, maywrite", [(False, True), (True, False)])
def test_code_without_a_home_is_watched(redirect, maywrite):
    """The CPU's own TLB (no homes), or code of a file opened read-only: stores to the
    writable mapping are watched instead."""
    rx, rw = _vma(0x30000, 1, 5, maywrite=maywrite), _vma(0x50000, 1, 3)
    p = coherence.plan([rx, rw], redirect)
    assert not p.homes and not p.aliases
    assert p.writable_code == [(0x30000, 0x31000)] and p.watched == [(0x50000, 0x51000)]
    assert p.code_at[rw] == [(0x50000, 0x51000, 0x30000 - 0x50000)]


def test_ordinary_mappings_plan_nothing():
    p = coherence.plan([_vma(0x30000, 1, 5, file="lib"), _vma(0x40000, 1, 3, file=None),
                        _vma(0x50000, 1, 3, file="data"), _vma(0x60000, 1, 1, file="data")], redirect=True)
    assert not (p.aliases or p.homes or p.writable_code or p.writers or p.watched)
    wx = _vma(0x70000, 2, 7, file=None)
    assert coherence.plan([wx], redirect=True).writable_code == [(0x70000, 0x72000)]
