"""struct termios between ABIs whose terminal constants differ (MIPS: c_lflag's
IEXTEN, TOSTOP and FLUSHO elsewhere, 23 control characters with VMIN at 4 and VEOF
at 16): every flag by name, the multi-bit fields (speeds, character size, delays)
by the name of their value, each control character by its V* name.

The names are the kernel's (asm/termbits.h); their values come from each ABI's
generated table (the TERMIOS group), so nothing here is a number.
"""
import functools

# single-bit flags of each field, and its multi-bit fields: (mask, values)
_FIELDS = {
    "c_iflag": ("IGNBRK BRKINT IGNPAR PARMRK INPCK ISTRIP INLCR IGNCR ICRNL IUCLC IXON IXANY IXOFF "
                "IMAXBEL IUTF8", ()),
    "c_oflag": ("OPOST OLCUC ONLCR OCRNL ONOCR ONLRET OFILL OFDEL",
                (("NLDLY", "NL0 NL1"), ("CRDLY", "CR0 CR1 CR2 CR3"), ("TABDLY", "TAB0 TAB1 TAB2 TAB3"),
                 ("BSDLY", "BS0 BS1"), ("VTDLY", "VT0 VT1"), ("FFDLY", "FF0 FF1"))),
    "c_cflag": ("CSTOPB CREAD PARENB PARODD HUPCL CLOCAL CMSPAR CRTSCTS",
                (("CSIZE", "CS5 CS6 CS7 CS8"), ("CBAUD", "*speeds"), ("CIBAUD", "*speeds"))),
    "c_lflag": ("ISIG ICANON XCASE ECHO ECHOE ECHOK ECHONL NOFLSH TOSTOP ECHOCTL ECHOPRT ECHOKE FLUSHO "
                "PENDIN IEXTEN EXTPROC", ()),
}
_CONTROL = ("VINTR VQUIT VERASE VKILL VEOF VTIME VMIN VSWTC VSTART VSTOP VSUSP VEOL VREPRINT VDISCARD "
            "VWERASE VLNEXT VEOL2").split()


def _speeds(table):
    return [n for n in table if n[0] == "B" and n[1:].isdigit()]


@functools.lru_cache(maxsize=None)
def _plan(src, dst):
    """For each field: [(src bits, dst bits)] for single bits, [(src mask, {src value:
    dst value}, dst mask)] for multi-bit fields; and [(src index, dst index)] for c_cc."""
    fields = {}
    for field, (bits, groups) in _FIELDS.items():
        singles = [(src[n], dst[n]) for n in bits.split() if n in src and n in dst]
        multi = []
        for mask, values in groups:
            if mask not in src or mask not in dst:
                continue
            names = _speeds(src) if values == "*speeds" else values.split()
            # CIBAUD holds the input speed: the CBAUD values shifted up to its place
            s_shift = _shift(src, mask)
            d_shift = _shift(dst, mask)
            table = {src[n] << s_shift: dst[n] << d_shift for n in names if n in src and n in dst}
            multi.append((src[mask], table, dst[mask]))
        fields[field] = (singles, multi)
    control = [(src[n], dst[n]) for n in _CONTROL if n in src and n in dst]
    return fields, control


def _low_bit(mask):
    return (mask & -mask).bit_length() - 1


def _shift(table, mask):
    """0, or for CIBAUD the distance between it and CBAUD."""
    if mask != "CIBAUD":
        return 0
    shift = 0
    while table["CBAUD"] << shift != table["CIBAUD"] and shift < 32:
        shift += 1
    return shift


def _convert(values, src, dst, cc_size):
    fields, control = _plan(src, dst)
    out = dict(values)
    for field, (singles, multi) in fields.items():
        v, new = values[field], 0
        for s_bit, d_bit in singles:
            if v & s_bit:
                new |= d_bit
        for s_mask, table, d_mask in multi:
            value = v & s_mask
            if value in table:
                new |= table[value]
            elif s_mask == d_mask:  # no names for its values (CS5..CS8 are not in the
                new |= value        # generated tables): the same field holds the same values
            else:  # ... or the same number, in a field elsewhere (CSIZE: 0x30 on x86, 0x300 on ppc)
                new |= (value >> _low_bit(s_mask)) << _low_bit(d_mask) & d_mask

        out[field] = new
    cc = values["c_cc"]
    new_cc = bytearray(cc_size)
    for s_index, d_index in control:
        if s_index < len(cc) and d_index < cc_size:
            new_cc[d_index] = cc[s_index]
    out["c_cc"] = bytes(new_cc)
    return out


def _table(tables):
    return _Dict(tuple(sorted(tables.TERMIOS.items())))


def to_host(abi, values, host_cc):
    """A guest termios' fields (Layout.unpack) as the host's: host_cc control characters."""
    return _convert(values, _table(abi.tables), _table(abi.host), host_cc)


def to_guest(abi, values, guest_cc):
    table = _table(abi.tables)
    out = _convert(values, _table(abi.host), table, guest_cc)
    # PowerPC's struct also holds the speeds as numbers (c_ispeed, c_ospeed): the
    # kernel's copy of its termios, which says what CBAUD and CIBAUD say
    out["c_ospeed"] = _baud(table, out["c_cflag"] & table.get("CBAUD", 0))
    cibaud = (out["c_cflag"] & table.get("CIBAUD", 0)) >> _shift(table, "CIBAUD") if "CIBAUD" in table else 0
    out["c_ispeed"] = _baud(table, cibaud) if cibaud else out["c_ospeed"]
    return out


def _baud(table, value):
    """The speed a CBAUD value names (B38400 -> 38400), 0 if none."""
    return next((int(n[1:]) for n in _speeds(table) if table[n] == value), 0)


class _Dict(dict):
    """A table that can key _plan's cache."""

    def __init__(self, items):
        super().__init__(items)
        self._key = items

    def __hash__(self):
        return hash(self._key)

    def __eq__(self, other):
        return self._key == getattr(other, "_key", None)
