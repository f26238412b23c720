"""ELF files: parsed with pyelftools, then checked the way the kernel's loader
checks them, so that a corrupt file is one clear error and never a traceback."""
import os
import struct

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from ..errors import UserError

PT_LOAD, PT_INTERP, PT_PHDR = 1, 3, 6
PF_X, PF_W, PF_R = 1, 2, 4
ET_EXEC, ET_DYN = 2, 3
PATH_MAX = 4096
MAX_SEGMENTS = 512  # far more than any real program; stops absurd e_phnum early


class Segment:
    __slots__ = ("type", "offset", "vaddr", "filesz", "memsz", "flags", "align")

    def __init__(self, type, offset, vaddr, filesz, memsz, flags, align):
        self.type, self.offset, self.vaddr = type, offset, vaddr
        self.filesz, self.memsz, self.flags, self.align = filesz, memsz, flags, align

    @property
    def prot(self):  # PF_* to PROT_*: R and X swap places
        return (1 if self.flags & PF_R else 0) | (2 if self.flags & PF_W else 0) | (4 if self.flags & PF_X else 0)


class ElfFile:
    """The header and program headers of one ELF file, validated."""

    def __init__(self, path, what="program"):
        self.path = path
        try:
            self.file = open(path, "rb")
        except FileNotFoundError:
            raise UserError(f"{what} '{path}': no such file") from None
        except IsADirectoryError:
            raise UserError(f"{what} '{path}': is a directory") from None
        except OSError as e:
            raise UserError(f"{what} '{path}': {e.strerror}") from None
        if os.path.isdir(path):
            raise UserError(f"{what} '{path}': is a directory")
        self.size = os.fstat(self.file.fileno()).st_size
        head = self.file.read(64)
        if head[:4] != b"\x7fELF":
            raise UserError(f"{what} '{path}': not an ELF file")
        if len(head) < 52 or head[4] not in (1, 2) or head[5] not in (1, 2):
            raise UserError(f"{what} '{path}': truncated or corrupt ELF header")
        self.elf_class = 32 if head[4] == 1 else 64
        self.little_endian = head[5] == 1
        try:
            self._parse(what)
        except (ELFError, struct.error, ValueError, OverflowError) as e:
            raise UserError(f"{what} '{path}': corrupt ELF ({e})") from None

    def _parse(self, what):
        self.file.seek(0)
        elf = ELFFile(self.file)
        h = elf.header
        where = f"{what} '{self.path}'"
        self.machine = elf["e_machine"]
        self.machine_id = struct.unpack_from("<H" if self.little_endian else ">H",
                                             self._read(18, 2))[0]
        self.type = {"ET_EXEC": ET_EXEC, "ET_DYN": ET_DYN}.get(h["e_type"])
        if self.type is None:
            raise UserError(f"{where}: not an executable (ELF type {h['e_type']})")
        self.entry = h["e_entry"]
        self.phoff, self.phentsize, self.phnum = h["e_phoff"], h["e_phentsize"], h["e_phnum"]
        expected = 32 if self.elf_class == 32 else 56
        if self.phnum == 0 or self.phnum > MAX_SEGMENTS or self.phentsize != expected:
            raise UserError(f"{where}: corrupt program headers "
                            f"(e_phnum {self.phnum}, e_phentsize {self.phentsize})")
        if self.phoff + self.phnum * self.phentsize > self.size:
            raise UserError(f"{where}: truncated: program headers end past the end of the file")
        self.segments = []
        for seg in elf.iter_segments():
            p = seg.header
            ptype = p["p_type"]
            ptype = {"PT_LOAD": PT_LOAD, "PT_INTERP": PT_INTERP, "PT_PHDR": PT_PHDR}.get(ptype, ptype)
            self.segments.append(Segment(ptype, p["p_offset"], p["p_vaddr"], p["p_filesz"],
                                         p["p_memsz"], p["p_flags"], p["p_align"]))
        self.loads = [s for s in self.segments if s.type == PT_LOAD]
        self._check_loads(where)
        self.interp = self._read_interp(where)

    def _check_loads(self, where):
        if not self.loads:
            raise UserError(f"{where}: corrupt ELF: no loadable segment")
        prev_end = None
        for s in self.loads:
            if s.offset + s.filesz > self.size:
                raise UserError(f"{where}: truncated or corrupt: a segment's data "
                                f"(offset {s.offset:#x}, size {s.filesz:#x}) ends past the end of the file "
                                f"({self.size:#x} bytes)")
            if s.memsz < s.filesz:
                raise UserError(f"{where}: corrupt segment: memory size {s.memsz:#x} below file size {s.filesz:#x}")
            if s.align > 1 and (s.align & (s.align - 1) or (s.vaddr - s.offset) % min(s.align, 4096)):
                raise UserError(f"{where}: corrupt segment at {s.vaddr:#x}: bad alignment {s.align:#x}")
            if s.vaddr + s.memsz >= 1 << self.elf_class:
                raise UserError(f"{where}: corrupt segment: {s.vaddr:#x}+{s.memsz:#x} wraps the address space")
            if prev_end is not None and s.vaddr < prev_end:
                raise UserError(f"{where}: corrupt ELF: overlapping or unsorted segments at {s.vaddr:#x}")
            prev_end = s.vaddr + s.memsz

    def _read_interp(self, where):
        interps = [s for s in self.segments if s.type == PT_INTERP]
        if not interps:
            return None
        s = interps[0]
        if s.filesz < 2 or s.filesz > PATH_MAX or s.offset + s.filesz > self.size:
            raise UserError(f"{where}: corrupt PT_INTERP")
        raw = self._read(s.offset, s.filesz)
        if b"\0" not in raw:
            raise UserError(f"{where}: corrupt PT_INTERP (no terminating NUL)")
        return raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")

    def _read(self, offset, length):
        return os.pread(self.file.fileno(), length, offset)

    def span(self):
        """(lowest page, highest end) over the PT_LOAD segments, page aligned."""
        lo = self.loads[0].vaddr & ~0xFFF
        hi = max(s.vaddr + s.memsz for s in self.loads)
        return lo, (hi + 0xFFF) & ~0xFFF

    def max_align(self):
        return max([4096] + [s.align for s in self.loads if s.align > 1])

    def close(self):
        self.file.close()
