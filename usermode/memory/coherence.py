"""Code that a store through another mapping, or by another thread, rewrites.

Each Unicorn instance notices a store to code it translated (QEMU's notdirty path), but
only a store through the same region of its RAM and by the same instance. Two gaps are left:

Aliases. Two guest mappings of the same memory (a memfd or a file mapped MAP_SHARED twice, a
SysV segment attached twice) are two regions: a store through the writable one never meets the
code translated through the executable one. So under the virtual TLB every page of such a
group gets, as its "physical" address, the page of the lowest executable member holding the
same memory: its home. Code is translated there and stores land there, so QEMU's own check
sees them. What Unicorn 2.1.4 needs for that (its qemu/accel/tcg/cputlb.c, translate-all.c):
- A write TLB entry starts "not dirty" (every store takes the slow path, which looks for
  code) and turns fast after its first store unless the entry may also execute or a memory
  hook covers its page (notdirty_write, uc_mem_hook_installed). After translating code Unicorn
  marks again only the entries of the code's own *virtual* page (tb_gen_code,
  tlb_reset_dirty_by_vaddr; its tlb_protect_code does nothing): an entry of the writable
  member filled before the code was translated would stay fast. So every home range carries
  a fetch-from-unmapped hook, which never fires on mapped pages but keeps stores to the home
  on the slow path for good.
- notdirty_write looks for code only where the home's *region* may execute, and a store is
  checked against the region's write right: a home's region gets read and write rights as
  well as its own (region_extra), and its host pages too (a shared file's are mapped
  read-only where the guest may not write); the fill hook still grants loads and stores by
  each mapping's own rights, so nothing more is reachable. So a home is an executable member
  that may be made writable (not of a file opened read-only).
- A fetch through a member that may not execute is refused by the fill hook, as any
  fetch of a page without PROT_EXEC (space.py: the regions have every right); Unicorn's own
  look-up of it keeps its own page, with no data rights (loads and stores fill again
  with the home).

Threads. Where a program says nothing when it rewrites code (cpu CODE_CHANGES_HEARD False:
x86, s390x, PowerPC) another thread's stores reach this instance's translations only if it
drops them: a thread taking the emulator lock after another held it (only one runs guest
code at a time) drops its translations of `writable_code`: the W|X mappings and the homes a
writable member reaches. A syscall writing there drops them in every instance at once.
Ordinary programs have none of either: the plan is empty and nothing is paid. A program with
W|X memory pays per change of holder for every page of it (Unicorn looks each one up): two
x86-64 threads handing a condition variable back and forth 20,000 times took 0.79 s of CPU,
0.90 s beside a 1 MiB W|X mapping and 2.1 s beside a 64 MiB one (about 33 us a handover).
"""
from .. import raw
from ..uc import UC_HOOK_MEM_FETCH_UNMAPPED, UC_HOOK_MEM_WRITE

PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4

# a fetch-from-unmapped hook for the homes: never called there (they are mapped)
_NEVER = raw.MEM_INVALID_CALLBACK(lambda handle, access, address, size, value, user_data: False)


def group_key(v):
    """What names the memory behind a mapping others may share within the process: the
    file's (device, inode), a SysV segment's name; None for private or anonymous memory."""
    if v.kind != "shared" or v.eof <= v.start:
        return None
    if v.fd_stat is not None:
        return (v.fd_stat.st_dev, v.fd_stat.st_ino)
    if v.name.startswith("/SYSV"):
        return v.name
    return None


def matters(v):
    """Whether a change to mapping v may change the plan: executable, or shared memory."""
    return bool(v.prot & PROT_EXEC) or group_key(v) is not None


class Plan:
    """aliases: vma -> [(lo, hi, delta)]: its pages [lo, hi) live at [lo+delta, hi+delta);
    homes: [(vma, lo, hi)] executable pages stores through another member reach;
    writable_code: [(lo, hi)] code a store may rewrite, in the addresses it is translated at;
    writers: the mappings a store to which may rewrite code;
    code_at: writer -> [(lo, hi, delta)]: its pages [lo, hi) are code translated at +delta
    (besides at themselves); watched: [(lo, hi)] writer pages whose every store must drop
    that code (no homes: the CPU's own TLB)."""

    __slots__ = ("aliases", "homes", "writable_code", "writers", "code_at", "watched")

    def __init__(self):
        self.aliases, self.homes, self.writable_code, self.writers = {}, [], [], set()
        self.code_at, self.watched = {}, []


def _overlaps(m, e):
    """[(lo, hi, delta)]: m's pages holding what e's pages [lo+delta, hi+delta) hold."""
    c = max(m.offset, e.offset)
    d = min(m.offset + m.eof - m.start, e.offset + e.eof - e.start)
    if c >= d:
        return []
    return [(m.start + c - m.offset, m.start + d - m.offset, (e.start - e.offset) - (m.start - m.offset))]


def plan(vmas, redirect):
    """The plan for these mappings (sorted by address); redirect: whether aliases get homes
    (only the virtual TLB's fill hook can give them)."""
    out = Plan()
    groups = {}
    for v in vmas:
        key = group_key(v)
        if key is not None:
            groups.setdefault(key, []).append(v)
    grouped = set()
    for group in groups.values():
        execs = [v for v in group if v.prot & PROT_EXEC]
        if not execs or len(group) < 2:
            continue
        writable = [v for v in group if v.prot & PROT_WRITE]
        if not writable:  # nothing rewrites the code (an mprotect that changes it plans again)
            continue
        grouped.update(group)
        out.writers.update(writable)
        # a home's host pages take the redirected stores: it must be memory it may write
        # (not a file opened read-only); an executable member of such a file keeps its pages
        homes = [e for e in execs if e.maywrite] if redirect else []
        # code that stays where it lies (no homes: the CPU's own TLB): stores to the same
        # memory elsewhere drop it, through a store hook where no cache maintenance is heard
        for e in execs:
            if e not in homes:
                out.writable_code.append((e.start, e.eof))
                for m in writable:
                    pieces = _overlaps(m, e) if m is not e else []
                    out.code_at.setdefault(m, []).extend(pieces)
                    out.watched += [(lo, hi) for lo, hi, _ in pieces]
        if not homes:
            continue
        for m in group:
            pieces = []
            free = [(m.offset, m.offset + m.eof - m.start)]  # file offsets without a home yet
            for e in homes:  # the lowest executable member holding an offset is its home
                e_lo, e_hi = e.offset, e.offset + e.eof - e.start
                rest = []
                for a, b in free:
                    c, d = max(a, e_lo), min(b, e_hi)
                    if c >= d:
                        rest.append((a, b))
                        continue
                    rest += [r for r in ((a, c), (d, b)) if r[0] < r[1]]
                    lo, hi = m.start + c - m.offset, m.start + d - m.offset
                    if e is m:
                        out.homes.append((m, lo, hi))
                    else:
                        pieces.append((lo, hi, (e.start - e.offset) - (m.start - m.offset)))
                free = rest
            if pieces:
                out.aliases[m] = pieces
                if m.prot & PROT_WRITE:
                    out.code_at.setdefault(m, []).extend(pieces)
    out.writable_code += [(lo, hi) for _, lo, hi in out.homes]
    for v in vmas:
        if v.prot & (PROT_WRITE | PROT_EXEC) == PROT_WRITE | PROT_EXEC and v not in grouped:
            out.writable_code.append((v.start, v.end))
            out.writers.add(v)
    return out


def home_of(pieces, page):
    """The page's home (the fill hook's physical address) under a mapping's aliases."""
    for lo, hi, delta in pieces:
        if lo <= page < hi:
            return page + delta
    return page


class CodeHooks:
    """Each CPU's hooks the plan needs: a fetch-from-unmapped hook over each home (see the
    module's docstring); without homes (the CPU's own TLB, where the emulator hears of no
    code change), a store hook over each watched page, which drops the code it reaches
    (`stored(address, size)`): a call per store there, paid only by such a program."""

    def __init__(self, stored):
        self.handles = {}  # uc -> [hook handle]

        def on_store(handle, access, address, size, value, user_data):
            try:
                stored(address, size)
            except BaseException as e:  # never let an exception vanish inside the C callback
                raw.emu_stop(handle)
                raise e
        self._on_store = raw.MEM_CALLBACK(on_store)

    def set(self, uc, plan, watch):
        """watch: whether stores to plan.watched need the hook (no cache maintenance heard)."""
        for handle in self.handles.pop(uc, ()):
            raw.del_hook(uc, handle)
        handles = [raw.add_hook(uc, UC_HOOK_MEM_FETCH_UNMAPPED, _NEVER, lo, hi - 1) for _, lo, hi in plan.homes]
        if watch:
            handles += [raw.add_hook(uc, UC_HOOK_MEM_WRITE, self._on_store, lo, hi - 1) for lo, hi in plan.watched]
        if handles:
            self.handles[uc] = handles

    def forget(self, uc):
        self.handles.pop(uc, None)
