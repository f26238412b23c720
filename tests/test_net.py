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
    "SO_RCVTIMEO = 3.000000 len 16",
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
    "recvmsg = 3 'fd!' controllen 24",
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


def _check_lines(stdout, extra=()):
    lines = stdout.decode().splitlines()
    expected = COMMON + (IPV6 if _has_ipv6_loopback() else []) + list(extra)
    missing = [line for line in expected if line not in lines]
    assert not missing, f"missing lines: {missing}\noutput:\n" + "\n".join(lines)
    assert not [line for line in lines if ": NO (" in line]


@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_sockets_match_qemu(arch, mode):
    prog = build(arch, "net.c", mode)
    options = ["-L", ARCHES[arch]["sysroot"]] if mode == "dynamic" else []
    res = assert_same_as_qemu(arch, prog, options=options)
    assert res.returncode == 0, res.stderr
    _check_lines(res.stdout)


def _native(source, *args):
    """The same guest program built for the host and run on the host kernel: the truth."""
    out = f"{BUILD}/{source}-native"
    subprocess.run(["gcc", "-O2", "-o", out, f"{GUEST}/{source}"], check=True, capture_output=True)
    return subprocess.run([out, *args], capture_output=True, timeout=60)


def test_sockets_match_the_host_kernel(arch):
    """With --ctrunc: a control buffer with room for two of three passed descriptors
    gets two and MSG_CTRUNC, as the kernel does (qemu-user 7.2 receives into a doubled
    buffer and reports no truncation, so this is checked against the kernel instead)."""
    prog = build(arch, "net.c", "static")
    ours = run_pyqemu(arch, prog, "--ctrunc")
    native = _native("net.c", "--ctrunc")
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == native.stdout
    _check_lines(ours.stdout, ["recvmsg small control = 3 MSG_CTRUNC = 1 cmsg_len 24"])


def test_unknown_socket_option_warns_once(arch):
    prog = build(arch, "net.c", "static")
    res = run_pyqemu(arch, prog)
    assert res.stderr.decode().count("unsupported socket option level 1 option 12345") == 1


def test_strace_shows_socket_arguments(arch):
    prog = build(arch, "net.c", "static")
    res = run_pyqemu(arch, prog, options=["-strace"])
    err = res.stderr.decode()
    assert "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0) = 3" in err
    assert "accept4(3, " in err and ", SOCK_CLOEXEC) = 5" in err
    assert "epoll_ctl(6, EPOLL_CTL_ADD, 4, " in err
    assert "shutdown(4, SHUT_WR) = 0" in err
