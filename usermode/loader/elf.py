"""ELF files: the header and program headers, checked the way the kernel's
loader checks them, so that a corrupt file is one clear error and never a
traceback.

Only the ELF header and the program header table matter for loading (the
kernel reads nothing else), so they are unpacked here with struct rather than
with pyelftools: pyelftools also reads the section headers, which a runnable
program may lack or have garbled, and it raises a zoo of exception types on a
corrupt file. Reading exactly what the kernel reads means we accept what the
kernel accepts and can name precisely what is wrong with the rest.

The checks run in the order that gives the most useful message: not an ELF at
all, then the header's identity (class, byte order, machine: `check` lets the
caller reject a program for another architecture before any deeper complaint),
then the type, the program header table, each PT_LOAD alone, their order, and
PT_INTERP.
"""
import os
import stat
import struct

from ..errors import UserError

PT_LOAD, PT_INTERP, PT_PHDR = 1, 3, 6
PF_X, PF_W, PF_R = 1, 2, 4
ET_REL, ET_EXEC, ET_DYN, ET_CORE = 1, 2, 3, 4
ET_NAMES = {0: "ET_NONE (no file type)", ET_REL: "ET_REL (a relocatable object file, not linked)",
            ET_CORE: "ET_CORE (a core dump)"}
PATH_MAX = 4096
MAX_SEGMENTS = 512  # far more than any real program; stops absurd e_phnum early
# No user address space of any 64-bit Linux reaches past 2**57 (x86-64 LA57,
# riscv Sv57; arm64 stops at 2**52): a segment above is corrupt, whatever the arch.
USER_LIMIT = {32: 1 << 32, 64: 1 << 57}
MAX_ALIGN = 1 << 30  # a larger p_align on an ET_DYN cannot be honoured: corrupt

# e_ident[4:6] -> (class, little endian); then the rest of the header per class
_EHDR = {32: struct.Struct("HHIIIIIHHHHHH"), 64: struct.Struct("HHIQQQIHHHHHH")}
_PHDR = {32: struct.Struct("IIIIIIII"), 64: struct.Struct("IIQQQQQQ")}


class Segment:
    __slots__ = ("type", "offset", "vaddr", "filesz", "memsz", "flags", "align")

    def __init__(self, type, offset, vaddr, filesz, memsz, flags, align):
        self.type, self.offset, self.vaddr = type, offset, vaddr
        self.filesz, self.memsz, self.flags, self.align = filesz, memsz, flags, align

    @property
    def prot(self):  # PF_* to PROT_*: R and X swap places
        return (1 if self.flags & PF_R else 0) | (2 if self.flags & PF_W else 0) | (4 if self.flags & PF_X else 0)


class ElfFile:
    """The header and program headers of one ELF file, validated.

    `check(elf)`, if given, runs as soon as the identity (elf_class,
    little_endian, machine_id) is known, before the rest is validated."""

    def __init__(self, path, what="program", check=None, fd=None, executable=False):
        """`fd`, if given, is the file already open (binfmt_misc's flag O hands the
        program over so, execute-only or not, it need not be opened by name); it is
        closed with the ElfFile. `executable`: refuse a file the user may not execute,
        as execve does (EACCES), unless the kernel handed it over already open."""
        self.path = path
        self.what = what
        self.where = f"{what} '{path}'"
        try:
            st = os.stat(path) if fd is None else os.fstat(fd)  # before open(): opening a FIFO would block
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError
            if not stat.S_ISREG(st.st_mode):
                raise UserError(f"{self.where}: not a regular file")
            # execve's permission check: root too needs an x bit somewhere (os.access says
            # so for root exactly when the kernel would)
            if executable and fd is None and not os.access(path, os.X_OK, effective_ids=True):
                raise UserError(f"{self.where}: permission denied: not executable "
                                f"(mode {stat.S_IMODE(st.st_mode):03o}; chmod +x to run it)", status=126)
            self.file = open(path if fd is None else fd, "rb")
        except FileNotFoundError:
            raise UserError(f"{self.where}: no such file") from None
        except IsADirectoryError:
            raise UserError(f"{self.where}: is a directory") from None
        except NotADirectoryError:
            raise UserError(f"{self.where}: no such file (a part of the path is not a directory)") from None
        except OSError as e:
            raise UserError(f"{self.where}: cannot open: {e.strerror}") from None
        except ValueError:  # an embedded NUL
            raise UserError(f"{self.where}: invalid path") from None
        try:
            self._parse(check)
        except OSError as e:
            self.file.close()
            raise UserError(f"{self.where}: cannot read: {e.strerror}") from None
        except BaseException:
            self.file.close()
            raise

    def fail(self, message):
        raise UserError(f"{self.where}: {message}")

    def _parse(self, check):
        self.size = os.fstat(self.file.fileno()).st_size
        head = self._read(0, 64)
        if head[:4] != b"\x7fELF":
            self.fail("empty file, not an ELF program" if not head else
                      "not an ELF file (no \\x7fELF magic at its start)")
        if len(head) < 6:
            self.fail(f"truncated ELF header ({len(head)} bytes)")
        if head[4] not in (1, 2):
            self.fail(f"corrupt ELF header: unknown ELF class {head[4]} (EI_CLASS, expected 1 or 2)")
        if head[5] not in (1, 2):
            self.fail(f"corrupt ELF header: unknown byte order {head[5]} (EI_DATA, expected 1 or 2)")
        self.elf_class = 32 if head[4] == 1 else 64
        self.little_endian = head[5] == 1
        self.endian = "<" if self.little_endian else ">"
        ehsize = 52 if self.elf_class == 32 else 64
        if len(head) >= 20:
            self.machine_id = struct.unpack_from(self.endian + "H", head, 18)[0]
            if check is not None:
                check(self)
        if len(head) < ehsize:
            self.fail(f"truncated ELF header: the file has {len(head)} bytes, "
                      f"a {self.elf_class}-bit ELF header needs {ehsize}")
        (e_type, self.machine_id, _version, self.entry, self.phoff, _shoff, self.flags, _ehsize,
         self.phentsize, self.phnum, _shentsize, _shnum, _shstrndx) = \
            struct.unpack_from(self.endian + _EHDR[self.elf_class].format, head, 16)
        if e_type not in (ET_EXEC, ET_DYN):
            self.fail("not an executable: ELF type " + ET_NAMES.get(e_type, f"{e_type:#x}"))
        self.type = e_type
        self._read_phdrs()
        self._check_loads()
        self.interp = self._read_interp()

    def _read_phdrs(self):
        expected = _PHDR[self.elf_class].size
        if self.phentsize != expected:
            self.fail(f"corrupt ELF header: program header size e_phentsize is {self.phentsize}, "
                      f"expected {expected}")
        if self.phnum == 0:
            self.fail("corrupt ELF header: no program headers (e_phnum 0)")
        if self.phnum > MAX_SEGMENTS:
            self.fail(f"corrupt ELF header: e_phnum {self.phnum} program headers "
                      f"(at most {MAX_SEGMENTS} accepted)")
        end = self.phoff + self.phnum * self.phentsize
        if end > self.size:
            self.fail(f"truncated or corrupt: the program headers (e_phoff {self.phoff:#x}, "
                      f"{self.phnum} x {self.phentsize} bytes) end past the end of the file "
                      f"({self.size:#x} bytes)")
        table = self._read(self.phoff, end - self.phoff)
        if len(table) != end - self.phoff:
            self.fail("truncated: short read of the program headers")
        fmt = struct.Struct(self.endian + _PHDR[self.elf_class].format)
        self.segments = []
        for i in range(self.phnum):
            f = fmt.unpack_from(table, i * fmt.size)
            if self.elf_class == 64:  # type, flags, offset, vaddr, paddr, filesz, memsz, align
                ptype, flags, offset, vaddr, _, filesz, memsz, align = f
            else:  # type, offset, vaddr, paddr, filesz, memsz, flags, align
                ptype, offset, vaddr, _, filesz, memsz, flags, align = f
            self.segments.append(Segment(ptype, offset, vaddr, filesz, memsz, flags, align))
        self.loads = [s for s in self.segments if s.type == PT_LOAD]

    def _check_loads(self):
        if not self.loads:
            self.fail("corrupt ELF: no loadable segment (PT_LOAD)")
        # the architecture's own user range when the caller knows it (a 32-bit one ends
        # below 4 GiB), else the widest any Linux has
        limit = getattr(self, "user_limit", None) or USER_LIMIT[self.elf_class]
        for s in self.loads:
            at = f"PT_LOAD segment at {s.vaddr:#x}"
            if s.vaddr >= limit or s.memsz >= limit or s.vaddr + s.memsz > limit:
                self.fail(f"corrupt {at}: it ends at {s.vaddr + s.memsz:#x} (p_memsz {s.memsz:#x}), "
                          f"past the end of any user address space ({limit:#x})")
            if s.offset + s.filesz > self.size:
                self.fail(f"truncated or corrupt: the data of the {at} (p_offset {s.offset:#x}, "
                          f"p_filesz {s.filesz:#x}) ends past the end of the file ({self.size:#x} bytes)")
            if s.memsz < s.filesz:
                self.fail(f"corrupt {at}: memory size p_memsz {s.memsz:#x} is below "
                          f"file size p_filesz {s.filesz:#x}")
            if s.align > 1 and s.align & (s.align - 1):
                self.fail(f"corrupt {at}: alignment p_align {s.align:#x} is not a power of two")
            if (s.vaddr - s.offset) % 4096:
                self.fail(f"corrupt {at}: p_vaddr {s.vaddr:#x} and p_offset {s.offset:#x} "
                          f"differ in their page offsets")
            if self.type == ET_DYN and s.align > MAX_ALIGN:
                self.fail(f"corrupt {at}: alignment p_align {s.align:#x} is absurdly large")
        prev = None
        for s in self.loads:
            if prev is not None and s.vaddr < prev.vaddr:
                self.fail(f"corrupt ELF: PT_LOAD segments out of order "
                          f"({s.vaddr:#x} comes after {prev.vaddr:#x})")
            if prev is not None and s.vaddr < prev.vaddr + prev.memsz:
                self.fail(f"corrupt ELF: PT_LOAD segments overlap (the one at {s.vaddr:#x} "
                          f"starts inside {prev.vaddr:#x}-{prev.vaddr + prev.memsz:#x})")
            prev = s

    def _read_interp(self):
        interps = [s for s in self.segments if s.type == PT_INTERP]
        if not interps:
            return None
        s = interps[0]
        if s.filesz < 2 or s.filesz > PATH_MAX:
            self.fail(f"corrupt PT_INTERP: interpreter path of {s.filesz} bytes "
                      f"(expected 2 to {PATH_MAX})")
        if s.offset + s.filesz > self.size:
            self.fail(f"truncated or corrupt PT_INTERP: p_offset {s.offset:#x} + p_filesz "
                      f"{s.filesz:#x} ends past the end of the file ({self.size:#x} bytes)")
        raw = self._read(s.offset, s.filesz)
        if raw[-1:] != b"\0":
            self.fail("corrupt PT_INTERP: the interpreter path has no terminating NUL")
        path = raw.split(b"\0", 1)[0]
        if not path:
            self.fail("corrupt PT_INTERP: empty interpreter path")
        return path.decode("utf-8", "surrogateescape")

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
