"""systemd's binfmt.d files: one register line per file, loaded at boot by
systemd-binfmt in the order of the files' names (a name in /etc hides the same
name in the other directories), so of two files matching one program, the one
whose name sorts last is registered last and wins."""
import os

from ..errors import UserError
from .kernel import Entry

SYSTEM_DIRS = ("/etc/binfmt.d", "/run/binfmt.d", "/usr/local/lib/binfmt.d", "/usr/lib/binfmt.d", "/lib/binfmt.d")
DEFAULT_DIR = SYSTEM_DIRS[0]


def conf_path(directory, name):
    return os.path.join(directory, f"{name}.conf")


def unescape(field):
    r"""The kernel's reading of a magic or mask field: \xHH is a byte, anything else itself."""
    out = bytearray()
    data = field.encode("latin-1")
    i = 0
    while i < len(data):
        if data[i:i + 2] == b"\\x" and i + 4 <= len(data):
            try:
                out.append(int(data[i + 2:i + 4], 16))
                i += 4
                continue
            except ValueError:
                pass
        out.append(data[i])
        i += 1
    return bytes(out)


def parse_line(line):
    """An Entry from a register line (':name:M:offset:magic:mask:interpreter:flags'), or None."""
    line = line.strip()
    if not line or line[0] in "#;":
        return None
    fields = line[1:].split(line[0])
    if len(fields) < 6:
        return None
    name, kind, offset, magic, mask, interpreter = fields[:6]
    flags = fields[6] if len(fields) > 6 else ""
    entry = Entry(name, "")
    entry.enabled = True
    entry.interpreter, entry.flags = interpreter, flags
    if kind == "M":
        entry.offset = int(offset or "0")
        entry.magic = unescape(magic)
        entry.mask = unescape(mask) if mask else None
    else:
        entry.extension = magic
    return entry


def read_conf(path):
    """The entries a binfmt.d file registers ([] if it is missing or empty, as a masked one is)."""
    try:
        with open(path, encoding="latin-1") as f:
            lines = f.read().splitlines()
    except (FileNotFoundError, IsADirectoryError):
        return []
    except OSError as e:
        raise UserError(f"cannot read {path}: {e.strerror}") from None
    entries = []
    for line in lines:
        try:
            entry = parse_line(line)
        except ValueError:
            continue
        if entry is not None:
            entries.append(entry)
    return entries


def write_conf(directory, name, line, comment):
    path = conf_path(directory, name)
    try:
        os.makedirs(directory, exist_ok=True)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w") as f:
            f.write(f"# {comment}\n{line}\n")
        os.replace(temporary, path)
    except OSError as e:
        raise UserError(f"cannot write {path}: {e.strerror}" +
                        (" (run as root, or give --binfmt-d DIR)" if e.errno == 13 else "")) from None
    return path


def boot_files():
    """{file name: path} of the binfmt.d files systemd-binfmt would load, in load order."""
    chosen = {}
    for directory in SYSTEM_DIRS:
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for name in names:
            if name.endswith(".conf"):
                chosen.setdefault(name, os.path.join(directory, name))
    return dict(sorted(chosen.items()))


def is_system_dir(directory):
    real = os.path.realpath(directory)
    return any(os.path.realpath(d) == real for d in SYSTEM_DIRS)
