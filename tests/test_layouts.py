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
    """(fields, flavour) of a declaration for this ABI; flavour None for a plain one."""
    decl = structs.DECLARATIONS[name]
    if isinstance(decl, dict):
        flavour = structs.flavour_of(abi, name, decl)
        return decl[flavour], flavour
    return decl, None


def _applies(abi, name):
    """Whether the ABI has this struct: a per-arch declaration without the flavour the
    ABI would use is one its kernel lacks (stat64 on the 64-bit ABIs)."""
    try:
        _declaration(abi, name)
        return True
    except KeyError:
        return False


# Kernel structs no userspace header declares in the kernel's own shape (ARM's uapi
# signal.h keeps the old sigaction, with a one-word mask): C mirrors written from the
# kernel's declaration, so at least C's alignment rules check ours.
def _kernel_mirror(abi, name, flavour):
    mask = f"unsigned long mask[{abi.nsig // abi.bits}];"
    if name == "sigaction":
        body = {"generic": f"void *handler; unsigned long flags; void *restorer; {mask}",
                "no_restorer": f"void *handler; unsigned long flags; {mask}",
                "mips": f"unsigned int flags; void *handler; {mask}"}[flavour]
        return "struct pyq_k_sigaction", f"struct pyq_k_sigaction {{ {body} }};"
    return None


def _c_values(arch, name, layout, tmp_path, flavour=None):
    abi = _abi(arch)
    mirror = _kernel_mirror(abi, name, flavour)
    definition = ""
    if mirror is not None:
        (ctype, definition), headers = mirror, []
    else:
        ctype, headers = structs.C_TYPES.get((name, flavour)) or structs.C_TYPES.get(name) or \
            (f"struct {name}", DEFAULT_HEADERS)
    members = [(f, layout.c_members[f]) for f in layout.fields if layout.c_members[f]]
    if mirror is not None:  # the mirror's members are the declaration's field names
        members = [(f, f) for f in layout.fields]
    lines = ["#define _GNU_SOURCE", "#include <stddef.h>"] + [f"#include <{h}>" for h in headers] + [definition]
    lines.append("const long long pyq_layout[] = {")
    lines.append(f"  (long long)sizeof({ctype}),")
    for _, member in members:
        lines.append(f"  (long long)offsetof({ctype}, {member}),"
                     f" (long long)sizeof((({ctype} *)0)->{member}),")
    lines.append("};")
    src, obj = tmp_path / f"{name}-{arch}.c", tmp_path / f"{name}-{arch}.o"
    src.write_text("\n".join(lines) + "\n")
    res = subprocess.run([ARCHES[arch]["cc"], *ARCHES[arch]["cc_flags"], "-c", "-O0", "-w", str(src), "-o", str(obj)],
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


CASES = [(arch, name) for arch in sorted(ARCHES) for name in sorted(structs.DECLARATIONS)
         if _applies(_abi(arch), name)]


@pytest.mark.parametrize("arch,name", CASES)
def test_layout_matches_the_c_compiler(arch, name, tmp_path):
    if shutil.which(ARCHES[arch]["cc"]) is None:
        pytest.fail(f"cross compiler {ARCHES[arch]['cc']} missing")
    abi = _abi(arch)
    fields_decl, flavour = _declaration(abi, name)
    layout = Layout(abi, name, fields_decl, align_cap=getattr(fields_decl, "align", None))
    size, fields = _c_values(arch, name, layout, tmp_path, flavour)
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
    """A deliberately wrong timespec (short seconds) must be caught by the same machinery."""
    abi = _abi(arch)
    wrong = Layout(abi, "timespec", [("tv_sec", "i16"), ("tv_nsec", "long")])
    size, fields = _c_values(arch, "timespec", wrong, tmp_path)
    assert _sizes(wrong)["tv_sec"] != fields["tv_sec"][1]
    if abi.max_align >= 4:  # m68k aligns a long to 2: no padding hides it there
        assert size == wrong.size  # same size by padding: only the field check sees it


def test_every_layout_packs_round_trip(arch):
    abi = _abi(arch)
    for name in structs.DECLARATIONS:
        if not _applies(abi, name):
            continue
        fields_decl, _ = _declaration(abi, name)
        layout = Layout(abi, name, fields_decl, align_cap=getattr(fields_decl, "align", None))
        values = layout.unpack(bytes(range(256)) * (layout.size // 256 + 1))
        assert layout.unpack(layout.pack(**values)) == values, name



# ---- the signal frames' fixed offsets (each cpu module's FRAME_LAYOUT) -----------------

def _frame_checks():
    """(arch, C type, member or None for its size, headers, our value), from each cpu
    module's FRAME_LAYOUT: where its setup_frame puts what glibc's ucontext_t says."""
    from usermode import cpu
    out = []
    for arch in sorted(ARCHES):
        for (ctype, member), value in cpu.get(arch).FRAME_LAYOUT.items():
            out.append((arch, ctype, member, value))
    return out


@pytest.mark.parametrize("arch,ctype,member,value", _frame_checks())
def test_frame_offsets_match_the_c_compiler(arch, ctype, member, value, tmp_path):
    expr = f"sizeof({ctype})" if member is None else f"offsetof({ctype}, {member})"
    src, obj = tmp_path / "f.c", tmp_path / "f.o"
    src.write_text("#define _GNU_SOURCE\n#include <stddef.h>\n#include <signal.h>\n#include <sys/ucontext.h>\n"
                   f"const long long pyq_layout[] = {{ (long long)({expr}) }};\n")
    res = subprocess.run([ARCHES[arch]["cc"], *ARCHES[arch]["cc_flags"], "-c", "-O0", "-w", str(src), "-o", str(obj)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    assert read_array(str(obj), 1, "pyq_layout")[0] == value, f"{expr} on {arch}"


# ---- siginfo_t as SigInfo.pack writes it (signals/delivery.py) ---------------------------

SIGINFO_FIELDS = {  # member -> how SigInfo.pack is asked to fill it, with a value that shows where it went
    "si_signo": ("signo", 0x11), "si_errno": ("errno", 0x22), "si_code": ("code", 0x33),
    "si_pid": ("pid", 0x44), "si_uid": ("uid", 0x55), "si_status": ("status", 0x66),
}


def test_siginfo_matches_the_c_compiler(arch, tmp_path):
    from usermode.signals.delivery import SigInfo
    abi = _abi(arch)
    members = list(SIGINFO_FIELDS) + ["si_value", "si_addr", "si_timerid", "si_overrun"]
    src, obj = tmp_path / "si.c", tmp_path / "si.o"
    src.write_text("#define _GNU_SOURCE\n#include <stddef.h>\n#include <signal.h>\n"
                   "const long long pyq_layout[] = {" + ", ".join(
                       f"(long long)offsetof(siginfo_t, {m})" for m in members) + ", (long long)sizeof(siginfo_t)};\n")
    res = subprocess.run([ARCHES[arch]["cc"], *ARCHES[arch]["cc_flags"], "-c", "-O0", "-w", str(src), "-o", str(obj)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    offsets = dict(zip(members + ["size"], read_array(str(obj), len(members) + 1, "pyq_layout")))
    assert offsets["size"] == 128

    def at(data, member, fmt):
        return abi.unpack(fmt, data[offsets[member]:])[0]
    child = SigInfo(0x11, 0x33, errno=0x22, pid=0x44, uid=0x55, status=0x66).pack(abi)
    for member, (_, value) in SIGINFO_FIELDS.items():
        assert at(child, member, "i") == value, member
    fault = SigInfo(0x11, 0x33, addr=0x12345678).pack(abi)
    assert at(fault, "si_addr", "W") == 0x12345678
    timer = SigInfo(0x11, 0x33, tid=0x77, overrun=0x88, value=0x99).pack(abi)
    assert at(timer, "si_timerid", "i") == 0x77 and at(timer, "si_overrun", "i") == 0x88
    assert at(timer, "si_value", "W") == 0x99
    queued = SigInfo(0x11, -1, pid=0x44, uid=0x55, value=0xAB).pack(abi)
    assert at(queued, "si_value", "W") == 0xAB
