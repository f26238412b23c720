"""Sockets: socket, socketpair, bind, listen, accept, connect, names, send and
receive (plain and with messages, SCM_RIGHTS and SCM_CREDENTIALS both ways),
shutdown, and socket options translated by name.

Guest descriptors are host descriptors, so every call is the host kernel's own
raw call (hostcall.call) on the guest's buffers in place where they are the
host's byte for byte (data, iovec targets), and on host copies where they are
not: a sockaddr's family field (the guest's byte order, the family's value by
name), msghdr/iovec/cmsghdr (the guest's word size), option values. Calls that
can block (accept, connect, send, receive) release the emulator lock.

The rest of a sockaddr (ports and IPv4/IPv6 addresses in network order, unix
paths as bytes) is the same on every ABI; the few host-order fields beyond the
family (sin6_scope_id, netlink pids) are the same too while guest and host
share a byte order, as every supported guest does with x86-64.
"""
import ctypes
import errno
import struct

from ...errors import GuestError
from ...translate import FlagMap, ValueMap
from ..argtypes import Arg, Enum, Fd, Flags, InBuf, Int, OutBuf, Ptr, Size
from ..registry import syscall
from .hosttypes import (HOST, HOST_ABI, HOST_LAYOUTS, PROT_READ, PROT_WRITE, address, host_iovecs,
                      guest_address, call, repack)

SOCKADDR_MAX = 128  # sizeof(struct sockaddr_storage): the kernel's limit on an address
INT_MAX = (1 << 31) - 1
IOV_MAX = 1024  # UIO_MAXIOV
MAX_OPTLEN = 1 << 16  # host buffer bound for an option value (the guest's must exist anyway)

_SOCK_TYPES = ("SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM", "SOCK_SEQPACKET",
               "SOCK_DCCP", "SOCK_PACKET")
_SOCK_FLAGS = ("SOCK_NONBLOCK", "SOCK_CLOEXEC")


def _cached(abi, key, make):
    cache = abi.__dict__.setdefault("_net_cache", {})
    if key not in cache:
        cache[key] = make()
    return cache[key]


def _names(abi, names, cls):
    """A ValueMap or FlagMap over just these names of group SOCKET."""
    def make():
        return cls({n: abi.tables.SOCKET[n] for n in names if n in abi.tables.SOCKET},
                   {n: HOST.SOCKET[n] for n in names if n in HOST.SOCKET})
    return _cached(abi, (cls.__name__, names), make)


def sock_types(abi):
    return _names(abi, _SOCK_TYPES, ValueMap)


def sock_flags(abi):
    return _names(abi, _SOCK_FLAGS, FlagMap)


def families(abi):
    return abi.const_map("SOCKET", "AF_")


class SockType(Arg):
    """socket()'s type: one SOCK_* type (a value) or'ed with SOCK_NONBLOCK/SOCK_CLOEXEC (bits)."""

    def decoder(self, abi):
        types, flags = sock_types(abi), sock_flags(abi)
        fmask = flags.known_guest

        def decode(t, raw):
            raw &= 0xFFFFFFFF
            return types.to_host(raw & ~fmask) | flags.to_host(raw & fmask)
        return decode

    def show(self, t, raw, args):
        raw &= 0xFFFFFFFF
        flags = sock_flags(t.abi)
        kind = raw & ~flags.known_guest
        name = sock_types(t.abi).name(kind) or str(kind)
        rest = flags.format(raw & flags.known_guest)
        return name if rest == "0" else f"{name}|{rest}"


class SockFlags(Arg):
    """accept4's flags: SOCK_NONBLOCK|SOCK_CLOEXEC."""

    def decoder(self, abi):
        flags = sock_flags(abi)
        return lambda t, raw: flags.to_host(raw & 0xFFFFFFFF)

    def show(self, t, raw, args):
        return sock_flags(t.abi).format(raw & 0xFFFFFFFF)


Family = Enum("SOCKET", "AF_")
MsgFlags = Flags("SOCKET", "MSG_")


# ---- addresses ---------------------------------------------------------------

def _family_to_host(t, data):
    if len(data) >= 2:
        fam = int.from_bytes(data[:2], t.abi.endian)
        data[:2] = families(t.abi).to_host(fam).to_bytes(2, "little")
    return data


def _family_to_guest(t, data):
    if len(data) >= 2:
        fam = int.from_bytes(data[:2], "little")
        data[:2] = families(t.abi).to_guest(fam).to_bytes(2, t.abi.endian)
    return data


AF_UNIX = 1  # the same value on every ABI and the host
SUN_PATH_MAX = 108


def _unix_path_to_host(t, data, nofollow):
    """Under --rootfs a unix socket's file name is the guest's: the host's name for it."""
    if not t.process.paths.is_rootfs or len(data) <= 2 or data[2] == 0:
        return data  # unnamed, abstract, or no translation to make
    if int.from_bytes(data[:2], "little") != AF_UNIX:
        return data
    name = bytes(data[2:]).split(b"\0", 1)[0]
    host = t.process.paths.to_host(name, nofollow=nofollow)
    if len(host) >= SUN_PATH_MAX:
        raise GuestError(errno.ENAMETOOLONG)
    return bytearray(data[:2] + host + b"\0")


def _unix_path_to_guest(t, data):
    if not t.process.paths.is_rootfs or len(data) <= 2 or data[2] == 0:
        return data
    if int.from_bytes(data[:2], "little") != AF_UNIX:
        return data
    name = bytes(data[2:]).split(b"\0", 1)[0]
    return bytearray(data[:2] + t.process.paths.guest_name(name) + b"\0")


def sockaddr_in(t, addr, addrlen, nofollow=False):
    """A guest address for the host: (buffer or None, length)."""
    if addrlen < 0 or addrlen > SOCKADDR_MAX:
        raise GuestError(errno.EINVAL)
    if addrlen == 0:
        return None, 0
    data = _unix_path_to_host(t, _family_to_host(t, bytearray(t.space.read(addr, addrlen))), nofollow)
    return ctypes.create_string_buffer(bytes(data), len(data)), len(data)


class SockaddrOut:
    """An address the kernel returns through (addr, socklen_t *addrlen)."""

    def __init__(self, t, addr, lenp, required=False):
        self.addr, self.lenp = addr, lenp
        self.buf = self.hlen = None
        if addr or required:
            self.glen = _read_int(t, lenp)
            if self.glen < 0:
                raise GuestError(errno.EINVAL)
            self.buf = ctypes.create_string_buffer(SOCKADDR_MAX)
            self.hlen = ctypes.c_uint32(SOCKADDR_MAX)

    def args(self):
        if self.buf is None:
            return None, None
        return self.buf, ctypes.byref(self.hlen)

    def store(self, t, actual=None):
        if self.buf is None:
            return
        actual = self.hlen.value if actual is None else actual
        data = bytearray(self.buf.raw[:min(actual, SOCKADDR_MAX)])
        if t.process.paths.is_rootfs:
            data = _unix_path_to_guest(t, data)
            actual = len(data) if len(data) > 2 and data[2] else actual
        data = _family_to_guest(t, data)
        n = min(self.glen, len(data))
        if n:
            t.space.write(self.addr, bytes(data[:n]))
        _write_int(t, self.lenp, actual)


def _read_int(t, addr):
    return t.abi.unpack("i", t.space.read(addr, 4))[0]


def _write_int(t, addr, value):
    t.space.write(addr, t.abi.pack("i", value))


# ---- socket, bind, listen, accept, connect ------------------------------------

@syscall
def socket(t, domain: Family, type: SockType, protocol: Int) -> Fd:
    return call("socket", families(t.abi).to_host(domain), type, protocol)


@syscall
def socketpair(t, domain: Family, type: SockType, protocol: Int, sv: Ptr):
    t.space.check(sv, 8, PROT_WRITE)
    fds = (ctypes.c_int * 2)()
    call("socketpair", families(t.abi).to_host(domain), type, protocol, fds)
    t.space.write(sv, t.abi.pack("ii", fds[0], fds[1]))


@syscall
def bind(t, fd: Fd, addr: Ptr, addrlen: Int):
    buf, n = sockaddr_in(t, addr, addrlen, nofollow=True)
    call("bind", fd, buf, n)


@syscall
def connect(t, fd: Fd, addr: Ptr, addrlen: Int):
    buf, n = sockaddr_in(t, addr, addrlen)
    with t.unlocked():
        call("connect", fd, buf, n)


@syscall
def listen(t, fd: Fd, backlog: Int):
    call("listen", fd, backlog)


@syscall
def accept4(t, fd: Fd, addr: Ptr, addrlen: Ptr, flags: SockFlags) -> Fd:
    out = SockaddrOut(t, addr, addrlen)
    with t.unlocked():
        new = call("accept4", fd, *out.args(), flags)
    try:
        out.store(t)
    except GuestError:
        call("close", new)  # as the kernel: no descriptor when the address cannot be returned
        raise
    return new


@syscall
def accept(t, fd: Fd, addr: Ptr, addrlen: Ptr) -> Fd:
    return accept4(t, fd, addr, addrlen, 0)


def _name(t, fd, addr, addrlen, which):
    out = SockaddrOut(t, addr, addrlen, required=True)
    call(which, fd, *out.args())
    out.store(t)


@syscall
def getsockname(t, fd: Fd, addr: Ptr, addrlen: Ptr):
    _name(t, fd, addr, addrlen, "getsockname")


@syscall
def getpeername(t, fd: Fd, addr: Ptr, addrlen: Ptr):
    _name(t, fd, addr, addrlen, "getpeername")


Shutdown = Enum("SOCKET", "SHUT_")


@syscall
def shutdown(t, fd: Fd, how: Shutdown):
    call("shutdown", fd, t.abi.const_map("SOCKET", "SHUT_").to_host(how))


# ---- send and receive --------------------------------------------------------

@syscall
def sendto(t, fd: Fd, buf: InBuf("len"), len: Size, flags: MsgFlags, addr: Ptr, addrlen: Int):
    len = min(len, INT_MAX)
    data = guest_address(t, buf, len, PROT_READ)
    name, n = sockaddr_in(t, addr, addrlen) if addr else (None, 0)
    with t.unlocked():
        return call("sendto", fd, data, len, flags, name, n)


@syscall
def recvfrom(t, fd: Fd, buf: OutBuf, len: Size, flags: MsgFlags, addr: Ptr, addrlen: Ptr):
    len = min(len, INT_MAX)
    data = guest_address(t, buf, len, PROT_WRITE)
    out = SockaddrOut(t, addr, addrlen)
    with t.unlocked():
        n = call("recvfrom", fd, data, len, flags, *out.args())
    out.store(t)
    return n


@syscall
def send(t, fd: Fd, buf: InBuf("len"), len: Size, flags: MsgFlags):
    return sendto(t, fd, buf, len, flags, 0, 0)


@syscall
def recv(t, fd: Fd, buf: OutBuf, len: Size, flags: MsgFlags):
    return recvfrom(t, fd, buf, len, flags, 0, 0)


class HostMsghdr(ctypes.Structure):
    _fields_ = [("msg_name", ctypes.c_void_p), ("msg_namelen", ctypes.c_uint32),
                ("msg_iov", ctypes.c_void_p), ("msg_iovlen", ctypes.c_size_t),
                ("msg_control", ctypes.c_void_p), ("msg_controllen", ctypes.c_size_t),
                ("msg_flags", ctypes.c_int)]


def _sol_socket(abi):
    return abi.const("SOCKET", "SOL_SOCKET")


def _scm_types(abi):
    return abi.const_map("SOCKET", "SCM_")


def _cmsg_align(n, align):
    return (n + align - 1) & ~(align - 1)


def _control_to_host(t, control, controllen):
    """The guest's control messages rebuilt for the host: (buffer, length)."""
    if controllen > INT_MAX:
        raise GuestError(errno.ENOBUFS)
    abi = t.abi
    data = t.space.read(control, controllen)
    glay, hlay = t.layouts.cmsghdr, HOST_LAYOUTS.cmsghdr
    galign, halign = abi.word_bytes, HOST_ABI.word_bytes
    out = bytearray()
    pos = 0
    sol = _sol_socket(abi)
    while pos + glay.size <= controllen:
        h = glay.unpack(data[pos:])
        clen = h["cmsg_len"]
        if clen < glay.size or clen > controllen - pos:
            raise GuestError(errno.EINVAL)
        payload = data[pos + glay.size:pos + clen]
        level, kind = h["cmsg_level"], h["cmsg_type"]
        if level == sol:
            level = HOST.SOCKET["SOL_SOCKET"]
            payload = _payload(abi, kind, payload, to_host=True)
            kind = _scm_types(abi).to_host(kind)
            if kind == HOST.SOCKET["SCM_RIGHTS"]:
                sent = struct.unpack_from(f"<{len(payload) // 4}i", payload)
                if not t.process.reserved_fds.isdisjoint(sent):
                    raise GuestError(errno.EBADF)  # the emulator's own descriptors are not the guest's to pass
        out += hlay.pack(cmsg_len=hlay.size + len(payload), cmsg_level=level, cmsg_type=kind) + payload
        out += bytes(_cmsg_align(len(out), halign) - len(out))
        pos += _cmsg_align(clen, galign)
    if not out:
        return None, 0
    return ctypes.create_string_buffer(bytes(out), len(out)), len(out)


def _payload(abi, kind, payload, to_host):
    """SCM_RIGHTS (ints) and SCM_CREDENTIALS (struct ucred) between byte orders; others as they are."""
    names = abi.tables.SOCKET
    src, dst = ("<" if not to_host else abi.prefix), (abi.prefix if not to_host else "<")
    guest_kind = kind if to_host else _scm_types(abi).to_guest(kind)
    if guest_kind == names.get("SCM_RIGHTS"):
        count = len(payload) // 4
        return struct.pack(f"{dst}{count}i", *struct.unpack_from(f"{src}{count}i", payload)) + payload[4 * count:]
    if guest_kind == names.get("SCM_CREDENTIALS") and len(payload) >= 12:
        return struct.pack(f"{dst}iII", *struct.unpack_from(f"{src}iII", payload)) + payload[12:]
    return payload


def _control_to_guest(t, buf, hlen, room):
    """Host control messages for the guest's buffer of `room` bytes: (bytes, truncated).
    Descriptors that do not fit are closed, as the kernel does not install them."""
    abi = t.abi
    glay, hlay = t.layouts.cmsghdr, HOST_LAYOUTS.cmsghdr
    galign = abi.word_bytes
    raw = buf.raw[:hlen] if buf is not None else b""
    out = bytearray()
    truncated = False
    pos = 0
    host_sol = HOST.SOCKET["SOL_SOCKET"]
    host_rights = HOST.SOCKET["SCM_RIGHTS"]
    while pos + hlay.size <= len(raw):
        h = hlay.unpack(raw[pos:])
        clen = h["cmsg_len"]
        if clen < hlay.size:
            break
        payload = raw[pos + hlay.size:pos + clen]
        level, kind = h["cmsg_level"], h["cmsg_type"]
        rights = level == host_sol and kind == host_rights
        if level == host_sol:
            level = _sol_socket(abi)
            payload = _payload(abi, kind, payload, to_host=False)
            kind = _scm_types(abi).to_guest(kind)
        left = room - len(out)
        fit = payload
        if glay.size + len(payload) > left:
            truncated = True
            if left < glay.size:
                fit = b""
            elif rights:
                fit = payload[:(left - glay.size) // 4 * 4]
            else:
                fit = payload[:left - glay.size]
        if rights and len(fit) < len(payload):
            count = len(payload) // 4
            for fd in struct.unpack_from(f"{abi.prefix}{count}i", payload)[len(fit) // 4:]:
                try:
                    call("close", fd)
                except OSError:
                    pass
        if left >= glay.size:
            out += glay.pack(cmsg_len=glay.size + len(fit), cmsg_level=level, cmsg_type=kind) + fit
            out += bytes(min(_cmsg_align(len(out), galign), room) - len(out))
        pos += _cmsg_align(clen, HOST_ABI.word_bytes)
    return bytes(out), truncated


@syscall
def sendmsg(t, fd: Fd, msg: Ptr, flags: MsgFlags):
    layout = t.layouts.msghdr
    m = layout.unpack(t.space.read(msg, layout.size))
    name, namelen = sockaddr_in(t, m["msg_name"], m["msg_namelen"]) if m["msg_name"] else (None, 0)
    iov = host_iovecs(t, m["msg_iov"], m["msg_iovlen"], PROT_READ, errno.EMSGSIZE)
    control, controllen = (_control_to_host(t, m["msg_control"], m["msg_controllen"])
                           if m["msg_controllen"] else (None, 0))
    host = HostMsghdr(address(name), namelen, address(iov), m["msg_iovlen"],
                      address(control), controllen, 0)
    with t.unlocked():
        return call("sendmsg", fd, ctypes.byref(host), flags)


@syscall
def recvmsg(t, fd: Fd, msg: Ptr, flags: MsgFlags):
    abi = t.abi
    layout = t.layouts.msghdr
    t.space.check(msg, layout.size, PROT_READ | PROT_WRITE)
    m = layout.unpack(t.space.read(msg, layout.size))
    if m["msg_namelen"] > INT_MAX:
        raise GuestError(errno.EINVAL)
    iov = host_iovecs(t, m["msg_iov"], m["msg_iovlen"], PROT_WRITE, errno.EMSGSIZE)
    name = ctypes.create_string_buffer(SOCKADDR_MAX) if m["msg_name"] else None
    room = min(m["msg_controllen"], INT_MAX) if m["msg_control"] else 0
    # the host's cmsghdr is as large as any guest's: a host buffer of the guest's size
    # never brings more than the guest can take when the sizes agree
    hroom = min(room * HOST_LAYOUTS.cmsghdr.size // t.layouts.cmsghdr.size, 1 << 20)
    control = ctypes.create_string_buffer(hroom) if hroom else None
    host = HostMsghdr(address(name), SOCKADDR_MAX if name is not None else 0, address(iov),
                      m["msg_iovlen"], address(control), hroom, 0)
    with t.unlocked():
        n = call("recvmsg", fd, ctypes.byref(host), flags)
    cmsgs, truncated = _control_to_guest(t, control, host.msg_controllen, room)
    if cmsgs:
        t.space.write(m["msg_control"], cmsgs)
    hflags = host.msg_flags
    if truncated:
        hflags |= HOST.SOCKET["MSG_CTRUNC"]
    guest_flags = abi.flags("SOCKET", "MSG_").to_guest(hflags & 0xFFFFFFFF)
    if guest_flags & 0x80000000:
        guest_flags -= 1 << 32  # msg_flags is an int
    updates = dict(m, msg_controllen=len(cmsgs), msg_flags=guest_flags)
    if name is not None:
        actual = host.msg_namelen
        data = _family_to_guest(t, bytearray(name.raw[:min(actual, SOCKADDR_MAX)]))
        count = min(m["msg_namelen"], len(data))
        if count:
            t.space.write(m["msg_name"], bytes(data[:count]))
        updates["msg_namelen"] = actual
    t.space.write(msg, layout.pack(**updates))
    return n


# ---- socket options ----------------------------------------------------------

_INT, _TYPE, _FAMILY, _ERRNO, _RAW, _LINGER, _TIMEVAL, _UCRED = range(8)
_STRUCTS = {_LINGER: "linger", _TIMEVAL: "timeval", _UCRED: "ucred"}


def _ints(names):
    return dict.fromkeys(names.split(), _INT)


# Options whose values are understood, by level and name. _RAW values have no
# host-order fields beyond what the byte order changes (strings, network-order
# addresses, fixed-size little-endian structs): they pass unchanged between
# little-endian guests and the host, and are refused otherwise.
SOCKOPTS = {
    "SOL_SOCKET": {
        **_ints("SO_DEBUG SO_REUSEADDR SO_DONTROUTE SO_BROADCAST SO_SNDBUF SO_RCVBUF SO_SNDBUFFORCE "
                "SO_RCVBUFFORCE SO_KEEPALIVE SO_OOBINLINE SO_NO_CHECK SO_PRIORITY SO_REUSEPORT "
                "SO_PASSCRED SO_PASSSEC SO_RCVLOWAT SO_SNDLOWAT SO_TIMESTAMP SO_TIMESTAMPNS "
                "SO_TIMESTAMPING SO_ACCEPTCONN SO_PROTOCOL SO_MARK SO_RXQ_OVFL SO_PEEK_OFF "
                "SO_BUSY_POLL SO_INCOMING_CPU SO_ZEROCOPY SO_DETACH_FILTER SO_SELECT_ERR_QUEUE "
                "SO_INCOMING_NAPI_ID SO_WIFI_STATUS SO_NOFCS SO_LOCK_FILTER"),
        "SO_TYPE": _TYPE, "SO_DOMAIN": _FAMILY, "SO_ERROR": _ERRNO,
        "SO_LINGER": _LINGER, "SO_RCVTIMEO": _TIMEVAL, "SO_SNDTIMEO": _TIMEVAL,
        "SO_RCVTIMEO_NEW": _RAW, "SO_SNDTIMEO_NEW": _RAW, "SO_PEERCRED": _UCRED,
        "SO_BINDTODEVICE": _RAW, "SO_PEERNAME": _RAW, "SO_PEERSEC": _RAW, "SO_COOKIE": _RAW,
    },
    "IPPROTO_TCP": {
        **_ints("TCP_NODELAY TCP_MAXSEG TCP_CORK TCP_KEEPIDLE TCP_KEEPINTVL TCP_KEEPCNT TCP_SYNCNT "
                "TCP_LINGER2 TCP_DEFER_ACCEPT TCP_WINDOW_CLAMP TCP_QUICKACK TCP_USER_TIMEOUT "
                "TCP_FASTOPEN TCP_FASTOPEN_CONNECT TCP_NOTSENT_LOWAT TCP_THIN_LINEAR_TIMEOUTS TCP_INQ"),
        "TCP_CONGESTION": _RAW, "TCP_INFO": _RAW,
    },
    "IPPROTO_IP": {
        **_ints("IP_TOS IP_TTL IP_HDRINCL IP_RECVERR IP_PKTINFO IP_RECVTTL IP_RECVTOS IP_RECVOPTS "
                "IP_RETOPTS IP_MTU_DISCOVER IP_MTU IP_FREEBIND IP_TRANSPARENT IP_MULTICAST_TTL "
                "IP_MULTICAST_LOOP IP_MULTICAST_ALL IP_BIND_ADDRESS_NO_PORT IP_RECVORIGDSTADDR "
                "IP_PASSSEC IP_MINTTL IP_NODEFRAG IP_CHECKSUM IP_ROUTER_ALERT IP_RECVFRAGSIZE"),
        "IP_ADD_MEMBERSHIP": _RAW, "IP_DROP_MEMBERSHIP": _RAW, "IP_MULTICAST_IF": _RAW,
        "IP_OPTIONS": _RAW, "IP_ADD_SOURCE_MEMBERSHIP": _RAW, "IP_DROP_SOURCE_MEMBERSHIP": _RAW,
    },
    "IPPROTO_IPV6": {
        **_ints("IPV6_V6ONLY IPV6_UNICAST_HOPS IPV6_MULTICAST_HOPS IPV6_MULTICAST_LOOP "
                "IPV6_MULTICAST_IF IPV6_RECVPKTINFO IPV6_RECVHOPLIMIT IPV6_RECVTCLASS IPV6_TCLASS "
                "IPV6_MTU_DISCOVER IPV6_MTU IPV6_RECVERR IPV6_FREEBIND IPV6_TRANSPARENT "
                "IPV6_AUTOFLOWLABEL IPV6_DONTFRAG IPV6_RECVPATHMTU IPV6_HOPLIMIT IPV6_UNICAST_IF "
                "IPV6_MULTICAST_ALL"),
        "IPV6_ADD_MEMBERSHIP": _RAW, "IPV6_DROP_MEMBERSHIP": _RAW,
        "IPV6_JOIN_GROUP": _RAW, "IPV6_LEAVE_GROUP": _RAW,
    },
}


def _sockopt_table(abi):
    """{guest level: (host level, {guest option: (host option, kind, name)})}."""
    def make():
        table = {}
        for level, options in SOCKOPTS.items():
            entries = {}
            for name, kind in options.items():
                if name in abi.tables.SOCKET and name in HOST.SOCKET:
                    entries.setdefault(abi.tables.SOCKET[name], (HOST.SOCKET[name], kind, name))
            table[abi.tables.SOCKET[level]] = (HOST.SOCKET[level], entries)
        return table
    return _cached(abi, "sockopts", make)


def _sockopt(t, level, optname):
    entry = _sockopt_table(t.abi).get(level)
    option = entry[1].get(optname) if entry else None
    if option is None and t.abi.endian == HOST_ABI.endian and not entry:
        # a level we have no table for: its numbers are the same on every asm-generic ABI,
        # so the host says what it makes of it (EOPNOTSUPP, ENOPROTOOPT, or the option)
        return level, optname, _RAW
    if option is None or (option[1] == _RAW and t.abi.endian != HOST_ABI.endian):
        key = f"sockopt {level}/{optname}"
        if key not in t.process.warned:
            t.process.warned.add(key)
            t.process.warn(f"unsupported socket option level {level} option {optname}: ENOPROTOOPT")
        raise GuestError(errno.ENOPROTOOPT)
    return entry[0], option[0], option[1]


# option values that are themselves constants, and the map that translates them
_VALUE_MAPS = {_TYPE: sock_types, _FAMILY: families, _ERRNO: lambda abi: abi.errno}


def _int_to_guest(abi, kind, value):
    maps = _VALUE_MAPS.get(kind)
    return maps(abi).to_guest(value) if maps else value


def _int_to_host(abi, kind, value):
    maps = _VALUE_MAPS.get(kind)
    return maps(abi).to_host(value) if maps else value


@syscall
def getsockopt(t, fd: Fd, level: Int, optname: Int, optval: Ptr, optlen: Ptr):
    glen = _read_int(t, optlen)
    if glen < 0:
        raise GuestError(errno.EINVAL)
    hlevel, hname, kind = _sockopt(t, level, optname)
    abi = t.abi
    if kind in _STRUCTS:
        glay = getattr(t.layouts, _STRUCTS[kind])
        hlay = getattr(HOST_LAYOUTS, _STRUCTS[kind])
        buf = ctypes.create_string_buffer(hlay.size)
        hlen = ctypes.c_uint32(hlay.size)
        call("getsockopt", fd, hlevel, hname, buf, ctypes.byref(hlen))
        out = repack(hlay, glay, buf.raw[:hlay.size])[:min(glen, glay.size)]
    else:
        size = min(glen, MAX_OPTLEN)
        buf = ctypes.create_string_buffer(max(size, 1))
        hlen = ctypes.c_uint32(size)
        call("getsockopt", fd, hlevel, hname, buf, ctypes.byref(hlen))
        out = bytearray(buf.raw[:min(hlen.value, size)])
        if kind != _RAW and len(out) >= 4:
            value = int.from_bytes(out[:4], "little", signed=True)
            out[:4] = abi.pack("i", _int_to_guest(abi, kind, value))
    if out:
        t.space.write(optval, bytes(out))
    _write_int(t, optlen, len(out))


@syscall
def setsockopt(t, fd: Fd, level: Int, optname: Int, optval: Ptr, optlen: Int):
    if optlen < 0:
        raise GuestError(errno.EINVAL)
    hlevel, hname, kind = _sockopt(t, level, optname)
    abi = t.abi
    if kind in _STRUCTS:
        glay = getattr(t.layouts, _STRUCTS[kind])
        hlay = getattr(HOST_LAYOUTS, _STRUCTS[kind])
        if optlen < glay.size:
            raise GuestError(errno.EINVAL)
        data = repack(glay, hlay, t.space.read(optval, glay.size))
    else:
        data = bytearray(t.space.read(optval, min(optlen, MAX_OPTLEN)))
        if kind != _RAW and len(data) >= 4:
            value = abi.unpack("i", data)[0]
            data[:4] = HOST_ABI.pack("i", _int_to_host(abi, kind, value))
        data = bytes(data)
    buf = ctypes.create_string_buffer(data, max(len(data), 1))
    call("setsockopt", fd, hlevel, hname, buf, len(data))
