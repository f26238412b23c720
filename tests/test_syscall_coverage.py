"""Every syscall qemu-user implements that exists on a guest's ABI is in pyqemu's
registry, or explained in tests/data/qemu_syscalls.txt (its gaps section)."""
import os

from conftest import HERE
from usermode import cpu
from usermode.syscalls import handlers
from usermode.syscalls.registry import REGISTRY, lookup

handlers.load_all()  # the whole registry, not only what lookups imported

DATA = os.path.join(HERE, "data", "qemu_syscalls.txt")
MARK = "# ---- gaps"

def _qemu_set():
    with open(DATA) as f:
        text = f.read()
    listed, gaps = text.split(MARK, 1)
    names = {l.strip() for l in listed.splitlines() if l.strip() and not l.startswith("#")}
    explained = {}
    for line in gaps.splitlines()[1:]:
        if line.strip() and not line.startswith("#"):
            name, _, why = line.partition(":")
            explained[name.strip()] = why.strip()
    return names, explained

def test_data_file_lists_qemu_syscalls():
    names, explained = _qemu_set()
    assert len(names) > 300 and {"read", "openat", "clone", "futex"} <= names
    assert all(why for why in explained.values()), "every gap needs its reason"
    assert set(explained) <= names, "a gap that qemu does not implement either"

def test_every_qemu_syscall_is_implemented_or_explained(arch):
    names, explained = _qemu_set()
    module = cpu.get(arch)
    table = module.ABI.tables.SYSCALLS
    private = getattr(module, "SYSCALLS", None)
    have = {n for n in table if lookup(n, module.ABI, private) is not None}
    missing = sorted(n for n in names if n in table and n not in have and n not in explained)
    assert not missing, f"{arch}: qemu-user implements these, pyqemu does not: {' '.join(missing)}"
    # a gap is stale once every arch that numbers the call has it (some implement a call
    # privately, x86's modify_ldt, where others answer ENOSYS as their kernels do)
    stale = sorted(n for n in explained if (n in have and all(_has(other, n) for other in cpu.ARCH_NAMES))
                   or (n in REGISTRY and n not in table))
    assert not stale, f"explained as gaps but implemented now: {' '.join(stale)}"


def _has(arch, name):
    """Whether arch has the call `name`, or does not number it at all."""
    module = cpu.get(arch)
    return name not in module.ABI.tables.SYSCALLS or \
        lookup(name, module.ABI, getattr(module, "SYSCALLS", None)) is not None

