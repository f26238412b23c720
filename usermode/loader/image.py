"""Map an ELF file's PT_LOAD segments into the guest address space."""
import os

from ..errors import GuestError, UserError
from ..memory.space import PAGE, PROT_READ, PROT_WRITE, page_ceil, page_floor
from .elf import ET_DYN, PT_PHDR


class LoadedImage:
    """Where one ELF file ended up: bias, entry, program headers, extent."""

    def __init__(self, elf, bias):
        self.elf = elf
        self.bias = bias
        self.entry = elf.entry + bias
        lo, hi = elf.span()
        self.start, self.end = lo + bias, hi + bias
        phdr = next((s.vaddr for s in elf.segments if s.type == PT_PHDR), None)
        if phdr is None:  # the PT_LOAD that covers the header table
            phdr = next((s.vaddr + elf.phoff - s.offset for s in elf.loads
                         if s.offset <= elf.phoff < s.offset + s.filesz), 0)
        self.phdr = phdr + bias
        self.phnum = elf.phnum
        self.phent = elf.phentsize


def load(space, elf, base_hint=None):
    """Map elf; ET_DYN goes at base_hint if free, else wherever mmap would put it."""
    lo, hi = elf.span()
    span = hi - lo
    if span > space.size // 2:
        top = max(elf.loads, key=lambda s: s.vaddr + s.memsz)
        raise UserError(f"{elf.where}: corrupt ELF: its segments span {span:#x} bytes (up to the PT_LOAD at "
                        f"{top.vaddr:#x}), more than the guest address space can hold ({space.size:#x} bytes)")
    if elf.type == ET_DYN:
        align = elf.max_align()
        want = (base_hint or 0) & ~(align - 1)
        if want and space.is_free(want, want + span):
            start = want
        else:
            try:
                start = space.find_free(span + align)
            except GuestError:
                raise UserError(f"{elf.where}: no room in the guest address space for its "
                                f"{span:#x} bytes of segments (aligned to {align:#x})") from None
            start = (start + align - 1) & ~(align - 1)
        bias = start - lo
    else:
        bias = 0
        if hi > space.size:
            raise UserError(f"{elf.where}: segments at {lo:#x}-{hi:#x} lie outside the "
                            f"guest address space (which ends at {space.size:#x}{_limited()})")
        if space.overlapping(lo, hi):
            raise UserError(f"{elf.where}: segments at {lo:#x}-{hi:#x} collide with "
                            f"memory already mapped there (the stack or the program)")
    # One writable mapping over the whole span, the file bytes copied in, then
    # each segment's own protection; pages between segments are unmapped, and
    # a page shared by two segments gets both protections, as on the kernel.
    space.map(lo + bias, span, PROT_READ | PROT_WRITE, name=elf.path)
    fd = elf.file.fileno()
    for s in elf.loads:
        if s.filesz:
            view = space.mem[s.vaddr + bias:s.vaddr + bias + s.filesz]
            got = os.preadv(fd, [view], s.offset)
            if got != s.filesz:
                raise UserError(f"{elf.where}: truncated: short read of a segment")
    covered = []
    for s in elf.loads:
        first, last = page_floor(s.vaddr + bias), page_ceil(s.vaddr + bias + s.memsz)
        covered.append([first, last, s.prot])
    for i, (first, last, prot) in enumerate(covered):
        if i and covered[i - 1][1] > first:  # a page shared with the previous segment
            shared = first
            space.protect(shared, PAGE, prot | covered[i - 1][2])
            first += PAGE
        if last > first:
            space.protect(first, last - first, prot)
    for (_, prev_end, _), (next_start, _, _) in zip(covered, covered[1:]):
        if next_start > prev_end:
            space.unmap(prev_end, next_start - prev_end)
    # the guest sees the file's name in /proc/self/maps for every piece
    return LoadedImage(elf, bias)


def _limited():
    """Why the guest's range may end low: the user's address-space limit (memory/limits.py
    gives the guest what it leaves, from address 0 up)."""
    import resource
    soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    return "" if soft == resource.RLIM_INFINITY else f", all that ulimit -v {soft // 1024} leaves"
