"""Translation tables between guest and host constants, usable both ways.

Both sides come from the generated tables (usermode/tables/), matched by name.
When guest and host agree on every value (riscv64 and x86-64 mostly do) the
maps become identities and cost nothing.
"""


class ValueMap:
    """Enumerated values (errno, signal numbers, ...)."""

    def __init__(self, guest, host):
        common = [n for n in guest if n in host]
        self.to_host_map = {}
        self.to_guest_map = {}
        for name in sorted(common):  # sorted: aliases resolve the same way every run
            self.to_host_map.setdefault(guest[name], host[name])
            self.to_guest_map.setdefault(host[name], guest[name])
        self.identity = all(k == v for k, v in self.to_host_map.items()) and \
            all(k == v for k, v in self.to_guest_map.items())
        self.guest_names = {}
        for name, value in sorted(guest.items()):
            self.guest_names.setdefault(value, name)

    def to_host(self, value):
        return value if self.identity else self.to_host_map.get(value, value)

    def to_guest(self, value):
        return value if self.identity else self.to_guest_map.get(value, value)

    def name(self, guest_value):
        return self.guest_names.get(guest_value)


class FlagMap:
    """Bit flags: single-bit names are translated bit by bit, multi-bit fields
    (O_ACCMODE's values) pass through when both sides agree."""

    def __init__(self, guest, host):
        self.guest = guest
        self.bits = []  # (guest_bit, host_bit, name)
        for name, g in sorted(guest.items(), key=lambda kv: kv[1]):
            h = host.get(name)
            if h is not None and g > 0 and g & (g - 1) == 0 and h > 0 and h & (h - 1) == 0:
                self.bits.append((g, h, name))
        known = 0
        for g, _, _ in self.bits:
            known |= g
        self.known_guest = known
        self.identity = all(g == h for g, h, _ in self.bits)

    def to_host(self, value):
        if self.identity:
            return value
        out = value & ~self.known_guest
        for g, h, _ in self.bits:
            if value & g:
                out |= h
        return out

    def to_guest(self, value):
        if self.identity:
            return value
        known_host = 0
        out = 0
        for g, h, _ in self.bits:
            known_host |= h
            if value & h:
                out |= g
        return out | (value & ~known_host)

    def format(self, value, zero_name=None, field_names=()):
        """Symbolic form for -strace: O_RDONLY|O_CLOEXEC."""
        parts = []
        for field in field_names:  # multi-bit fields shown by value first, e.g. O_ACCMODE
            mask = self.guest[field[0]]
            names = {self.guest[n]: n for n in field[1:] if n in self.guest}
            parts.append(names.get(value & mask, hex(value & mask)))
            value &= ~mask
        seen = 0
        for g, _, name in self.bits:
            if value & g and not seen & g:
                parts.append(name)
                seen |= g
        rest = value & ~seen
        if rest:
            parts.append(hex(rest))
        if not parts:
            return zero_name or "0"
        return "|".join(parts)
