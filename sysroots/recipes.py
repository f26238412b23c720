"""What a sysroot is made of, per kind and architecture: data only.

A recipe names Debian packages; sysroots/tool.py fetches and unpacks them.
Nothing here runs a foreign program: the packages are unpacked, their
maintainer scripts are never run (the few files those scripts would have
created, /etc/passwd and /etc/group, are copied from the package's own
templates by the tool, and netbase's /etc/hosts is written from POSTINST_FILES).
"""

MIRROR = "http://deb.debian.org/debian"
SUITE = "bookworm"

# Every architecture pyqemu has (usermode/cpu/registry.py, read without Unicorn), by
# pyqemu's name and by the other Debian ports its cpu module also runs (armel, with
# arm's): name -> Debian's name and the GNU triple
def _arches():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "usermode", "cpu"))
    import registry
    arches, aliases, ports = {}, {}, set()
    for name in registry.NAMES:
        f = registry.facts(name)
        arches[name] = {"debian": f["DEBIAN_ARCH"], "triple": f["TRIPLE"], "arch": name}
        if f["DEBIAN_ROOTFS"]:
            ports.add(name)
        for alias in f["ALIASES"]:
            aliases[alias] = name
        for port, triple in f["DEBIAN_VARIANTS"].items():
            arches[port] = {"debian": port, "triple": triple, "arch": name}
            ports.add(port)
            aliases.pop(port, None)
    return arches, aliases, ports


ARCHES, ALIASES, _PORTS = _arches()

# The quick kind: the cross glibc Debian builds for cross compilers (Architecture:
# all packages, installed under /usr/<triple>). For riscv64 it is the only
# Debian 12 option: bookworm has no riscv64 port.
CROSS_PACKAGES = ("libc6-{debian}-cross", "libgcc-s1-{debian}-cross", "libstdc++6-{debian}-cross")

# The full kind: a minbase root (debootstrap --foreign: unpacked, not configured)
# plus the extra packages asked for, with their dependencies.
ROOTFS_SUITES = {name: SUITE for name in sorted(_PORTS)}

# Alternatives a configured system would have (update-alternatives runs in the
# maintainer scripts we skip): link -> candidates, first present wins.
ALTERNATIVES = {
    "usr/bin/awk": ("gawk", "mawk"),
    "usr/bin/lua": ("lua5.4",),
    "usr/bin/pager": ("less", "more"),
}

# Files a package's maintainer script writes when it is configured (we only unpack):
# package -> {path in the root: its content}, written when the package is unpacked and
# the file is absent. netbase's postinst makes /etc/hosts (without it a root cannot
# resolve "localhost": CPython's test_socket binds to it) and /etc/networks.
POSTINST_FILES = {
    "netbase": {
        "etc/hosts": "127.0.0.1\tlocalhost\n"
                     "::1\t\tlocalhost ip6-localhost ip6-loopback\n"
                     "ff02::1\t\tip6-allnodes\n"
                     "ff02::2\t\tip6-allrouters\n\n",
        "etc/networks": "default\t\t0.0.0.0\n"
                        "loopback\t127.0.0.0\n"
                        "link-local\t169.254.0.0\n\n",
    },
}

# Rough sizes, to refuse early when the disk cannot hold the result (MiB).
SPACE_NEEDED = {"cross": 60, "rootfs": 400}


def default_name(kind, arch, suite=SUITE):
    debian = ARCHES[arch]["debian"]
    return f"{kind}-{debian}-{suite}"
