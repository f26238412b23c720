"""gdb's view of the guest CPU: the target description (qXfer:features:read)
and register access by gdb's register number, from the cpu module's table."""


class RegisterMap:
    def __init__(self, arch):
        self.arch = arch
        self.by_number = {}
        for _feature, regs in arch.GDB_FEATURES:
            for name, bits, uc_reg, _type, number in regs:
                self.by_number[number] = (name, bits // 8, uc_reg)
        self.numbers = sorted(self.by_number)  # the order of the 'g' packet

    def xml(self):
        arch = self.arch
        parts = ['<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target version="1.0">',
                 f"<architecture>{arch.GDB_ARCHITECTURE}</architecture><osabi>GNU/Linux</osabi>"]
        for i, (feature, regs) in enumerate(arch.GDB_FEATURES):
            parts.append(f'<feature name="{feature}">')
            if i == 1:
                parts.append(arch.GDB_TYPES)  # the vector / FP types the second feature uses
            for name, bits, _uc, gdb_type, number in regs:
                parts.append(f'<reg name="{name}" bitsize="{bits}" type="{gdb_type}" regnum="{number}"/>')
            parts.append("</feature>")
        parts.append("</target>")
        return "".join(parts).encode()

    def read(self, uc, number):
        """The register's bytes, little-endian as the guest's; None if gdb asks for one we lack."""
        entry = self.by_number.get(number)
        if entry is None:
            return None
        _name, size, uc_reg = entry
        if hasattr(uc_reg, "read"):  # a register Unicorn lacks: the cpu module's (None: unavailable)
            value = uc_reg.read(uc)
            if value is None:
                return None
        else:  # a callable: a register the kernel keeps (orig_rax)
            value = uc_reg(uc) if callable(uc_reg) else uc.reg_read(uc_reg)
        return (value & ((1 << (8 * size)) - 1)).to_bytes(size, self.arch.ABI.endian)

    def write(self, uc, number, data):
        entry = self.by_number.get(number)
        if entry is None or len(data) != entry[1]:
            return False
        value = int.from_bytes(data, self.arch.ABI.endian)
        if hasattr(entry[2], "write"):
            return entry[2].write(uc, value) is not False  # False: unavailable, not written
        elif callable(entry[2]):
            return True  # the kernel's own bookkeeping: a write changes nothing here
        else:
            uc.reg_write(entry[2], value)
        return True

    def read_all(self, uc):
        """The 'g' packet's hex: an unavailable register is 'x's, as the protocol allows."""
        return b"".join(data.hex().encode() if data is not None else b"xx" * self.by_number[n][1]
                        for n, data in ((n, self.read(uc, n)) for n in self.numbers))

    def write_all(self, uc, data):
        pos = 0
        for n in self.numbers:
            size = self.by_number[n][1]
            if pos + size > len(data):
                break
            self.write(uc, n, data[pos:pos + size])
            pos += size
