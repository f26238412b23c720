"""Every struct layout in usermode/structs.py against the cross compiler's own
sizeof/offsetof, per architecture.

For each declaration a small C file puts sizeof(struct), then offsetof and
sizeof of every field that names a C member, into one array; it is compiled
with -c (never run) and the array is read back from the object with
pyelftools, as tools/gen_tables.py does for constants.
"""
import importlib
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ARCHES, HERE
from usermode import structs
from usermode.structs import Layout

sys.path.insert(0, os.path.join(HERE, "..", "tools"))
from gen_tables import read_array  # noqa: E402  (the generator's own reader of compiled arrays)

# headers for declarations that C_TYPES does not describe: `struct <name>` is in one of these
DEFAULT_HEADERS = ["sys/types.h", "sys/stat.h", "sys/time.h", "time.h", "sys/uio.h", "fcntl.h",
                   "signal.h", "sys/socket.h", "netinet/in.h", "sys/un.h", "sys/resource.h",
                   "sys/utsname.h", "sys/sysinfo.h", "sys/times.h", "sys/epoll.h", "poll.h",
                   "sys/select.h", "sched.h", "sys/wait.h", "sys/statfs.h", "sys/vfs.h"]


def _abi(arch):
    return importlib.import_module(f"usermode.cpu.{arch}").ABI


def _declaration(abi, name):
    decl = structs.DECLARATIONS[name]
    if isinstance(decl, dict):
        decl = decl[getattr(abi, f"{name}_layout")]
    return decl


def _c_values(arch, name, layout, tmp_path):
    ctype, headers = structs.C_TYPES.get(name, (f"struct {name}", DEFAULT_HEADERS))
    members = [(f, layout.c_members[f]) for f in layout.fields if layout.c_members[f]]
    lines = ["#define _GNU_SOURCE", "#include <stddef.h>"] + [f"#include <{h}>" for h in headers]
    lines.append("const long long pyq_layout[] = {")
    lines.append(f"  (long long)sizeof({ctype}),")
    for _, member in members:
        lines.append(f"  (long long)offsetof({ctype}, {member}),"
                     f" (long long)sizeof((({ctype} *)0)->{member}),")
    lines.append("};")
    src, obj = tmp_path / f"{name}-{arch}.c", tmp_path / f"{name}-{arch}.o"
    src.write_text("\n".join(lines) + "\n")
    res = subprocess.run([ARCHES[arch]["cc"], "-c", "-O0", "-w", str(src), "-o", str(obj)],
                         capture_output=True, text=True)
    assert res.returncode == 0, f"{name}: C side does not compile for {arch}:\n{res.stderr[-3000:]}"
    count = 1 + 2 * len(members)
    values = read_array(str(obj), count, "pyq_layout")
    size = values[0]
    fields = {f: (values[1 + 2 * i], values[2 + 2 * i]) for i, (f, _) in enumerate(members)}
    return size, fields


def _sizes(layout):
    import struct as st
    """Our size of each field: its struct code's size, walking the format alongside the fields."""
    names = layout.fields
    fmt = layout.struct.format
    prefix, body = fmt[0], fmt[1:]
    sizes, i, count = {}, 0, ""
    for ch in body:
        if ch.isdigit():
            count += ch
            continue
        if ch == "x":
            count = ""
            continue
        code = f"{count}{ch}" if ch == "s" else ch
        sizes[names[i]] = st.calcsize(prefix + code)
        i += 1
        count = ""
    assert i == len(names)
    return sizes


@pytest.mark.parametrize("name", sorted(structs.DECLARATIONS))
def test_layout_matches_the_c_compiler(arch, name, tmp_path):
    if shutil.which(ARCHES[arch]["cc"]) is None:
        pytest.fail(f"cross compiler {ARCHES[arch]['cc']} missing")
    abi = _abi(arch)
    layout = Layout(abi, name, _declaration(abi, name))
    size, fields = _c_values(arch, name, layout, tmp_path)
    sizes = _sizes(layout)
    problems = []
    if layout.size != size:
        problems.append(f"sizeof: ours {layout.size}, C {size}")
    for field, (offset, fsize) in fields.items():
        if layout.offsets[field] != offset:
            problems.append(f"{field} ({layout.c_members[field]}): offset ours {layout.offsets[field]}, C {offset}")
        if sizes[field] != fsize:
            problems.append(f"{field} ({layout.c_members[field]}): size ours {sizes[field]}, C {fsize}")
    assert not problems, f"struct {name} on {arch}:\n  " + "\n  ".join(problems)


def test_the_check_catches_a_wrong_layout(arch, tmp_path):
    """A deliberately wrong timespec (int seconds) must be caught by the same machinery."""
    abi = _abi(arch)
    wrong = Layout(abi, "timespec", [("tv_sec", "i32"), ("tv_nsec", "long")])
    size, fields = _c_values(arch, "timespec", wrong, tmp_path)
    assert _sizes(wrong)["tv_sec"] != fields["tv_sec"][1]
    assert size == wrong.size  # same size by padding: only the field check sees it


def test_every_layout_packs_round_trip(arch):
    abi = _abi(arch)
    for name in structs.DECLARATIONS:
        layout = Layout(abi, name, _declaration(abi, name))
        values = layout.unpack(bytes(range(256)) * (layout.size // 256 + 1))
        assert layout.unpack(layout.pack(**values)) == values, name

