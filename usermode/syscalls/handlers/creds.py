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
from ..argtypes import Int, Ptr
from ..registry import syscall
from .hostcall import HOST_LAYOUTS, call

ID_MASK = 0xFFFFFFFF  # uid_t and gid_t are 32-bit everywhere; -1 means "unchanged"


def _id(value):
    return value & ID_MASK


@syscall
def setuid(t, uid: Int):
    call("setuid", _id(uid))


@syscall
def setgid(t, gid: Int):
    call("setgid", _id(gid))


@syscall
def setreuid(t, ruid: Int, euid: Int):
    call("setreuid", _id(ruid), _id(euid))


@syscall
def setregid(t, rgid: Int, egid: Int):
    call("setregid", _id(rgid), _id(egid))


@syscall
def setresuid(t, ruid: Int, euid: Int, suid: Int):
    call("setresuid", _id(ruid), _id(euid), _id(suid))


@syscall
def setresgid(t, rgid: Int, egid: Int, sgid: Int):
    call("setresgid", _id(rgid), _id(egid), _id(sgid))


@syscall
def setfsuid(t, uid: Int):
    return call("setfsuid", _id(uid))  # the old fsuid, never an error


@syscall
def setfsgid(t, gid: Int):
    return call("setfsgid", _id(gid))


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
