"""The kernel's side of binfmt_misc: which bytes identify an architecture's
programs, the line that registers a handler, and the entries the kernel holds
(one file each under /proc/sys/fs/binfmt_misc, newest registration first in
its search, so the handler registered last wins a file two of them match)."""
import os
import subprocess

from ..errors import UserError

MOUNT_POINT = "/proc/sys/fs/binfmt_misc"
FLAG_LETTERS = "POCF"
FLAG_MEANINGS = {
    "P": "preserve argv[0]: the program sees the argv[0] it was started with",
    "O": "open-binary: the kernel hands the program over open (execute-only programs run)",
    "C": "credentials: set-uid/set-gid bits of the program apply (implies O)",
    "F": "fix binary: the launcher is opened now, so a chroot or container need not hold it "
         "(it still needs pyqemu's Python at the same path)",
}
RESERVED_NAMES = ("register", "status")

EI_OSABI = 7  # SYSV or GNU/Linux, both Linux: not part of the match
ET_EXEC = 2  # ET_DYN (3) differs in the low bit only, which the mask clears


def elf_magic_and_mask(arch):
    """(magic, mask) over the first 20 bytes of an ELF header of `arch` (a
    usermode.cpu module): e_ident, e_type (ET_EXEC or ET_DYN: static, dynamic,
    PIE, static-pie, ld.so itself) and e_machine."""
    order = arch.ABI.endian
    ident = bytes([0x7F]) + b"ELF" + bytes([
        1 if arch.ELF_CLASS == 32 else 2,  # EI_CLASS
        1 if order == "little" else 2,  # EI_DATA
        1,  # EI_VERSION
    ]) + bytes(9)  # EI_OSABI, EI_ABIVERSION and padding
    magic = ident + ET_EXEC.to_bytes(2, order) + arch.ELF_MACHINE.to_bytes(2, order)
    mask = bytearray(b"\xff" * len(magic))
    mask[EI_OSABI] = 0
    mask[16:18] = (0xFFFF & ~1).to_bytes(2, order)
    if arch.ELF_FLAGS_MATCH is not None:  # bits of e_flags too (MIPS o32: not n32's EF_MIPS_ABI2)
        flags_mask, flags_value = arch.ELF_FLAGS_MATCH
        at = 36 if arch.ELF_CLASS == 32 else 48  # e_flags
        magic += bytes(at - len(magic)) + flags_value.to_bytes(4, order)
        mask += bytes(at - len(mask)) + flags_mask.to_bytes(4, order)
        while not mask[-1]:  # bytes nothing is matched in: left out, as qemu's entries do
            magic, mask = magic[:-1], mask[:-1]
    return magic, bytes(mask)


def register_line(name, magic, mask, interpreter, flags):
    """What /proc/sys/fs/binfmt_misc/register (and a systemd binfmt.d file) takes."""
    def hex_escaped(data):
        return "".join(f"\\x{b:02x}" for b in data)
    return f":{name}:M::{hex_escaped(magic)}:{hex_escaped(mask)}:{interpreter}:{flags}"


class Entry:
    """One registered handler, as the kernel describes it in its file."""

    def __init__(self, name, text):
        self.name = name
        self.enabled = False
        self.interpreter = None
        self.flags = ""
        self.offset = 0
        self.magic = None  # None for an entry matching by file name extension
        self.mask = None
        self.extension = None
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if line in ("enabled", "disabled"):
                self.enabled = line == "enabled"
            elif key == "interpreter":
                self.interpreter = value
            elif key == "flags:":
                self.flags = value.strip()
            elif key == "offset":
                self.offset = int(value)
            elif key == "magic":
                self.magic = bytes.fromhex(value)
            elif key == "mask":
                self.mask = bytes.fromhex(value)
            elif key == "extension":
                self.extension = value

    def matches(self, header):
        """Whether this entry would claim a file starting with `header`, judged on
        the bytes `header` has (an entry looking further is taken to match)."""
        if self.magic is None:
            return False
        mask = self.mask or b"\xff" * len(self.magic)
        for i, (want, bits) in enumerate(zip(self.magic, mask)):
            at = self.offset + i
            if at >= len(header):
                break
            if header[at] & bits != want & bits:
                return False
        return True


class BinfmtMisc:
    """The binfmt_misc file system at `root`."""

    def __init__(self, root=None):
        self.root = root or MOUNT_POINT

    def path(self, name):
        return os.path.join(self.root, name)

    def is_mounted(self):
        return os.path.exists(self.path("register"))

    def ensure_mounted(self):
        if self.is_mounted():
            return
        why = "not mounted"
        try:
            res = subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", self.root],
                                 capture_output=True, text=True)
            if res.returncode:
                why += f", and mounting it failed: {res.stderr.strip() or f'mount exited {res.returncode}'}"
        except OSError as e:
            why += f", and mount could not run: {e.strerror}"
        if not self.is_mounted():
            raise UserError(f"binfmt_misc is {why} (mount -t binfmt_misc binfmt_misc {self.root}; "
                            "the kernel needs CONFIG_BINFMT_MISC)")

    def is_enabled(self):
        try:
            with open(self.path("status")) as f:
                return f.read().strip() == "enabled"
        except OSError:
            return False

    def names(self):
        return sorted(n for n in os.listdir(self.root) if n not in RESERVED_NAMES)

    def entry(self, name):
        """The entry called `name`, or None."""
        try:
            with open(self.path(name)) as f:
                return Entry(name, f.read())
        except (FileNotFoundError, NotADirectoryError):
            return None

    def entries(self):
        found = (self.entry(name) for name in self.names())
        return [e for e in found if e is not None]

    def register(self, line):
        try:
            with open(self.path("register"), "w") as f:
                f.write(line)
        except OSError as e:
            raise UserError(f"the kernel refused the registration ({e.strerror}): {line}") from None

    def remove(self, name):
        if not os.path.exists(self.path(name)):  # opening it to write would try to create it
            return
        try:
            with open(self.path(name), "w") as f:
                f.write("-1")
        except FileNotFoundError:
            pass  # gone already: what was wanted
        except OSError as e:
            raise UserError(f"cannot remove binfmt_misc entry '{name}': {e.strerror}") from None
