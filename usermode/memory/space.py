"""The guest's address space: host-backed, mirrored into every Unicorn instance.

The whole guest range [0, size) is one host reservation at `base`, so guest
address A lives at host address base+A (QEMU's guest_base). Each guest mapping
is a real host mapping there (anonymous, file-private or file-shared) that is
handed to Unicorn with mem_map_ptr; syscalls then read and write guest buffers
through memoryview slices of `mem`, without copies, and a guest MAP_SHARED
mapping is the host's own, so writes reach the file and other processes.

The VMA list here is the single truth about what the guest has mapped and with
which protection: every Unicorn instance (one per guest thread) mirrors it, and
every guest pointer a syscall touches is checked against it (EFAULT) before the
host dereferences it, so a bad guest pointer can never crash the emulator.
Neighbouring mappings the kernel would merge (vma_merge) are one VMA here too, and
a few Unicorn regions of like sizes (_join_regions), never one per growth.

A CPU on Unicorn's virtual TLB (threads/thread.py) has its regions readable,
writable and executable: its TLB fill hook gives each page its mapping's rights,
refusing what they forbid, so an mprotect there changes no region, only the VMA
list, what the CPU translated of code that lost or gained PROT_EXEC, and its TLB.
A CPU on its own TLB (arm and MIPS where the virtual one cannot be mended) sees
only the regions' rights, so its regions follow every protection change.
"""
import bisect
import ctypes
import errno
import os
import stat
import threading

from ..errors import GuestError
from . import coherence, host, limits

_bisect_right = bisect.bisect_right  # on the path of every syscall that takes a buffer

PAGE = 4096
PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4  # the kernel's values, also Unicorn's UC_PROT_*
PROT_ALL = PROT_READ | PROT_WRITE | PROT_EXEC
# mmap flags (the host's bits) the kernel keeps in the mapping (VM_NORESERVE, VM_LOCKED,
# VM_GROWSDOWN): mappings that differ in them never merge
KEPT_FLAGS = host.MAP_NORESERVE | host.MAP_LOCKED | host.MAP_GROWSDOWN
STACK_GUARD_GAP = 256 * PAGE  # the kernel's stack_guard_gap: a grows-down mapping stays this far above the next
# Regions bigger than this are not joined: their unmap would cost a TLB flush per page
# (sbrk02's heap grown by 16, 32, 48... MiB to 180 GiB took 16 s of CPU), and so few
# of them fit an address space that their count cannot make new regions dear.
_JOIN_MAX = 1 << 28


def page_floor(x):
    return x & ~(PAGE - 1)


def page_ceil(x):
    return (x + PAGE - 1) & ~(PAGE - 1)


_running = threading.local()  # .uc: the CPU whose guest code this host thread runs
STALE_MOST = 256  # ranges kept for a CPU that has not caught up, before they are merged


def _merged(ranges):
    """[(lo, hi)] sorted, overlapping and touching ones joined."""
    out = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


class MappedFile:
    """The file behind a mapping that reaches past the file's end: a descriptor of our
    own, so the pages there can become the file's when it grows. Closed with the
    last mapping that refers to it. The descriptor is the emulator's (`own`: the
    process's keep_fd and close_own_fd), out of the guest's numbers and sight."""

    __slots__ = ("fd", "release")

    def __init__(self, fd, own):
        keep, self.release = own
        self.fd = keep(os.dup(fd))

    def size(self):
        return os.fstat(self.fd).st_size

    def __del__(self):
        self.release(self.fd)  # closes it


def _mapped_file(fd, own):
    """A MappedFile, or None where the emulator has no descriptor to spare (the pages
    past the file's end then stay SIGBUS even if the file grows) or no owner was set."""
    if own is None:
        return None
    try:
        return MappedFile(fd, own)
    except OSError:
        return None


class Vma:
    """One guest mapping. `kind` is "anon", "private" (file) or "shared" (file or anon).
    `eof`: where the file's pages end (page-rounded); from there to `end` an access
    is SIGBUS, as the kernel's (`end` for anything else). `file` is set only then."""

    __slots__ = ("start", "end", "prot", "kind", "name", "offset", "fd_stat", "maywrite", "lineage", "flags",
                 "eof", "file", "alias", "region_extra")

    def __init__(self, start, end, prot, kind="anon", name="", offset=0, fd_stat=None, maywrite=True,
                 lineage=None, flags=0, eof=None, file=None):
        self.start, self.end, self.prot, self.kind = start, end, prot, kind
        self.name, self.offset, self.fd_stat = name, offset, fd_stat
        self.maywrite = maywrite  # False: a shared mapping of a file opened read-only
        # Which mapping these pages came from, standing for the kernel's anon_vma: two
        # existing mappings merge only when of one lineage (split apart earlier); a new
        # mapping (None) has none yet and takes its neighbour's.
        self.lineage = lineage
        self.flags = flags  # of KEPT_FLAGS
        self.eof = end if eof is None else eof
        self.file = file
        # (coherence.py) [(lo, hi, delta)]: pages whose code lives at another mapping of the
        # same memory, for the TLB fill; rights its Unicorn regions get besides prot
        self.alias = None
        self.region_extra = 0

    @property
    def growsdown(self):
        """MAP_GROWSDOWN: a fault just below extends it."""
        return bool(self.flags & host.MAP_GROWSDOWN)

    def split(self, at):
        """Cut at `at`; self keeps the lower part, the upper part is returned."""
        upper = Vma(at, self.end, self.prot, self.kind, self.name,
                    self.offset + (at - self.start) if self.kind != "anon" else 0, self.fd_stat, self.maywrite,
                    self.lineage, self.flags, max(self.eof, at), self.file)
        self.end = at
        self.eof = min(self.eof, at)
        return upper

    def moved(self, to):
        """The same mapping at another address (mremap)."""
        return Vma(to, to + self.end - self.start, self.prot, self.kind, self.name, self.offset, self.fd_stat,
                   self.maywrite, self.lineage, self.flags, to + self.eof - self.start, self.file)

    def __repr__(self):
        return f"Vma({self.start:#x}-{self.end:#x} prot={self.prot} {self.kind} {self.name!r})"


# Private anonymous mappings the kernel tells apart by nothing but their place:
# neighbours of these names merge (the kernel's vma_merge), the heap only with the heap.
_MERGING_NAMES = ("", "[heap]")


def mergeable(lower, upper):
    """Whether the kernel would make one mapping of these two: adjacent private anonymous
    memory with the same protection and name. File and shared mappings never merge here
    (the kernel merges those only for the same open file at following offsets, which
    this space does not record), nor do the program's own pieces (named by its path)."""
    return (lower.end == upper.start and lower.kind == "anon" == upper.kind
            and lower.prot == upper.prot and lower.flags == upper.flags and lower.name == upper.name and lower.name in _MERGING_NAMES
            and lower.fd_stat is None and upper.fd_stat is None and lower.maywrite == upper.maywrite
            and (lower.lineage is None or upper.lineage is None or lower.lineage is upper.lineage))


def _access_mode(fd):
    import fcntl
    return fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE


class AddressSpace:
    def __init__(self, size, mmap_top):
        self.size = size
        self.base = host.reserve(size)
        self.mem = memoryview((ctypes.c_ubyte * size).from_address(self.base)).cast("B")
        self.vmas = []  # sorted, non-overlapping
        self._starts = []  # vma.start for each, for bisect
        self.cpus = []  # Unicorn instances mirroring this space
        # those of them whose TLB fill hook gives pages their rights (regions all PROT_ALL)
        self.rights_in_tlb = set()
        # CPU -> [(lo, hi)]: protection changes another thread made that this CPU has not
        # mirrored yet (protect, catch_up); for a CPU of rights_in_tlb only the ranges
        # whose translations must go, and an empty list a TLB to flush
        self.stale = {}
        self.mmap_top = mmap_top  # top-down allocation starts below this
        # the end of the guest's own range (the kernel's TASK_SIZE): a reservation may reach
        # above it for what the CPU or the kernel keeps there (x86's descriptor tables, ARM's kuser page)
        self.user_top = size
        self.limits = None  # the guest's RLIMIT_AS and RLIMIT_DATA (limits.GuestLimits)
        self.marker = None  # procmem's page naming this range for other processes
        self.own_fds = None  # (keep_fd, close_own_fd) of the process: descriptors the emulator holds
        # Code stores may rewrite behind a CPU's back (coherence.py); all empty for most programs
        self._plan = coherence.Plan()
        self.writable_code = self._plan.writable_code
        self._code_hooks = coherence.CodeHooks(self._code_written)
        self.redirect_aliases = False  # the CPUs use the virtual TLB: aliases get homes
        self.code_changes_heard = True  # the arch's CODE_CHANGES_HEARD
        self.code_owner = None  # the CPU that last took the emulator lock (took_lock)
        self._writable_pieces = {}  # uc -> ((writable_code, regions_version), its pieces): took_lock

    # ---- Unicorn mirrors -------------------------------------------------

    def release(self):
        """Give the whole range back to the host (execve in place): every mapping goes,
        and nothing may touch this space any more."""
        self.cpus = []
        self.rights_in_tlb = set()
        self.vmas, self._starts = [], []
        self.mem = None  # a late use is an exception, never a touch of unmapped memory
        host.munmap(self.base, self.size)
        if self.marker is not None:  # the next program's space publishes its own
            host.munmap(self.marker, PAGE)
            self.marker = None

    def attach(self, uc, virtual_tlb=False, code_changes_heard=True):
        """A new CPU (thread) sees every current mapping. The first says how CPUs translate
        addresses (virtual_tlb: through the fill hook) and whether the emulator hears of code
        changes (coherence.py). A CPU on the virtual TLB has its fill hook enforce each
        page's rights, so its regions need none (rights_in_tlb)."""
        if virtual_tlb:
            self.rights_in_tlb.add(uc)
        if not self.cpus:
            self.code_changes_heard = code_changes_heard
            if virtual_tlb != self.redirect_aliases:
                self.redirect_aliases = virtual_tlb
                self._replan()
        for v in self.vmas:
            self._mirror(uc, v)
        self.cpus.append(uc)
        if self._plan.homes or self._plan.watched:
            self._code_hooks.set(uc, self._plan, not self.code_changes_heard)

    def detach(self, uc):
        self.cpus.remove(uc)
        self.rights_in_tlb.discard(uc)
        self.stale.pop(uc, None)
        self._code_hooks.forget(uc)
        self._writable_pieces.pop(uc, None)
        if self.code_owner is uc:
            self.code_owner = None

    def _region_prot(self, uc, v):
        """The rights uc's regions give the pages of mapping v."""
        return PROT_ALL if uc in self.rights_in_tlb else v.prot | v.region_extra

    @staticmethod
    def running_on(uc):
        """The calling host thread runs this CPU's guest code (threads/thread.py)."""
        _running.uc = uc

    def catch_up(self, uc):
        """Before uc runs guest code again: mirror the protection changes other threads
        made meanwhile (protect leaves them to it). Each range is rebuilt from the VMAs as
        they are now, so a range changed many times costs one rebuild."""
        ranges = self.stale.pop(uc, None)
        if ranges is None:
            return
        if uc in self.rights_in_tlb:  # no region to change: translations and the TLB
            for lo, hi in _merged(ranges):
                for v in self.overlapping(lo, hi):
                    uc.ctl_remove_cache(max(v.start, lo), min(v.end, hi))
            uc.ctl_flush_tlb()
            return
        if not ranges:
            return
        merged = _merged(ranges)
        regions = uc.mem_regions()
        for lo, hi in merged:
            pieces = [(v, max(v.start, lo), min(v.end, hi)) for v in self.overlapping(lo, hi)]
            for v, a, b in pieces:  # what it translated of code there goes (see protect)
                uc.ctl_remove_cache(a, b)
            for start, last, _ in regions:
                a, b = max(start, lo), min(last + 1, hi)
                if a < b:
                    uc.mem_unmap(a, b - a)
            for v, a, b in pieces:
                if v.eof >= b:
                    self._join_regions(uc, v, a, b)
                else:  # a file mapping past its file's end: those pages without rights
                    self._mirror(uc, v, a, b)
        uc.ctl_flush_tlb()

    def _mirror(self, uc, v, lo=None, hi=None):
        """Map v (or its pages [lo, hi)) into one Unicorn instance: its pages past a
        file's end without rights, so an access there faults (and becomes SIGBUS,
        explain_fault)."""
        lo, hi = v.start if lo is None else lo, v.end if hi is None else hi
        eof = min(max(v.eof, lo), hi)
        if eof > lo:
            uc.mem_map_ptr(lo, eof - lo, self._region_prot(uc, v), self.base + lo)
        if eof < hi:
            uc.mem_map_ptr(eof, hi - eof, 0, self.base + eof)

    def drop_translations(self, start, end):
        """Code in [start, end) was rewritten or changed rights: every CPU forgets what it
        translated of it (each Unicorn instance keeps its own translations, and sees
        only its own stores to code). Range by mapping: each is one block of Unicorn's RAM
        (an alias's pages by their home's, where their code is translated)."""
        for v in self.overlapping(start, end):
            for lo, hi in self._translated_at(v, max(v.start, start), min(v.end, end)):
                for uc in self.cpus:
                    uc.ctl_remove_cache(lo, hi)

    @staticmethod
    def _translated_at(v, lo, hi):
        """[(a, b)]: where the code of v's pages [lo, hi) is translated (coherence.py)."""
        if v.alias is None:
            return [(lo, hi)]
        out, pos = [], lo
        for a, b, delta in sorted(v.alias):
            a, b = max(a, lo), min(b, hi)
            if a >= b:
                continue
            if pos < a:
                out.append((pos, a))
            out.append((a + delta, b + delta))
            pos = b
        if pos < hi:
            out.append((pos, hi))
        return out

    @staticmethod
    def _region_pieces(uc, ranges):
        """ranges cut at uc's region edges: Unicorn's remove_cache takes one block of its RAM,
        and a mapping may be several (_join_regions). Small ranges go page by page, where
        asking for the regions would cost more (66 us for 41 regions)."""
        if sum(hi - lo for lo, hi in ranges) <= 8 * PAGE:
            return [(at, at + PAGE) for lo, hi in ranges for at in range(lo, hi, PAGE)]
        pieces = []
        regions = uc.mem_regions()
        for lo, hi in ranges:
            for start, last, _ in regions:
                a, b = max(start, lo), min(last + 1, hi)
                if a < b:
                    pieces.append((a, b))
        return pieces

    def took_lock(self, uc):
        """uc's thread takes the emulator lock after another thread held it: where no
        cache maintenance tells of rewritten code, it forgets its translations of code
        the others may have stored to (coherence.py). Usually there is none. (Its pieces
        are kept while neither the plan nor uc's regions change.)"""
        if self.writable_code and not self.code_changes_heard:
            key = (self.writable_code, uc.regions_version)
            kept = self._writable_pieces.get(uc)
            if kept is None or kept[0] != key:
                kept = self._writable_pieces[uc] = (key, self._region_pieces(uc, self.writable_code))
            for lo, hi in kept[1]:
                uc.ctl_remove_cache(lo, hi)
        self.code_owner = uc

    def _code_written(self, addr, length):
        """A syscall is about to write [addr, addr+length), code some mapping may rewrite
        there: every CPU forgets it now (no guest code runs before the write lands; the
        others drop it again when they next take the lock, after it)."""
        writers, code_at = self._plan.writers, self._plan.code_at
        for v in self.overlapping(addr, addr + length):
            if v in writers:
                lo, hi = page_floor(max(v.start, addr)), page_ceil(min(v.end, addr + length))
                ranges = [(lo, hi)]  # its own code (W|X), and what the same memory is elsewhere
                ranges += [(max(a, lo) + d, min(b, hi) + d) for a, b, d in code_at.get(v, ()) if max(a, lo) < min(b, hi)]
                # only where code may be: Unicorn looks the range up as a fetch, which the
                # fill hook refuses on a page without PROT_EXEC while guest code runs (this
                # is called from a store hook too), and that would stop the guest
                ranges = [(max(x.start, a), min(x.end, b)) for a, b in ranges
                          for x in self.overlapping(a, b) if x.prot & PROT_EXEC]
                for uc in self.cpus:
                    for a, b in self._region_pieces(uc, ranges):
                        uc.ctl_remove_cache(a, b)

    def _replan(self):
        """Mappings that may hold code changed: plan again which pages share memory with
        code and what code a store may rewrite (coherence.py), and make every CPU follow."""
        old, new = self._plan, coherence.plan(self.vmas, self.redirect_aliases)
        self._plan, self.writable_code = new, new.writable_code
        if not (old.aliases or old.homes or old.watched or new.aliases or new.homes or new.watched):
            return
        for v in old.aliases:
            v.alias = None
        for v, pieces in new.aliases.items():
            v.alias = pieces
        extra = {v: 0 for v, _, _ in old.homes}
        extra.update({v: PROT_READ | PROT_WRITE for v, _, _ in new.homes})
        for v, rights in extra.items():
            i = self._index(v.start)
            mapped = i >= 0 and self.vmas[i] is v and v.eof > v.start
            if mapped and v.fd_stat is not None:  # a home's host pages take the stores
                self._host_protect(v, v.prot | rights)
            if v.region_extra != rights:
                v.region_extra = rights
                if mapped:
                    for uc in self.cpus:
                        if uc not in self.rights_in_tlb:  # (whose regions have every right)
                            uc.mem_protect(v.start, v.eof - v.start, v.prot | rights)
        for uc in self.cpus:
            self._code_hooks.set(uc, new, not self.code_changes_heard)
            uc.ctl_flush_tlb()  # entries with the old homes go (and with them Unicorn's jump cache)

    def _host_protect(self, v, prot):
        """The host rights of a shared file mapping's pages: written only where prot says."""
        hprot = host.PROT_READ | (host.PROT_WRITE if prot & PROT_WRITE else 0)
        host.mprotect(self.base + v.start, v.eof - v.start, hprot)

    def _replan_if(self, vmas, was_exec=False):
        """_replan when a change to these mappings may change the plan."""
        if was_exec or any(coherence.matters(v) for v in vmas):
            self._replan()

    # ---- queries -----------------------------------------------------------

    def _index(self, addr):
        """Index of the VMA containing addr, or -1."""
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0 and addr < self.vmas[i].end:
            return i
        return -1

    def find(self, addr):
        i = self._index(addr)
        return self.vmas[i] if i >= 0 else None

    def overlapping(self, start, end):
        i = max(bisect.bisect_right(self._starts, start) - 1, 0)
        out = []
        for v in self.vmas[i:]:
            if v.start >= end:
                break
            if v.end > start:
                out.append(v)
        return out

    def is_free(self, start, end):
        return 0 < start < end <= self.size and not self.overlapping(start, end)

    def accessible(self, addr, length, prot):
        """How many bytes from addr (up to length) are mapped with `prot`."""
        i = self._index(addr)
        if i < 0:
            return 0
        end = addr + length
        pos = addr
        vmas = self.vmas
        while i < len(vmas):
            v = vmas[i]
            if v.start > pos or (v.prot & prot) != prot:
                break
            pos = v.eof if prot else v.end  # past a file's end: mapped, but the kernel's copy faults
            if pos >= end:
                return length
            if pos < v.end:
                break
            i += 1
        return max(pos - addr, 0)

    def total_mapped(self):
        return sum(v.end - v.start for v in self.vmas)

    def data_mapped(self):
        return sum(v.end - v.start for v in self.vmas if limits.is_data(v.prot, v.kind, v.name))

    def _charge(self, start, end, prot, kind, name):
        """The guest's limits allow mapping [start, end) in place of what is there (ENOMEM)."""
        if self.limits is None or not self.limits.active:
            return
        old = self.overlapping(start, end)
        replaced = sum(min(v.end, end) - max(v.start, start) for v in old)
        replaced_data = sum(min(v.end, end) - max(v.start, start) for v in old
                            if limits.is_data(v.prot, v.kind, v.name))
        data = (end - start) if limits.is_data(prot, kind, name) else 0
        limits.check_growth(self, (end - start) - replaced, data - replaced_data)

    def check(self, addr, length, prot=PROT_READ):
        if length and self.accessible(addr, length, prot) < length:
            raise GuestError(errno.EFAULT)
        if prot & PROT_WRITE and self._plan.writers:  # the host is about to write there
            self._code_written(addr, length)

    # ---- guest buffers for syscalls -------------------------------------

    def view(self, addr, length, prot=PROT_READ):
        """A zero-copy memoryview of guest memory, after an EFAULT check."""
        i = _bisect_right(self._starts, addr) - 1  # the usual case, one mapping, inline
        # (up to eof: past a file's end the host has zero pages the guest must not reach)
        if i < 0 or addr + length > self.vmas[i].eof or self.vmas[i].prot & prot != prot:
            if length and self.accessible(addr, length, prot) < length:
                raise GuestError(errno.EFAULT)
        if prot & PROT_WRITE and self._plan.writers:  # a syscall writes code some mapping may rewrite
            self._code_written(addr, length)
        return self.mem[addr:addr + length]

    def read(self, addr, length):
        return bytes(self.view(addr, length))

    def write(self, addr, data):
        self.view(addr, len(data), PROT_WRITE)[:] = data

    def cstring(self, addr, limit=4096):
        """The NUL-terminated bytes at addr; EFAULT if unreadable, ENAMETOOLONG past limit."""
        i = _bisect_right(self._starts, addr) - 1
        if i >= 0:
            # the usual string: short, in one mapping; one copy of at most 256 bytes and a find,
            # where memchr through ctypes cost a microsecond
            v = self.vmas[i]
            stop = v.eof  # past a file's end the host has zero pages: the kernel's copy faults there
            if addr < stop and v.prot & PROT_READ:
                head = self.mem[addr:min(addr + (256 if limit >= 255 else limit + 1), stop)].tobytes()
                end = head.find(0)
                if end >= 0:
                    return head[:end]
        avail = self.accessible(addr, limit + 1, PROT_READ)
        if not avail:
            raise GuestError(errno.EFAULT)
        hit = host.memchr(self.base + addr, 0, avail)
        if hit is None:
            raise GuestError(errno.EFAULT if avail <= limit else errno.ENAMETOOLONG)
        return bytes(self.mem[addr:hit - self.base])

    # ---- VMA list edits (host and Unicorn follow) -------------------------

    def _insert(self, vma):
        i = bisect.bisect_left(self._starts, vma.start)
        self.vmas.insert(i, vma)
        self._starts.insert(i, vma.start)

    def _split_at(self, addr):
        i = self._index(addr)
        if i >= 0 and self.vmas[i].start != addr:
            upper = self.vmas[i].split(addr)
            self.vmas.insert(i + 1, upper)
            self._starts.insert(i + 1, upper.start)

    def _coalesce(self, lo, hi):
        """Merge the mergeable neighbours among the VMAs touching [lo, hi] (the one ending
        at lo and the one starting at hi included); return the VMAs that absorbed others."""
        i = max(bisect.bisect_left(self._starts, lo) - 1, 0)
        j = bisect.bisect_right(self._starts, hi)  # VMAs [i, j) touch the range
        merged = []
        while i + 1 < j:
            lower, upper = self.vmas[i], self.vmas[i + 1]
            if not mergeable(lower, upper):
                i += 1
                continue
            if not merged or merged[-1] is not lower:
                merged.append(lower)
            lower.end = upper.end
            lower.eof = upper.eof  # anonymous: both end where they end
            if lower.lineage is None:
                lower.lineage = upper.lineage
            del self.vmas[i + 1]
            del self._starts[i + 1]
            j -= 1
        return merged

    def _publish(self, lo, hi):
        """Hand the new VMAs in [lo, hi) (not yet mirrored) to every CPU, merged with their
        neighbours first. Unicorn's cost of a new region grows with the square of the number
        it has (exec.c, find_ram_offset), so a merged VMA's pages join its neighbouring
        regions (_join_regions)."""
        self._coalesce(lo, hi)
        for v in self.overlapping(lo, hi):
            if v.lineage is None:  # from now on its own mapping, as if touched
                v.lineage = object()
            start, end = max(v.start, lo), min(v.end, hi)
            for uc in self.cpus:
                if v.eof < v.end:  # a file mapping past its file's end (never merged): its own regions
                    self._mirror(uc, v)
                else:
                    self._join_regions(uc, v, start, end)

    def _join_regions(self, uc, vma, lo, hi):
        """Mirror vma's new pages [lo, hi) in uc as one region with the neighbouring regions
        of vma no more than twice its size, or half of it, repeatedly. A region's
        replacement costs Unicorn a step per page (memory_unmap flushes the TLB a page at a
        time), so joining only regions of like sizes sends each page through O(log n)
        joins: the heap grown a page at a time is a few regions, not one per growth."""
        prot = self._region_prot(uc, vma)
        if lo == vma.start and hi == vma.end:  # nothing of vma in uc besides: no regions to ask for
            uc.mem_map_ptr(lo, hi - lo, prot, self.base + lo)
            return
        regions = sorted((s, e + 1) for s, e, _ in uc.mem_regions() if vma.start <= s and e < vma.end)
        below = [r for r in regions if r[1] <= lo]
        above = [r for r in regions if r[0] >= hi]
        gone = []
        while True:
            size = hi - lo
            left = below[-1] if below and below[-1][1] == lo else None
            right = above[0] if above and above[0][0] == hi else None
            alike = [r for r in (left, right) if r and max(size, r[1] - r[0]) <= 2 * min(size, r[1] - r[0])
                     and r[1] - r[0] <= _JOIN_MAX]
            if not alike:
                break
            pick = min(alike, key=lambda r: r[1] - r[0])
            gone.append(pick)
            if pick is left:
                below.pop()
                lo = pick[0]
            else:
                above.pop(0)
                hi = pick[1]
        for start, end in gone:
            uc.mem_unmap(start, end - start)
        uc.mem_map_ptr(lo, hi - lo, prot, self.base + lo)

    def _remerge(self, lo, hi, cpus):
        """After a protection change of [lo, hi) (mirrored already): merge what now can be,
        the changed pages joining the merged VMA's regions as new pages do in `cpus` (a
        CPU whose regions have no rights of their own needs no change)."""
        for vma in self._coalesce(lo, hi):
            start, end = max(vma.start, lo), min(vma.end, hi)
            for uc in cpus:
                uc.mem_unmap(start, end - start)  # may span several regions
                self._join_regions(uc, vma, start, end)

    def _carve(self, start, end):
        """Split VMAs at the range's edges; return the VMAs now inside it."""
        self._split_at(start)
        self._split_at(end)
        return self.overlapping(start, end)

    def find_free(self, length, hint=0):
        """A free range: the hint if it is free, else top-down below mmap_top."""
        if hint and self.is_free(page_floor(hint), page_floor(hint) + length):
            return page_floor(hint)
        top = self.mmap_top
        for v in reversed(self.vmas):
            if v.start >= top:
                continue
            if v.end <= top - length:
                return top - length
            top = min(top, v.start)
        if top - length >= PAGE * 16:  # keep the low pages unmapped, as mmap_min_addr does
            return top - length
        raise GuestError(errno.ENOMEM)

    def map(self, addr, length, prot, *, kind="anon", fd=-1, offset=0, name="", replace=True, host_map=None,
            flags=0):
        """Map [addr, addr+length) (page aligned). With replace, existing mappings there go.
        host_map(host address, length), when given, makes the host mapping (SysV shmat).
        flags: the mmap flags of KEPT_FLAGS the mapping was asked with."""
        length = page_ceil(length)
        end = addr + length
        if addr < 0 or end > self.size or length <= 0:
            raise GuestError(errno.ENOMEM)
        if self.overlapping(addr, end):
            if not replace:
                raise GuestError(errno.EEXIST)
            self._charge(addr, end, prot, kind, name)
            self.unmap(addr, length)
        else:
            self._charge(addr, end, prot, kind, name)
        fd_stat = None
        eof, mapped_file = end, None
        haddr = self.base + addr
        try:
            if host_map is not None:
                host_map(haddr, length)
            elif kind == "anon":
                host.mmap(haddr, length, host.PROT_READ | host.PROT_WRITE,
                          host.MAP_PRIVATE | host.MAP_ANONYMOUS | host.MAP_NORESERVE | host.MAP_FIXED)
            elif kind == "shared" and fd < 0:
                host.mmap(haddr, length, host.PROT_READ | host.PROT_WRITE,
                          host.MAP_SHARED | host.MAP_ANONYMOUS | host.MAP_FIXED)
            else:
                fd_stat = os.fstat(fd)
                in_file = self._map_file(haddr, length, prot, kind, fd, offset, fd_stat.st_size)
                if in_file < length and stat.S_ISREG(fd_stat.st_mode):
                    eof, mapped_file = addr + in_file, _mapped_file(fd, self.own_fds)
        except OSError:
            host.release(haddr, length)
            raise
        if host_map is not None:  # a SysV segment: writable unless attached SHM_RDONLY
            maywrite = bool(prot & PROT_WRITE)
        else:
            maywrite = not (kind == "shared" and fd >= 0 and _access_mode(fd) == os.O_RDONLY)
        vma = Vma(addr, end, prot, kind, name, offset, fd_stat, maywrite, flags=flags & KEPT_FLAGS,
                  eof=eof, file=mapped_file)
        self._insert(vma)
        self._publish(addr, end)
        self._replan_if([vma])
        return addr

    @staticmethod
    def _map_file(haddr, length, prot, kind, fd, offset, file_size):
        """The host mapping; returns how many bytes of it are the file's. Pages wholly
        past the end of the file would raise SIGBUS in the host: they are anonymous
        zero pages here, which the guest cannot reach (Vma.eof)."""
        in_file = min(length, max(0, page_ceil(file_size - offset))) if file_size > offset else 0
        if kind == "shared":
            hprot = host.PROT_READ | (host.PROT_WRITE if prot & PROT_WRITE else 0)
            flags = host.MAP_SHARED
        else:
            hprot = host.PROT_READ | host.PROT_WRITE
            flags = host.MAP_PRIVATE
        if in_file:
            host.mmap(haddr, in_file, hprot, flags | host.MAP_FIXED, fd, offset)
        if in_file < length:
            host.mmap(haddr + in_file, length - in_file, host.PROT_READ | host.PROT_WRITE,
                      host.MAP_PRIVATE | host.MAP_ANONYMOUS | host.MAP_FIXED)
        return in_file

    def unmap(self, addr, length):
        end = addr + page_ceil(length)
        gone = self._carve(addr, end)
        for v in gone:
            for uc in self.cpus:
                uc.mem_unmap(v.start, v.end - v.start)
            host.release(self.base + v.start, v.end - v.start)
            i = self._index(v.start)
            del self.vmas[i]
            del self._starts[i]
        self._replan_if(gone)

    def protect(self, addr, length, prot):
        end = addr + page_ceil(length)
        # the kernel wants the whole range mapped
        if self.accessible(addr, end - addr, 0) < end - addr:
            raise GuestError(errno.ENOMEM)
        if prot & PROT_WRITE and any(not v.maywrite for v in self.overlapping(addr, end)):
            raise GuestError(errno.EACCES)  # shared, of a file opened read-only
        if self.limits is not None and self.limits.active and limits.is_data(prot, "anon", ""):
            # pages becoming writable private data count against RLIMIT_DATA (mprotect's ENOMEM)
            limits.check_growth(self, 0, sum(min(v.end, end) - max(v.start, addr)
                                             for v in self.overlapping(addr, end)
                                             if v.kind != "shared" and v.name != "[stack]"
                                             and not v.prot & PROT_WRITE))
        # Only the calling thread's CPU follows the change now; the others do when they
        # next run guest code (catch_up): threads that mprotect while others run (QEMU's
        # vma-pthread) made every call cost a region split and merge in each CPU
        me = getattr(_running, "uc", None)
        cpus = [me] if me is not None and me in self.cpus and len(self.cpus) > 1 else self.cpus
        changed = self._carve(addr, end)
        was_exec = any(v.prot & PROT_EXEC for v in changed)
        code = taken = False  # whether code gained or lost PROT_EXEC; whether any right went
        for v in changed:
            if v.kind == "shared" and v.fd_stat is not None and (prot & PROT_WRITE) != (v.prot & PROT_WRITE) \
                    and v.eof > v.start:
                self._host_protect(v, prot | v.region_extra)  # EACCES on a read-only fd
            old, v.prot = v.prot, prot
            taken |= bool(old & ~prot)
            # code made executable may be new (written by the host), code made
            # non-executable must fault at once: either way its translations go
            code |= bool((old ^ prot) & PROT_EXEC)
            for uc in cpus:
                if (old | prot) & PROT_EXEC:
                    uc.ctl_remove_cache(v.start, v.end)
                if v.eof > v.start and uc not in self.rights_in_tlb:
                    uc.mem_protect(v.start, v.eof - v.start, prot | v.region_extra)
        for uc in cpus:
            if taken:  # rights taken away: no TLB entry may keep them
                uc.ctl_flush_tlb()
        self._remerge(addr, end, [uc for uc in cpus if uc not in self.rights_in_tlb])
        self._replan_if(changed, was_exec)
        if cpus is not self.cpus:
            for uc in self.cpus:
                if uc is me:
                    continue
                if uc not in self.rights_in_tlb:
                    self._stale(uc, addr, end)
                elif code:
                    self._stale(uc, addr, end)
                elif taken:
                    self.stale.setdefault(uc, [])  # a TLB to flush

    def _stale(self, uc, lo, hi):
        """[lo, hi) changed while uc did not run: for catch_up."""
        ranges = self.stale.setdefault(uc, [])
        ranges.append((lo, hi))
        if len(ranges) > STALE_MOST:  # a CPU that has not run for long: keep it short
            ranges[:] = _merged(ranges)

    def remap(self, old, old_size, new_size, may_move, new_addr=None):
        """mremap: grow or shrink in place, or move (host pages move with host mremap)."""
        old_size, new_size = page_ceil(old_size), page_ceil(new_size)
        vma = self.find(old)
        if vma is None or self.accessible(old, old_size, 0) < old_size:
            raise GuestError(errno.EFAULT)
        if new_addr is None:
            if new_size <= old_size:
                if new_size < old_size:
                    self.unmap(old + new_size, old_size - new_size)
                return old
            tail = self.find(old + old_size - 1)
            if tail.kind == "anon" and self.is_free(old + old_size, old + new_size):
                self.map(old + old_size, new_size - old_size, tail.prot, name=tail.name, flags=tail.flags)
                return old
            if not may_move:
                raise GuestError(errno.ENOMEM)
            new_addr = self.find_free(new_size)
        else:
            if new_size < old_size:  # shrinking while moving: the tail goes first (the kernel's mremap_to)
                self.unmap(old + new_size, old_size - new_size)
                old_size = new_size
            if self.overlapping(new_addr, new_addr + new_size):
                self.unmap(new_addr, new_size)
        return self._move(old, old_size, new_size, new_addr)

    def _move(self, old, old_size, new_size, new):
        if new_size > old_size and self.limits is not None:
            last = self.find(old + old_size - 1)
            limits.check_growth(self, new_size - old_size,
                                new_size - old_size if limits.is_data(last.prot, last.kind, last.name) else 0)
        pieces = self._carve(old, old + old_size)
        prot, kind, name, offset, fd_stat = pieces[0].prot, pieces[0].kind, pieces[0].name, pieces[0].offset, pieces[0].fd_stat
        for uc in self.cpus:
            for v in pieces:
                uc.mem_unmap(v.start, v.end - v.start)
        for v in pieces:
            i = self._index(v.start)
            del self.vmas[i]
            del self._starts[i]
        # Piece by piece, the last taking the growth, so a file mapping grows with its file.
        pos = new
        for i, v in enumerate(pieces):
            size = v.end - v.start
            self._host_move(self.base + v.start, size, new_size - old_size if i == len(pieces) - 1 else 0,
                            self.base + pos)
            pos += size
        if new != old:
            host.release(self.base + old, old_size)  # keep the reservation whole
        # the pages keep their contents; each old piece keeps its protection
        pos = new
        for v in pieces:
            self._insert(v.moved(pos))
            pos += v.end - v.start
        if new_size > old_size:
            last = pieces[-1]
            grown = Vma(pos, new + new_size, prot, kind, name, offset + old_size if kind != "anon" else 0,
                        fd_stat, last.maywrite, flags=last.flags, file=last.file)
            if fd_stat is not None and last.eof < last.end:
                grown.eof = pos  # the file ended before: so does this part (until it grows)
            elif fd_stat is not None:
                grown.eof = pos + self._file_part(self.base + pos, grown.end - pos)
            if grown.eof < grown.end:  # the host's pages there would raise SIGBUS in the emulator
                host.mmap(self.base + grown.eof, grown.end - grown.eof, host.PROT_READ | host.PROT_WRITE,
                          host.MAP_PRIVATE | host.MAP_ANONYMOUS | host.MAP_FIXED)
            self._insert(grown)
        self._publish(new, new + new_size)
        self._replan_if(pieces)
        return new

    @staticmethod
    def _host_move(old, size, grow, new):
        """Move the host pages [old, old+size) to new, `grow` more bytes at the end. A merged
        VMA may lie in several host mappings, which one host mremap refuses to span (EFAULT):
        then one host mapping at a time (each fills its part of the destination)."""
        try:
            host.mremap_fixed(old, size, size + grow, new)
            return
        except OSError as e:
            if e.errno != errno.EFAULT:
                raise
        edges = [old] + host.mapping_starts(old, old + size) + [old + size]
        for lo, hi in zip(edges, edges[1:]):
            host.mremap_fixed(lo, hi - lo, hi - lo + (grow if hi == old + size else 0), new + (lo - old))

    @staticmethod
    def _file_part(haddr, length):
        """How many bytes from haddr of a host file mapping the file covers (the rest
        would raise SIGBUS): found page by page, by a copy that fails instead."""
        for at in range(0, length, PAGE):
            if not host.readable(haddr + at):
                return at
        return length

    # ---- faults the kernel resolves, or turns into SIGBUS --------------------

    def explain_fault(self, address):
        """A guest access to `address` faulted: "retry" when it works now (a grows-down
        mapping grew to it, the file behind the mapping grew), "SIGBUS" where the kernel
        sends that (a page past the end of a mapping's file), None for SIGSEGV."""
        i = self._index(address)
        if i >= 0:
            v = self.vmas[i]
            if address < v.eof:
                return None
            return "retry" if self._file_grew(v, address) else "SIGBUS"
        i = bisect.bisect_right(self._starts, address)  # the mapping above the address
        if i < len(self.vmas) and self.vmas[i].growsdown and self._grow_down(i, address):
            return "retry"
        return None

    def _file_grew(self, v, address):
        """The file behind v now reaches `address`: its pages replace the anonymous ones."""
        if v.file is None:
            return False
        try:
            size = v.file.size()
        except OSError:
            return False
        eof = min(v.end, v.start + page_ceil(size - v.offset)) if size > v.offset else v.start
        if eof <= address:
            return False
        at = v.eof
        if v.kind == "shared":
            hprot, flags = host.PROT_READ | (host.PROT_WRITE if v.prot & PROT_WRITE else 0), host.MAP_SHARED
        else:
            hprot, flags = host.PROT_READ | host.PROT_WRITE, host.MAP_PRIVATE
        host.mmap(self.base + at, eof - at, hprot, flags | host.MAP_FIXED, v.file.fd, v.offset + at - v.start)
        v.eof = eof
        for uc in self.cpus:
            uc.mem_protect(at, eof - at, self._region_prot(uc, v))
        self._replan_if([v])  # more of it may be an alias now
        return True

    def _grow_down(self, i, address):
        """Extend the grows-down mapping vmas[i] down to address's page, as the kernel's
        expand_downwards: not within STACK_GUARD_GAP of an accessible mapping below, and
        not past RLIMIT_STACK."""
        import resource
        v = self.vmas[i]
        start = page_floor(address)
        below = self.vmas[i - 1] if i else None
        if start < PAGE * 16 or (below is not None and below.prot and start - below.end < STACK_GUARD_GAP):
            return False
        limit = resource.getrlimit(resource.RLIMIT_STACK)[0]
        if limit != resource.RLIM_INFINITY and v.end - start > limit:
            return False
        host.mmap(self.base + start, v.start - start, host.PROT_READ | host.PROT_WRITE,
                  host.MAP_PRIVATE | host.MAP_ANONYMOUS | host.MAP_NORESERVE | host.MAP_FIXED)
        for uc in self.cpus:
            uc.mem_map_ptr(start, v.start - start, self._region_prot(uc, v), self.base + start)
        v.start = self._starts[i] = start
        self._replan_if([v])  # an executable stack is writable code
        return True

    def discard(self, addr, length):
        """MADV_DONTNEED: private pages read back as zero (or as the file) again."""
        length = page_ceil(length)
        if self.accessible(addr, length, 0) < length:
            raise GuestError(errno.ENOMEM)
        host.madvise(self.base + addr, length, host.MADV_DONTNEED)

    def sync(self, addr, length, flags):
        length = page_ceil(length)
        if self.accessible(addr, length, 0) < length:
            raise GuestError(errno.ENOMEM)
        host.msync(self.base + addr, length, flags)
