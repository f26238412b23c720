"""/proc/self/smaps, smaps_rollup and numa_maps for the guest's mappings.

Each guest mapping is a host mapping at base + its guest address (memory/space.py),
so the host kernel knows what is resident, dirty, shared or swapped; but its
entries describe the Python process, and the host merges neighbouring guest
mappings into one of its own. So every guest mapping gets its own entry, in the
guest's addresses and names, with:

- Rss (and numa_maps' page count) exact: mincore() over the mapping's host pages;
- the other page counters (Pss, Private_Dirty, Anonymous, dirty=, N0= ...) those
  of the host mapping(s) it lies in, shared out by resident pages (Swap by size);
- VmFlags from the guest's protection and kind.

The field names and their order are the host kernel's own (read from its files).
"""
import os

from .memory import host
from .memory.space import PAGE, PROT_EXEC, PROT_READ, PROT_WRITE

_FIXED = ("Size", "KernelPageSize", "MMUPageSize", "THPeligible", "ProtectionKey")
_BY_SIZE = ("Swap", "SwapPss")
_HOST_FLAGS_KEPT = ("sd", "mg", "hg", "nh", "lo")  # host facts that hold for the guest's pages too


def _hex_range(token):
    start, _, end = token.partition(b"-")
    return int(start, 16), int(end, 16)


def _host_smaps(lo, hi, path="/proc/self/smaps"):
    """The host's entries overlapping [lo, hi) as [(start, end, {key: value}, vmflags)],
    and the order of the keys (from every entry, overlapping or not)."""
    entries, order = [], []
    current = None
    with open(path, "rb") as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            first = parts[0]
            if not first.endswith(b":"):  # a mapping's header line: start-end perms ...
                start, end = _hex_range(first)
                current = (start, end, {}, [])
                if end > lo and start < hi:
                    entries.append(current)
                continue
            if current is None:
                continue
            key = first[:-1].decode()
            if key == "VmFlags":
                current[3].extend(x.decode() for x in parts[1:])
                continue
            if key not in order:
                order.append(key)
            if len(parts) > 1 and parts[1].isdigit():
                current[2][key] = int(parts[1])
    return entries, order


def _pieces(space, vma, host_entries):
    """(host start, host end, host entry) for the parts of vma's host pages in each host mapping."""
    hs, he = space.base + vma.start, space.base + vma.end
    for entry in host_entries:
        a, b = max(hs, entry[0]), min(he, entry[1])
        if a < b:
            yield a, b, entry


def _vmflags(vma, host_flags):
    flags = []
    if vma.prot & PROT_READ:
        flags.append("rd")
    if vma.prot & PROT_WRITE:
        flags.append("wr")
    if vma.prot & PROT_EXEC:
        flags.append("ex")
    shared = vma.kind == "shared"
    if shared:
        flags.append("sh")
    flags += ["mr", "mw", "me"]
    if shared:
        flags.append("ms")
    if vma.name == "[stack]":
        flags.append("gd")
    if not shared and vma.prot & PROT_WRITE:
        flags.append("ac")
    return flags + [f for f in _HOST_FLAGS_KEPT if f in host_flags]


def _counters(space, vma, host_entries, order):
    """{key: kB} for one guest mapping, and the host VmFlags seen over it."""
    values = {k: 0 for k in order if k not in _FIXED}
    flags = set()
    for a, b, (hs, he, counts, hflags) in _pieces(space, vma, host_entries):
        resident = host.resident_pages(a, b - a)
        host_resident = counts.get("Rss", 0) // 4
        flags.update(hflags)
        for key in values:
            if key == "Rss":
                values[key] += resident * PAGE // 1024
            elif key in _BY_SIZE:
                values[key] += counts.get(key, 0) * (b - a) // max(he - hs, 1)
            elif host_resident:
                values[key] += counts.get(key, 0) * resident // host_resident
    if "Pss" in values and "Rss" in values:  # rounding must not make Pss exceed Rss
        values["Pss"] = min(values["Pss"], values["Rss"])
    return values, flags


def _field(key, value, unit=" kB"):
    return f"{key + ':':<16}{value:>8}{unit}"


def smaps(t, tid):
    from .procfs import maps_lines
    process = t.process
    space = process.space
    host_entries, order = _host_smaps(space.base, space.base + space.size)
    out = []
    for vma, line in maps_lines(process):
        values, hflags = _counters(space, vma, host_entries, order)
        out.append(line)
        for key in order:
            if key == "Size":
                out.append(_field(key, (vma.end - vma.start) // 1024))
            elif key in ("KernelPageSize", "MMUPageSize"):
                out.append(_field(key, PAGE // 1024))
            elif key in ("THPeligible", "ProtectionKey"):
                out.append(_field(key, 0, ""))
            else:
                out.append(_field(key, values[key]))
        out.append("VmFlags: " + " ".join(_vmflags(vma, hflags)) + " ")
    for line in process.arch.extra_maps():  # the kernel's own pages ([vsyscall]): nothing resident
        start, end = _hex_range(line.split(None, 1)[0].encode())
        out.append(line)
        out += [_field(key, (end - start) // 1024 if key == "Size" else PAGE // 1024
                       if key in ("KernelPageSize", "MMUPageSize") else 0,
                       "" if key in ("THPeligible", "ProtectionKey") else " kB") for key in order]
        out.append("VmFlags: ex ")
    return "".join(line + "\n" for line in out).encode()


def smaps_rollup(t, tid):
    """The sums of smaps, with the host's rollup fields (Pss_Anon, Pss_File, Pss_Shmem)."""
    process = t.process
    space = process.space
    host_entries, order = _host_smaps(space.base, space.base + space.size)
    _, rollup_order = _host_smaps(0, 0, "/proc/self/smaps_rollup")
    totals = {k: 0 for k in rollup_order}
    for vma in space.vmas:
        values, _ = _counters(space, vma, host_entries, order)
        for key, value in values.items():
            if key in totals:
                totals[key] += value
        kind = "Pss_Anon" if vma.kind == "anon" else "Pss_Shmem" if vma.kind == "shared" and \
            vma.fd_stat is None else "Pss_File"
        if kind in totals:
            totals[kind] += values.get("Pss", 0)
    first, last = (space.vmas[0].start, space.vmas[-1].end) if space.vmas else (0, 0)
    head = f"{first:08x}-{last:08x} ---p 00000000 00:00 0"
    lines = [f"{head:<72} [rollup]"] + [_field(k, v) for k, v in totals.items()]
    return "".join(line + "\n" for line in lines).encode()


# ---- numa_maps -------------------------------------------------------------------------

_NUMA_SCALED = ("anon", "dirty", "swapcache", "active", "writeback")


def _host_numa(lo, hi):
    """{start: (end, policy, {key: value})} of the host's numa_maps entries overlapping [lo, hi)."""
    ends = {}
    with open("/proc/self/maps", "rb") as f:
        for line in f:
            start, end = _hex_range(line.split(None, 1)[0])
            if end > lo and start < hi:
                ends[start] = end
    out = {}
    with open("/proc/self/numa_maps", "rb") as f:
        for line in f:
            words = line.split()
            start = int(words[0], 16)
            if start not in ends:
                continue
            counts = {}
            for word in words[2:]:
                key, eq, value = word.partition(b"=")
                if eq and value.isdigit():
                    counts[key.decode()] = int(value)
            out[start] = (ends[start], words[1].decode(), counts)
    return out


def numa_maps(t, tid):
    from .procfs import guest_file_name
    process = t.process
    space = process.space
    entries = _host_numa(space.base, space.base + space.size)
    host_entries = sorted((s, e, policy, counts) for s, (e, policy, counts) in entries.items())
    lines = []
    for vma in space.vmas:
        policy = "default"
        pages, scaled, nodes, mapmax, active_known = 0, {k: 0 for k in _NUMA_SCALED}, {}, 0, False
        hs, he = space.base + vma.start, space.base + vma.end
        for s, e, pol, counts in host_entries:
            a, b = max(hs, s), min(he, e)
            if a >= b:
                continue
            policy = pol
            resident = host.resident_pages(a, b - a)
            total = sum(v for k, v in counts.items() if k[:1] == "N" and k[1:].isdigit())
            pages += resident
            mapmax = max(mapmax, counts.get("mapmax", 0))
            active_known = active_known or "active" in counts  # absent: every page is active
            for key, value in counts.items():
                share = value * resident // total if total else 0
                if key in scaled:
                    scaled[key] += share
                elif key[:1] == "N" and key[1:].isdigit():
                    nodes[key] = nodes.get(key, 0) + share
        line = f"{vma.start:08x} {policy}"
        if vma.kind != "anon" and vma.name and not vma.name.startswith("["):
            line += " file=" + guest_file_name(process, vma)
        elif vma.name == "[heap]":
            line += " heap"
        elif vma.name == "[stack]":
            line += " stack"
        if pages:
            scaled = {k: min(v, pages) for k, v in scaled.items()}
            if vma.kind == "anon" and not scaled["anon"]:
                scaled["anon"] = pages  # resident anonymous pages are anon, whatever the rounding
            if scaled["anon"]:
                line += f" anon={scaled['anon']}"
            if scaled["dirty"]:
                line += f" dirty={scaled['dirty']}"
            if pages != scaled["anon"] and pages != scaled["dirty"]:
                line += f" mapped={pages}"
            if mapmax > 1:
                line += f" mapmax={mapmax}"
            if scaled["swapcache"]:
                line += f" swapcache={scaled['swapcache']}"
            if active_known and scaled["active"] < pages:
                line += f" active={scaled['active']}"
            if scaled["writeback"]:
                line += f" writeback={scaled['writeback']}"
            if not nodes:
                nodes = {"N0": pages}
            # the node counts add up to the pages: rounding goes to the largest
            top = max(nodes, key=nodes.get)
            nodes[top] += pages - sum(nodes.values())
            line += "".join(f" {k}={v}" for k, v in sorted(nodes.items(), key=lambda kv: int(kv[0][1:])) if v)
            line += f" kernelpagesize_kB={PAGE // 1024}"
        lines.append(line)
    return "".join(line + "\n" for line in lines).encode()


def available():
    """The host kernel has these files (numa_maps needs CONFIG_NUMA)."""
    return {name: os.path.exists(f"/proc/self/{name}") for name in ("smaps", "smaps_rollup", "numa_maps")}
