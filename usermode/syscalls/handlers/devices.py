"""ioctls of common devices and of network interfaces, where the argument's layout is
known: the random device (RND*), loop devices and their control device (LOOP_*),
block devices (BLK*), and the interface requests on sockets (SIOCGIF*, SIOCGIFCONF).

Each request is declared with its argument's shape (tty.ioctl_request); a struct is
repacked from the guest's layout to the host's and back, a pointer inside one is
followed and checked. The host's own device does the work, with the rights pyqemu
runs with (a loop device needs them; most set-requests need CAP_NET_ADMIN or root).
"""
import ctypes
import errno

from ...errors import GuestError
from ...memory.space import PROT_WRITE
from .hostcall import HOST_ABI, HOST_LAYOUTS, call
from .tty import ioctl_request

# ---- the random device (<linux/random.h>) ----------------------------------------
ioctl_request("RNDGETENTCNT", "int_out")
ioctl_request("RNDADDTOENTCNT", "int_in")
for _name in ("RNDZAPENTCNT", "RNDCLEARPOOL", "RNDRESEEDCRNG"):
    ioctl_request(_name, "none")


def _rndaddentropy(t, fd, host_request, arg):
    """struct rand_pool_info { int entropy_count; int buf_size; __u32 buf[]; }: the bytes
    follow the two ints (buf_size of them)."""
    head = t.space.read(arg, 8)
    count, size = t.abi.unpack("ii", head)
    if size < 0:
        raise GuestError(errno.EINVAL)
    data = t.space.read(arg + 8, size)
    buf = ctypes.create_string_buffer(HOST_ABI.pack("ii", count, size) + data, 8 + size)
    return call("ioctl", fd, host_request, buf)


ioctl_request("RNDADDENTROPY", _rndaddentropy)

# ---- loop devices (<linux/loop.h>) -----------------------------------------------
# LOOP_SET_FD, LOOP_CHANGE_FD: a descriptor (the guest's are the host's); LOOP_CTL_*:
# a device number; their results are numbers too
for _name in ("LOOP_SET_FD", "LOOP_CHANGE_FD", "LOOP_SET_DIRECT_IO", "LOOP_SET_BLOCK_SIZE",
              "LOOP_CTL_ADD", "LOOP_CTL_REMOVE"):
    ioctl_request(_name, "value")
for _name in ("LOOP_CLR_FD", "LOOP_SET_CAPACITY", "LOOP_CTL_GET_FREE"):
    ioctl_request(_name, "none")
ioctl_request("LOOP_SET_STATUS64", ("in", "loop_info64"))
ioctl_request("LOOP_GET_STATUS64", ("out", "loop_info64"))
ioctl_request("LOOP_CONFIGURE", ("in", "loop_config"))

# ---- block devices (<linux/fs.h>) ------------------------------------------------
for _name in ("BLKSSZGET", "BLKPBSZGET", "BLKIOMIN", "BLKIOOPT", "BLKALIGNOFF", "BLKROGET", "BLKBSZGET",
              "BLKROTATIONAL", "BLKSECTGET", "BLKDISCARDZEROES"):
    ioctl_request(_name, "int_out")
ioctl_request("BLKROSET", "int_in")
ioctl_request("BLKBSZSET", "int_in")
for _name in ("BLKFLSBUF", "BLKRRPART"):
    ioctl_request(_name, "none")
ioctl_request("BLKRASET", "value")
ioctl_request("BLKFRASET", "value")


def _out_scalar(code_guest):
    """A request writing one integer of the guest's type `code_guest` ("Q": u64, "L": an
    unsigned long, the guest's word)."""
    def request(t, fd, host_request, arg):
        t.space.check(arg, t.abi.size(code_guest), PROT_WRITE)
        cell = ctypes.c_uint64()
        ret = call("ioctl", fd, host_request, ctypes.byref(cell))
        value = cell.value
        if code_guest == "W" and value >> (8 * t.abi.word_bytes):
            raise GuestError(errno.EFBIG)  # a 32-bit process asking a size past 2^32 sectors
        t.space.write(arg, t.abi.pack(code_guest, value))
        return ret
    return request


ioctl_request("BLKGETSIZE64", _out_scalar("Q"))
ioctl_request("BLKGETSIZE", _out_scalar("W"))
ioctl_request("BLKRAGET", _out_scalar("W"))
ioctl_request("BLKFRAGET", _out_scalar("W"))


def _range_in(t, fd, host_request, arg):
    """BLKDISCARD, BLKSECDISCARD, BLKZEROOUT: two u64s, start and length."""
    start, length = t.abi.unpack("QQ", t.space.read(arg, 16))
    cells = (ctypes.c_uint64 * 2)(start, length)
    with t.unlocked():  # the device may take its time
        return call("ioctl", fd, host_request, cells)


for _name in ("BLKDISCARD", "BLKSECDISCARD", "BLKZEROOUT"):
    ioctl_request(_name, _range_in)

# ---- network interfaces (<linux/sockios.h>, <net/if.h>) ----------------------------
ioctl_request("SIOCATMARK", "int_out")
for _name in ("SIOCGIFADDR", "SIOCGIFDSTADDR", "SIOCGIFBRDADDR", "SIOCGIFNETMASK", "SIOCGIFHWADDR"):
    ioctl_request(_name, ("inout", "ifreq_addr"))
for _name in ("SIOCSIFADDR", "SIOCSIFDSTADDR", "SIOCSIFBRDADDR", "SIOCSIFNETMASK", "SIOCSIFHWADDR"):
    ioctl_request(_name, ("in", "ifreq_addr"))
for _name in ("SIOCGIFINDEX", "SIOCGIFMTU", "SIOCGIFMETRIC", "SIOCGIFTXQLEN", "SIOCGIFNAME"):
    ioctl_request(_name, ("inout", "ifreq_int"))
for _name in ("SIOCSIFMTU", "SIOCSIFMETRIC", "SIOCSIFTXQLEN"):
    ioctl_request(_name, ("in", "ifreq_int"))
ioctl_request("SIOCGIFFLAGS", ("inout", "ifreq_short"))
ioctl_request("SIOCSIFFLAGS", ("in", "ifreq_short"))


def _siocgifconf(t, fd, host_request, arg):
    """struct ifconf { int ifc_len; char *ifc_buf; }: the interfaces' addresses as an array
    of struct ifreq in the buffer, whose size in bytes ifc_len gives and gets back. A
    NULL buffer asks for the size needed. The host's entries are larger on a 32-bit
    guest: the host buffer holds as many entries as the guest's, and each is repacked."""
    guest_conf, host_conf = t.layouts.ifconf, HOST_LAYOUTS.ifconf
    guest_req, host_req = t.layouts.ifreq_addr, HOST_LAYOUTS.ifreq_addr
    conf = guest_conf.unpack(t.space.read(arg, guest_conf.size))
    length, buf = conf["ifc_len"], conf["ifc_buf"]
    count = max(length, 0) // guest_req.size
    if buf:
        t.space.check(buf, count * guest_req.size, PROT_WRITE)
    host_buf = ctypes.create_string_buffer(max(count, 1) * host_req.size)
    host = ctypes.create_string_buffer(host_conf.pack(
        ifc_len=count * host_req.size if buf else 0, ifc_buf=ctypes.addressof(host_buf) if buf else 0),
        host_conf.size)
    ret = call("ioctl", fd, host_request, host)
    got = host_conf.unpack(host.raw)["ifc_len"] // host_req.size
    if buf:
        out = b"".join(guest_req.pack(**host_req.unpack(host_buf.raw[i * host_req.size:(i + 1) * host_req.size]))
                       for i in range(got))
        t.space.write(buf, out)
    t.space.write(arg, guest_conf.pack(ifc_len=got * guest_req.size, ifc_buf=buf))
    return ret


ioctl_request("SIOCGIFCONF", _siocgifconf)
