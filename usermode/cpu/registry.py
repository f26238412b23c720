"""Every guest architecture, found by looking at usermode/cpu/ and nothing else.

An architecture is a module in this folder that assigns NAME. Its plain facts
(what Debian calls it, its GNU triple, its qemu-user binary...) are literal
assignments at the top of the module, and this file reads them with `ast`,
without importing the module: setup.py (console scripts), ./dev (which Debian
packages to install), the table generator, binfmt, sysroots, the tests and the
benchmarks all derive from here, and none of them needs Unicorn to do so.
So adding an architecture is adding its cpu module (and generating its table).

Run as a script (stdlib only) for the shell: `python3 usermode/cpu/registry.py
names|packages`.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# The facts read from each module, with their defaults. Each must be a literal.
FACTS = {
    "NAME": None,          # pyqemu-<NAME>, usermode.cpu.<NAME>
    "TRIPLE": None,        # GNU triple: <TRIPLE>-gcc, /usr/<TRIPLE> (the cross glibc)
    "QEMU_NAME": None,     # qemu-<QEMU_NAME>, the reference emulator (default NAME)
    "DEBIAN_ARCH": None,   # dpkg's name: libc6-dev-<it>-cross, debootstrap --arch
    "DEBIAN_ROOTFS": False,  # Debian 12 has this port: a debootstrap root can be made
    "ALIASES": (),         # other names users type (arm64, armhf, amd64...)
    "CC_FLAGS": (),        # what the cross gcc needs to target exactly this ABI
    "GO_ENV": None,        # GOARCH (and GOARM...) for Go programs of this ABI, if Go has one
    "HOST_NATIVE": False,  # this x86-64 host runs the arch's programs itself (the reference)
    "DEBIAN_VARIANTS": {},  # other Debian ports of this kernel ABI: dpkg name -> triple (armel)
}


def _literal_facts(path):
    import ast
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    facts = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in FACTS:
                try:
                    facts[name] = ast.literal_eval(node.value)
                except ValueError:
                    raise SystemExit(f"{path}: {name} must be a literal (read without importing)") from None
    return facts


# Parsing every cpu module (and importing ast) took 12 ms of each start-up, a
# sixth of a static hello's. The facts are kept as Python keeps bytecode: in
# __pycache__, valid while no module of the folder (nor this file) has changed
# size or modification time; where it cannot be written, the modules are parsed.
_CACHE = os.path.join(HERE, "__pycache__", f"registry-facts.{sys.implementation.cache_tag}.marshal")


def _stamp(entries):
    """What the cache is valid for: each module's name, size and mtime, and this file's."""
    stamp = []
    for entry in entries + ["registry.py"]:
        st = os.stat(os.path.join(HERE, entry))
        stamp.append((entry, st.st_size, st.st_mtime_ns))
    return tuple(stamp)


def load_stamped(path, stamp):
    """A value kept in __pycache__ beside the files it was made from (these facts; the
    syscall handler index, handler_index.py), or None when their stamp has changed.
    marshal, read in one go: every start-up reads them. Here, not in a module of its
    own, because this file is also read outside the package (setup.py, ./dev)."""
    import marshal
    try:
        with open(path, "rb") as f:
            saved_stamp, value = marshal.loads(f.read())  # one read: load(f) reads item by item
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return value if saved_stamp == stamp else None


def save_stamped(path, stamp, value):
    """Best effort (a read-only checkout makes it again next time)."""
    import marshal
    tmp = f"{path}.{os.getpid()}"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as f:
            marshal.dump((stamp, value), f)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def _scan():
    entries = [entry for entry in sorted(os.listdir(HERE))
               if entry.endswith(".py") and not entry.startswith("_") and entry != "registry.py"]
    stamp = _stamp(entries)
    found = load_stamped(_CACHE, stamp)
    if found is None:
        found = _parse(entries)
        if not sys.dont_write_bytecode:  # -B, PYTHONDONTWRITEBYTECODE: nothing written, as for bytecode
            save_stamped(_CACHE, stamp, found)
    return found


def _parse(entries):
    found = {}
    for entry in entries:
        facts = _literal_facts(os.path.join(HERE, entry))
        if "NAME" not in facts:
            continue  # a helper module of the folder, not an architecture
        if facts["NAME"] != entry[:-3]:
            raise SystemExit(f"usermode/cpu/{entry}: NAME is {facts['NAME']!r}, not the module's name")
        full = dict(FACTS)
        full.update(facts)
        full["QEMU_NAME"] = full["QEMU_NAME"] or full["NAME"]
        found[full["NAME"]] = full
    return found


ARCHES = _scan()
NAMES = tuple(ARCHES)


def facts(name):
    return ARCHES[name]


def canonical(name):
    """An architecture's name from any of its names (aarch64 from arm64), or None."""
    if name in ARCHES:
        return name
    for arch, f in ARCHES.items():
        if name in f["ALIASES"] or name == f["DEBIAN_ARCH"]:
            return arch
    return None


def is_host(f):
    """The arch is this machine's own (x86-64 here): its glibc is the host's, in /."""
    return f["HOST_NATIVE"] and f["TRIPLE"].split("-")[0] == os.uname().machine


def runs_natively(name):
    """This machine's kernel runs the arch's programs itself (x86-64 and i386 programs
    on an x86-64 host): there pyqemu is for comparing, never the programs' runner."""
    return ARCHES[name]["HOST_NATIVE"] and os.uname().machine == "x86_64"


def cross_tools(name):
    """What builds and runs `name`'s programs on a Debian host."""
    f = ARCHES[name]
    return {"cc": f"{f['TRIPLE']}-gcc", "cc_flags": list(f["CC_FLAGS"]), "qemu": f"qemu-{f['QEMU_NAME']}",
            "sysroot": "/" if is_host(f) else f"/usr/{f['TRIPLE']}", "native": f["HOST_NATIVE"]}


def debian_packages():
    """The Debian packages that give every architecture its cross compiler and glibc."""
    out = []
    for f in ARCHES.values():
        if is_host(f):
            continue  # the host's own gcc and libc6-dev
        out += [f"gcc-{f['TRIPLE'].replace('_', '-')}", f"libc6-dev-{f['DEBIAN_ARCH']}-cross"]
    return sorted(set(out))


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "names"
    if what == "names":
        print(" ".join(NAMES))
    elif what == "packages":
        print(" ".join(debian_packages()))
    elif what == "compilers":
        print(" ".join(cross_tools(n)["cc"] for n in NAMES))
    elif what == "qemus":
        print(" ".join(cross_tools(n)["qemu"] for n in NAMES))
    else:
        raise SystemExit("usage: registry.py names|packages|compilers|qemus")
