"""Credentials: set*id, setfs*id, capget/capset.

Guest threads are host threads and the kernel keeps credentials per thread, so
each of these is the host's raw call made by the calling thread, as the guest
kernel would make it for that thread alone (the guest's glibc makes every
thread call setuid when the program calls it once: its SIGSETXID broadcast).
The emulator then runs with exactly the rights the guest gave itself.
"""
import ctypes
import errno

from ...errors import GuestError
from ..argtypes import Ptr, Uid
from ..registry import syscall
from .fs import OVERFLOW_ID
from .hostcall import HOST_LAYOUTS, call

# uid_t and gid_t are 32-bit everywhere; -1 means "unchanged". The ABIs that kept
# the 16-bit calls (the uid16 quirk: arm, i386, m68k) have setuid32... beside them:
# there the plain names take Uid(16) arguments, whose 0xffff is -1.

@syscall(twins={"setuid32": {}})
def setuid(t, uid: Uid):
    call("setuid", uid)


@syscall(twins={"setgid32": {}})
def setgid(t, gid: Uid):
    call("setgid", gid)


@syscall(twins={"setreuid32": {}})
def setreuid(t, ruid: Uid, euid: Uid):
    call("setreuid", ruid, euid)


@syscall(twins={"setregid32": {}})
def setregid(t, rgid: Uid, egid: Uid):
    call("setregid", rgid, egid)


@syscall(twins={"setresuid32": {}})
def setresuid(t, ruid: Uid, euid: Uid, suid: Uid):
    call("setresuid", ruid, euid, suid)


@syscall(twins={"setresgid32": {}})
def setresgid(t, rgid: Uid, egid: Uid, sgid: Uid):
    call("setresgid", rgid, egid, sgid)


@syscall(twins={"setfsuid32": {}})
def setfsuid(t, uid: Uid, *, bits=32):
    return _narrow(call("setfsuid", uid), bits)  # the old fsuid, never an error


@syscall(twins={"setfsgid32": {}})
def setfsgid(t, gid: Uid, *, bits=32):
    return _narrow(call("setfsgid", gid), bits)


def _narrow(old, bits):
    return old if bits == 32 or old <= 0xFFFF else OVERFLOW_ID  # the kernel's high2lowuid


for _fn in (setuid, setgid, setreuid, setregid, setresuid, setresgid):
    syscall(_fn, name=_fn.__name__, when="uid16", types={n: Uid(16) for n in _fn.__annotations__})
for _fn in (setfsuid, setfsgid):
    syscall(_fn, name=_fn.__name__, when="uid16", bound={"bits": 16},
            types={n: Uid(16) for n in _fn.__annotations__})


# ---- capabilities ---------------------------------------------------------------------
# The header's version says how many data structs follow: one for version 1, two
# (the upper 32 capabilities) for versions 2 and 3. The kernel answers an unknown
# version with EINVAL after writing its preferred version into the header.

_VERSION_WORDS = {0x19980330: 1, 0x20071026: 2, 0x20080522: 2}


def _header(t, hdrp):
    guest = t.layouts.cap_header
    fields = guest.unpack(t.space.read(hdrp, guest.size))
    return fields, ctypes.create_string_buffer(HOST_LAYOUTS.cap_header.pack(**fields), HOST_LAYOUTS.cap_header.size)


def _write_header_back(t, hdrp, host_header):
    t.space.write(hdrp, t.layouts.cap_header.pack(**HOST_LAYOUTS.cap_header.unpack(host_header.raw)))


@syscall
def capget(t, hdrp: Ptr, datap: Ptr):
    fields, host_header = _header(t, hdrp)
    words = _VERSION_WORDS.get(fields["version"], 0)
    hdata = HOST_LAYOUTS.cap_data
    host_data = ctypes.create_string_buffer(hdata.size * 2)
    try:
        call("capget", host_header, host_data if datap else None)
    finally:
        _write_header_back(t, hdrp, host_header)
    if datap and words:
        out = b"".join(t.layouts.cap_data.pack(**hdata.unpack(host_data.raw[i * hdata.size:]))
                       for i in range(words))
        t.space.write(datap, out)


@syscall
def capset(t, hdrp: Ptr, datap: Ptr):
    fields, host_header = _header(t, hdrp)
    words = _VERSION_WORDS.get(fields["version"])
    if words is None:
        try:
            call("capset", host_header, None)  # the host's EINVAL and preferred version
        finally:
            _write_header_back(t, hdrp, host_header)
        return
    if not datap:
        raise GuestError(errno.EFAULT)
    guest = t.layouts.cap_data
    raw = t.space.read(datap, guest.size * words)
    host = b"".join(HOST_LAYOUTS.cap_data.pack(**guest.unpack(raw[i * guest.size:])) for i in range(words))
    call("capset", host_header, ctypes.create_string_buffer(host, len(host)))
