"""Sockets on loopback, on both architectures, static and dynamic: against
qemu-user, against expected lines, and (with the checks where qemu-user 7.2
is wrong) against the host kernel running the same program natively."""
import socket
import subprocess

import pytest

from conftest import ARCHES, BUILD, GUEST, assert_same_as_qemu, build, run_pyqemu


def _has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


COMMON = [
    "bound port nonzero: yes",
    "accept4 peer address: yes",
    "accept4 SOCK_CLOEXEC: yes",
    "client name is server's peer: yes",
    "client's peer is the listener: yes",
    "TCP_NODELAY = 1",
    "SO_TYPE is SOCK_STREAM = 1",
    "SO_DOMAIN is family = 1",
    "SO_ERROR = 0",
    "ppoll = 1 revents POLLIN = 1",
    "server got 4: ping",
    "epoll_wait = 1 events 0x1 data 0x1122334455667788",
    "client got 5: pong!",
    "server read after shutdown = 0",
    "epoll_wait after close = 1 EPOLLRDHUP = 1",
    "poll POLLOUT = 1 1",
    "recv MSG_DONTWAIT on empty = -1 EAGAIN",
    "tcp4 done",
    # UDP
    "SO_TYPE is SOCK_DGRAM = 1",
    "sendto = 8",
    "recvfrom = 8 datagram",
    "recvfrom source is the sender: yes",
    "recvfrom short address = 1 addrlen 16",
    "sendmsg = 11",
    "recvmsg = 11 'hell' 'o world' namelen 16 flags 0",
    "recvmsg truncated = 4 MSG_TRUNC = 1",
    # options
    "SO_KEEPALIVE = 1",
    "SO_RCVBUF doubled = 1",
    "SO_LINGER = 1 7 len 8",
    "SO_RCVTIMEO = 3.000000 len {timeval}",
    "SO_SNDTIMEO = 0.500000",
    "short SO_LINGER set = -1 EINVAL",
    "IP_TTL = 64",
    "unknown SOL_SOCKET option = -1 ENOPROTOOPT",
    "getsockopt len 0 = 0 len 0",
    "bad optval = -1 EFAULT",
    "bad address length = -1 EINVAL",
    "bad address = -1 EFAULT",
    "bad descriptor = -1 EBADF",
    "not a socket = -1 ENOTSOCK",
    "bad family = -1 EAFNOSUPPORT",
    # unix sockets, SCM_RIGHTS, SCM_CREDENTIALS
    "socketpair: yes",
    "sendmsg SCM_RIGHTS = 3",
    "recvmsg = 3 'fd!' controllen {cmsg_space_1}",
    "received an fd: yes",
    "received fd close-on-exec = 1",
    "read through received fd = 16 through the pipe",
    "sendmsg SCM_CREDENTIALS = 4",
    "recvmsg credentials = 4 pid ok 1 uid ok 1",
    "SO_PEERCRED pid ok 1 len 12",
    "unix accept peer is unnamed = 1",
    "unix getsockname path ok = 1",
    "unix read = 5 unix!",
    "abstract getsockname ok = 1",
    "abstract recv = 3 abs",
    "failures: 0",
]
IPV6 = ["IPV6_V6ONLY = 1", "family = AF_INET6", "tcp6 done"]


def abi_sizes(arch):
    """The sizes the program prints, as the guest's ABI makes them."""
    from usermode import cpu
    from usermode.structs import Layouts
    abi = cpu.get(arch).ABI
    layouts = Layouts(abi)
    align = lambda n: (n + abi.word_bytes - 1) & ~(abi.word_bytes - 1)  # CMSG_ALIGN
    header = align(layouts.cmsghdr.size)
    space_1 = header + align(4)  # CMSG_SPACE(sizeof(int)): room for 2 fds on 64-bit ABIs, 1 on 32-bit
    return {"timeval": layouts.timeval.size, "cmsg_space_1": space_1,
            "cmsg_len_small": header + 4 * ((space_1 - header) // 4)}


def _check_lines(arch, stdout, extra=()):
    lines = stdout.decode().splitlines()
    sizes = abi_sizes(arch)
    expected = [line.format(**sizes) for line in COMMON + (IPV6 if _has_ipv6_loopback() else []) + list(extra)]
    missing = [line for line in expected if line not in lines]
    assert not missing, f"missing lines: {missing}\noutput:\n" + "\n".join(lines)
    assert not [line for line in lines if ": NO (" in line]


@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_sockets_match_qemu(arch, mode):
    prog = build(arch, "net.c", mode)
    options = ["-L", ARCHES[arch]["sysroot"]] if mode == "dynamic" else []
    res = assert_same_as_qemu(arch, prog, options=options)
    assert res.returncode == 0, res.stderr
    _check_lines(arch, res.stdout)


def _native(source, *args, bits=64):
    """The same guest program built for the host and run on the host kernel: the truth
    (for a 32-bit guest, built as an i386 program, which this host runs too)."""
    out = f"{BUILD}/{source}-native{bits}"
    cc = ["gcc"] if bits == 64 else ["i686-linux-gnu-gcc", "-static"]
    subprocess.run(cc + ["-O2", "-o", out, f"{GUEST}/{source}"], check=True, capture_output=True)
    return subprocess.run([out, *args], capture_output=True, timeout=60)


def native_bits(arch):
    from usermode import cpu
    return cpu.get(arch).ELF_CLASS


def test_sockets_match_the_host_kernel(arch):
    """With --ctrunc: a control buffer with room for two of three passed descriptors
    gets two and MSG_CTRUNC, as the kernel does (qemu-user 7.2 receives into a doubled
    buffer and reports no truncation, so this is checked against the kernel instead)."""
    prog = build(arch, "net.c", "static")
    ours = run_pyqemu(arch, prog, "--ctrunc")
    native = _native("net.c", "--ctrunc", bits=native_bits(arch))
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == native.stdout
    _check_lines(arch, ours.stdout, ["recvmsg small control = 3 MSG_CTRUNC = 1 cmsg_len {cmsg_len_small}"])


def test_unknown_socket_option_warns_once(arch):
    prog = build(arch, "net.c", "static")
    res = run_pyqemu(arch, prog)
    from usermode import cpu
    level = cpu.get(arch).ABI.tables.SOCKET["SOL_SOCKET"]  # the guest's: 1, or 0xffff on MIPS
    assert res.stderr.decode().count(f"unsupported socket option level {level} option 12345") == 1


def test_strace_shows_socket_arguments(arch):
    prog = build(arch, "net.c", "static")
    res = run_pyqemu(arch, prog, options=["-strace"])
    err = res.stderr.decode()
    assert "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0) = 3" in err
    assert "accept4(3, " in err and ", SOCK_CLOEXEC) = 5" in err
    assert "epoll_ctl(6, EPOLL_CTL_ADD, 4, " in err
    assert "shutdown(4, SHUT_WR) = 0" in err


# ---- translation where guest and host disagree ------------------------------
# riscv64 and aarch64 share x86-64's socket, poll and signal constants, so the
# by-name translations are identities there; a synthetic big-endian ABI with
# MIPS's values checks that they really translate.

def _mips_like_abi():
    import sys
    import types

    from usermode.abi import Abi
    from usermode.tables import riscv64
    mod = types.ModuleType("usermode.tables._test_mips_like")
    for name in dir(riscv64):
        if name.isupper():
            setattr(mod, name, dict(getattr(riscv64, name)))
    mod.SOCKET.update(SOCK_STREAM=2, SOCK_DGRAM=1, SOL_SOCKET=0xFFFF, SO_TYPE=0x1008,
                      SO_REUSEADDR=0x0004, SO_RCVTIMEO=0x1006, SO_LINGER=0x0080, SCM_RIGHTS=0x01)
    mod.SIGNALS.update(SIGUSR1=16, SIGSTKFLT=10, SIGUSR2=17, SIGCHLD=12, SIGCLD=12)  # swapped pairs
    mod.POLL.update(EPOLLRDHUP=0x4000, POLLRDHUP=0x4000)
    sys.modules[mod.__name__] = mod
    return Abi("mips-like", 64, "big", tables_name="_test_mips_like")


class _FakeThread:
    def __init__(self, abi, memory):
        from usermode.structs import Layouts

        class Space:
            def read(self, addr, length):
                return bytes(memory[addr:addr + length])
        self.abi, self.space, self.layouts = abi, Space(), Layouts(abi)


def test_socket_type_option_and_flag_translation_by_name():
    from usermode.syscalls.handlers import net, poll
    from usermode.tables import x86_64 as host
    abi = _mips_like_abi()
    decode = net.SockType().decoder(abi)
    guest = 2 | abi.tables.SOCKET["SOCK_CLOEXEC"]
    assert decode(None, guest) == host.SOCKET["SOCK_STREAM"] | host.SOCKET["SOCK_CLOEXEC"]
    table = net._sockopt_table(abi)
    hlevel, options = table[0xFFFF]
    assert hlevel == host.SOCKET["SOL_SOCKET"]
    assert options[0x1008][:2] == (host.SOCKET["SO_TYPE"], net._TYPE)
    assert options[0x1006][:2] == (host.SOCKET["SO_RCVTIMEO"], net._TIMEVAL)
    assert net._int_to_guest(abi, net._TYPE, host.SOCKET["SOCK_DGRAM"]) == 1
    events = poll.epoll_events(abi)
    assert events.to_host(0x4000 | 1) == host.POLL["EPOLLRDHUP"] | host.POLL["EPOLLIN"]
    assert events.to_guest(host.POLL["EPOLLRDHUP"]) == 0x4000


def test_signal_sets_and_bit_arrays_across_byte_orders():
    from usermode.syscalls.handlers import hosttypes
    abi = _mips_like_abi()
    # fd_set / cpu mask words: bit n of the integer is fd n, whatever the byte order
    data = hosttypes.bits_to_guest(abi, (1 << 100) | 1, 16)
    assert data == (1).to_bytes(8, "big") + (1 << 36).to_bytes(8, "big")
    assert hosttypes.bits_from_guest(abi, data) == (1 << 100) | 1
    # a guest sigset with SIGUSR1 (16 here) and SIGUSR2 (17) becomes the host's 10 and 12
    memory = bytearray(64)
    memory[8:16] = ((1 << 15) | (1 << 16)).to_bytes(8, "big")
    host = hosttypes.host_sigset(_FakeThread(abi, memory), 8, 8)
    assert int.from_bytes(host.raw, "little") == (1 << 9) | (1 << 11)
