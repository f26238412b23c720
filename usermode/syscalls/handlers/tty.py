"""ioctl: requests translated by name (guest number -> name -> host number),
each with its argument's shape. Terminal and descriptor requests live here;
another module adds its own with `ioctl_request(name, shape)` and is named in
REQUEST_MODULES: handler modules are imported at their first call (registry.py),
so those are imported at the first request that is not declared here.

A request nobody declared is an honest ENOTTY (with one warning per request),
never a guess at its argument.
"""
import ctypes
import errno
import functools

from ...errors import GuestError
from ...memory.space import PROT_READ, PROT_WRITE
from ..argtypes import Arg, Fd, UInt
from ..registry import syscall
from . import termios
from .hostcall import HOST_LAYOUTS, call as _call

# name -> how the argument travels
#   "none": no argument; "value": an int passed by value; "int_in"/"int_out"/"int_inout":
#   a pointer to an int; ("in"|"out"|"inout", layout name): a pointer to a struct; a callable:
#   fn(t, fd, host_request, arg) does it all.
REQUESTS = {}
# requests that can wait (for output to drain, for a peer): run with the emulator lock released
BLOCKING = set()
# the other modules that declare requests (at their import)
REQUEST_MODULES = ("devices",)


def ioctl_request(name, shape, blocking=False):
    REQUESTS[name] = shape
    if blocking:
        BLOCKING.add(name)


for _name in ("FIOCLEX", "FIONCLEX", "TIOCNOTTY", "TIOCEXCL", "TIOCNXCL", "TIOCCONS", "TIOCSBRK", "TIOCCBRK"):
    ioctl_request(_name, "none")
for _name in ("TIOCSCTTY", "TCXONC", "TCFLSH", "TIOCVHANGUP"):
    ioctl_request(_name, "value")
for _name in ("TCSBRK", "TCSBRKP"):
    ioctl_request(_name, "value", blocking=True)
for _name in ("TIOCSPGRP", "FIONBIO", "FIOASYNC", "TIOCSETD", "TIOCPKT", "TIOCSPTLCK",
              "TIOCMBIS", "TIOCMBIC", "TIOCMSET", "TIOCSSOFTCAR"):
    ioctl_request(_name, "int_in")
for _name in ("TIOCGPGRP", "FIONREAD", "TIOCOUTQ", "TIOCGSID", "TIOCGETD", "TIOCGPTN", "TIOCMGET",
              "TIOCGPTLCK", "TIOCGPKT", "TIOCGEXCL", "TIOCGSOFTCAR"):
    ioctl_request(_name, "int_out")
ioctl_request("TCGETS", ("out", "termios"))
ioctl_request("TCSETS", ("in", "termios"))
ioctl_request("TCSETSW", ("in", "termios"), blocking=True)
ioctl_request("TCSETSF", ("in", "termios"), blocking=True)
ioctl_request("TIOCGWINSZ", ("out", "winsize"))
ioctl_request("TIOCSWINSZ", ("in", "winsize"))
# layouts whose *contents* are constants: translated where the guest's differ (termios.py)
_CONTENT_GROUPS = {"termios": "TERMIOS"}


def _tiocgptpeer(t, fd, host_request, arg):
    """The pty's other end as a new descriptor; the argument is open flags."""
    return _call("ioctl", fd, host_request, t.abi.flags("OPEN", "").to_host(arg & 0xFFFFFFFF))


ioctl_request("TIOCGPTPEER", _tiocgptpeer)


_others_loaded = []  # [True] once REQUEST_MODULES are imported


def _request(abi, number):
    """(name, host request number) of a guest request, or None. The other modules'
    requests are imported at the first request that is not one of this module's
    (a program's first ioctl is mostly isatty's TCGETS)."""
    entry = _requests(abi).get(number)
    if entry is None and not _others_loaded:
        for module in REQUEST_MODULES:
            __import__(f"{__package__}.{module}")
        _others_loaded.append(True)
        _requests.cache_clear()
        entry = _requests(abi).get(number)
    return entry


@functools.lru_cache(maxsize=None)
def _requests(abi):
    """guest request number -> (name, host request number), for the declared requests."""
    out = {}
    for name in REQUESTS:
        guest, host = abi.tables.IOCTL.get(name), abi.host.IOCTL.get(name)
        if guest is not None and host is not None:
            out.setdefault(guest & 0xFFFFFFFF, (name, host))
    return out


@functools.lru_cache(maxsize=None)
def _same_constants(abi, group):
    guest, host = getattr(abi.tables, group), getattr(abi.host, group)
    return all(host.get(k) == v for k, v in guest.items())


class Request(UInt):
    def show(self, t, raw, args):
        entry = _request(t.abi, raw & 0xFFFFFFFF)
        if entry:
            return entry[0]
        for name, v in t.abi.tables.IOCTL.items():
            if v & 0xFFFFFFFF == raw & 0xFFFFFFFF:
                return name
        return hex(raw & 0xFFFFFFFF)


class IoctlArg(Arg):
    def show(self, t, raw, args):
        return hex(raw)


@syscall
def ioctl(t, fd: Fd, request: Request(), arg: IoctlArg):
    entry = _request(t.abi, request)
    if entry is None:
        host_flags = _call("fcntl", fd, 3, 0)  # F_GETFL: EBADF for a descriptor that is not open
        if host_flags & 0o10000000:  # O_PATH: no ioctl at all, as the kernel says
            raise GuestError(errno.EBADF)
        key = f"ioctl {request:#x}"
        if key not in t.process.warned:
            t.process.warned.add(key)
            name = next((n for n, v in t.abi.tables.IOCTL.items() if v & 0xFFFFFFFF == request), None)
            t.process.warn(f"unsupported ioctl {name or hex(request)}: returning ENOTTY")
        raise GuestError(errno.ENOTTY)
    name, host_request = entry
    shape = REQUESTS[name]
    if callable(shape):
        return shape(t, fd, host_request, arg)
    if name in BLOCKING:
        def call(*args):
            with t.unlocked():
                return _call(*args)
    else:
        call = _call
    if shape == "none":
        return call("ioctl", fd, host_request, 0)
    if shape == "value":
        return call("ioctl", fd, host_request, arg & 0xFFFFFFFF)
    if shape in ("int_in", "int_out", "int_inout"):
        t.space.check(arg, 4, (PROT_READ if shape != "int_out" else 0) | (PROT_WRITE if shape != "int_in" else 0))
        cell = ctypes.c_int(t.abi.unpack("i", t.space.read(arg, 4))[0] if shape != "int_out" else 0)
        ret = call("ioctl", fd, host_request, ctypes.byref(cell))
        if shape != "int_in":
            t.space.write(arg, t.abi.pack("i", cell.value))
        return ret
    direction, layout_name = shape
    group = _CONTENT_GROUPS.get(layout_name)
    translate = group is not None and not _same_constants(t.abi, group)  # MIPS' termios (termios.py)
    guest, host = getattr(t.layouts, layout_name), getattr(HOST_LAYOUTS, layout_name)
    if direction in ("in", "inout"):
        if direction == "inout":
            t.space.check(arg, guest.size, PROT_READ | PROT_WRITE)
        values = guest.unpack(t.space.read(arg, guest.size))
        if translate:
            values = termios.to_host(t.abi, values, len(host.unpack(bytes(host.size))["c_cc"]))
        buf = ctypes.create_string_buffer(host.pack(**values), host.size)
        ret = call("ioctl", fd, host_request, buf)
        if direction == "in":
            return ret
        values = host.unpack(buf.raw)
        if translate:
            values = termios.to_guest(t.abi, values, len(guest.unpack(bytes(guest.size))["c_cc"]))
        t.space.write(arg, guest.pack(**values))
        return ret
    t.space.check(arg, guest.size, PROT_WRITE)
    buf = ctypes.create_string_buffer(host.size)
    ret = call("ioctl", fd, host_request, buf)
    values = host.unpack(buf.raw)
    if translate:
        values = termios.to_guest(t.abi, values, len(guest.unpack(bytes(guest.size))["c_cc"]))
    t.space.write(arg, guest.pack(**values))
    return ret
