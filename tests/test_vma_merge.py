"""Neighbouring mappings merge as the kernel's vma_merge merges them: in the guest's
/proc/self/maps, and in Unicorn, where a merged mapping is a few regions (O(log n) for n
growths) instead of one per growth (Unicorn's cost of mapping a region grows with the
square of the regions it has: a heap grown a page at a time was O(n^3))."""
import ctypes

from conftest import build, have_qemu, run_pyqemu, run_reference, runs_natively

from usermode import cpu
from usermode.memory import host
from usermode.memory.space import PAGE, PROT_READ, PROT_WRITE, AddressSpace
from usermode.uc import Uc

RW = PROT_READ | PROT_WRITE
CHECKS = [
    "the grown heap is one line", "and keeps every page", "brk shrinks it in place",
    "adjacent anonymous mappings are one line", "munmap of the middle splits it", "mapping the hole again joins them",
    "mprotect of the middle splits it in three", "mprotect back joins them", "mremap grown in place is one line",
    "and moves whole", "another protection, shared, a file: four lines",
    "MAP_NORESERVE, MAP_GROWSDOWN: lines of their own",
]
# qemu-user 7.2 names no [heap] and joins the break's pages to the program's bss; qemu-arm
# qemu-ppc, qemu-m68k, qemu-mipsel and qemu-mips cannot grow a mapping in place (its 32-bit reservation, as in
# test_memory.py).
QEMU_DIFFERS = {"the grown heap is one line", "brk shrinks it in place"}
_NO_GROWTH_IN_PLACE = {"mremap grown in place is one line", "and moves whole"}
QEMU_DIFFERS_ON = {a: _NO_GROWTH_IN_PLACE for a in ("arm", "ppc", "m68k", "mipsel", "mips")}


def test_neighbouring_mappings_merge_and_split_as_on_the_kernel(arch, tmp_path):
    prog = build(arch, "vma_merge.c")
    res = run_pyqemu(arch, prog, str(tmp_path))
    assert res.returncode == 0, res.stderr.decode()
    lines = res.stdout.decode().splitlines()
    assert lines == [f"{check}: ok" for check in CHECKS], res.stderr.decode()
    if have_qemu(arch) or runs_natively(arch):  # x86: the host's own kernel, whose lines are all right
        theirs = run_reference(arch, prog, str(tmp_path)).stdout.decode().splitlines()
        skip = set() if runs_natively(arch) else QEMU_DIFFERS | QEMU_DIFFERS_ON.get(arch, set())
        assert [x for x in theirs if x.split(":")[0] not in skip] == \
            [x for x in lines if x.split(":")[0] not in skip]


def _space():
    arch = cpu.get("riscv64")
    uc = Uc(arch.UC_ARCH, arch.UC_MODE)
    space = AddressSpace(64 << 20, 32 << 20)
    space.attach(uc)
    return space, uc


def _mirrored(space, uc):
    """Unicorn's regions tile the space's VMAs exactly, each within one, with its protection."""
    regions = sorted(uc.mem_regions())
    for s, e, prot in regions:
        v = space.find(s)
        if v is None or e >= v.end or prot != v.prot:
            return False
    return sum(e + 1 - s for s, e, _ in regions) == space.total_mapped()


def test_a_heap_grown_page_by_page_is_few_unicorn_regions():
    space, uc = _space()
    try:
        space.map(0x10000, PAGE, RW)
        space.unmap(0x10000, PAGE)  # Unicorn's slow path for new regions, as at thread start
        start = 0x100000
        for i in range(2000):
            space.map(start + i * PAGE, PAGE, RW, name="[heap]", replace=False)
            space.mem[start + i * PAGE] = i & 0xFF
        assert len(space.vmas) == 1 and len(uc.mem_regions()) <= 11  # log2(2000): like sizes joined
        assert _mirrored(space, uc)
        assert uc.mem_read(start + 1999 * PAGE, 1) == bytes([1999 & 0xFF])  # same host pages
        space.unmap(start + 1000 * PAGE, 1000 * PAGE)  # brk shrinking
        assert len(uc.mem_regions()) <= 11 and _mirrored(space, uc)
    finally:
        space.release()


def test_a_heap_grown_by_big_steps_keeps_its_big_regions():
    """LTP's sbrk02 grows the break by 16, 32, 48... MiB to the end of memory: joining
    regions that big would cost Unicorn a TLB flush per page of each (16 s of CPU)."""
    from usermode.memory import space as space_module
    big = space_module._JOIN_MAX
    arch = cpu.get("riscv64")
    uc = Uc(arch.UC_ARCH, arch.UC_MODE)
    space = AddressSpace(1 << 36, 1 << 35)
    space.attach(uc)
    unmapped = []
    real_unmap = uc.mem_unmap
    uc.mem_unmap = lambda start, size: (unmapped.append(size), real_unmap(start, size))
    try:
        start, top = 0x100000, 0x100000
        for step in range(1, 9):
            size = step * (big // 4)
            space.map(top, size, RW, name="[heap]", replace=False, flags=host.MAP_NORESERVE)
            top += size
        assert len(space.vmas) == 1 and _mirrored(space, uc)
        assert unmapped and max(unmapped) <= big  # small ones joined, none of the big ones
        assert len(uc.mem_regions()) <= 8
    finally:
        space.release()


def test_only_what_the_kernel_merges_is_merged():
    space, uc = _space()
    try:
        a = 0x200000
        space.map(a, PAGE, RW, name="[heap]")
        space.map(a + PAGE, PAGE, RW)  # anonymous, not the heap
        space.map(a + 2 * PAGE, PAGE, PROT_READ)  # another protection
        space.map(a + 3 * PAGE, PAGE, RW, kind="shared")
        space.map(a + 4 * PAGE, PAGE, RW, kind="shared")  # another shared object
        space.map(a + 5 * PAGE, PAGE, RW, name="/bin/program")  # the program's own pieces
        space.map(a + 6 * PAGE, PAGE, RW, name="/bin/program")
        assert len(space.vmas) == 7 and _mirrored(space, uc)
    finally:
        space.release()


def test_protection_changes_split_and_join_unicorn_regions_too():
    space, uc = _space()
    try:
        a = 0x300000
        for i in range(4):
            space.map(a + i * PAGE, PAGE, RW)
        assert len(space.vmas) == 1 and _mirrored(space, uc)
        space.protect(a + PAGE, 2 * PAGE, PROT_READ)
        assert len(space.vmas) == 3 and _mirrored(space, uc)
        space.protect(a + PAGE, 2 * PAGE, RW)
        assert len(space.vmas) == 1 and _mirrored(space, uc)
    finally:
        space.release()


def test_existing_mappings_of_different_origins_stay_apart():
    """Like the kernel's anon_vma: a mapping moved next to another is not merged with it,
    nor are two such joined by an mprotect; a new mapping merges with its neighbour."""
    space, uc = _space()
    try:
        a, b = 0x400000, 0x500000
        space.map(a, PAGE, RW)
        space.map(b, PAGE, RW)
        space.remap(b, PAGE, PAGE, True, new_addr=a + PAGE)
        assert len(space.vmas) == 2 and _mirrored(space, uc)
        space.map(a - PAGE, PAGE, RW)
        assert [(v.start, v.end) for v in space.vmas] == [(a - PAGE, a + PAGE), (a + PAGE, a + 2 * PAGE)]
    finally:
        space.release()


def test_a_merged_mapping_over_several_host_mappings_moves_whole():
    """The host's mremap refuses a range spanning several of its mappings (EFAULT); the
    guest's merged VMA may (here the host keeps a MADV_DONTFORK page apart)."""
    space, uc = _space()
    try:
        a, dest = 0x600000, 0x700000
        for i in range(3):
            space.map(a + i * PAGE, PAGE, RW)
            space.mem[a + i * PAGE] = 0x41 + i
        host.madvise(space.base + a + PAGE, PAGE, 10)  # MADV_DONTFORK: its own host mapping
        assert len(host.mapping_starts(space.base + a, space.base + a + 3 * PAGE)) == 2
        space.remap(a, 3 * PAGE, 4 * PAGE, True, new_addr=dest)
        assert [(v.start, v.end) for v in space.vmas] == [(dest, dest + 4 * PAGE)] and _mirrored(space, uc)
        assert bytes(space.mem[dest + i * PAGE] for i in range(3)) == b"ABC"
        assert ctypes.string_at(space.base + dest + 3 * PAGE, 8) == bytes(8)
    finally:
        space.release()
