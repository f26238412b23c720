"""ioctls of common devices and network interfaces (usermode/syscalls/handlers/devices.py):
RNDGETENTCNT, the interface requests (SIOCGIFCONF and SIOCGIF*), SIOCATMARK, loop
devices and the block device requests on them, each argument repacked for the guest's
layout (32-bit struct ifreq is smaller than the host's), bad pointers EFAULT."""
import os

from conftest import build, have_qemu, run_pyqemu, run_qemu

EXPECTED = [
    "RNDGETENTCNT: 0, agrees with /proc: 1",
    "RNDGETENTCNT to a bad pointer: Bad address",
    "SIOCGIFCONF size query: 0, a whole number of entries: 1",
    "SIOCGIFCONF: 0, entries as the size said: 1",
    "lo is listed: 1",
    "lo's address: 127.0.0.1",
    "SIOCGIFFLAGS lo: 0, up and loopback: 1",
    "SIOCGIFINDEX lo: 0, as if_nametoindex: 1",
    "SIOCGIFNAME: 0, lo",
    None,  # SIOCGIFMTU lo: the host's
    "SIOCGIFADDR lo: 0, 127.0.0.1",
    "SIOCGIFNETMASK lo: 0, 255.0.0.0",
    "SIOCGIFFLAGS of no interface: No such device",
    "SIOCGIFFLAGS to a bad pointer: Bad address",
    # qemu-user 7.2 dies here (an assertion in its cpu loop): nothing to compare from here on
    "SIOCGIFCONF to a bad buffer: Bad address",
    "SIOCATMARK: 0, 0",
]
QEMU_COMPARABLE = 14
LOOP = [
    "LOOP_CTL_GET_FREE: a device number", "LOOP_SET_FD: 0", "LOOP_SET_STATUS64: 0",
    "LOOP_GET_STATUS64: 0, number 1, name pyqemu-test, autoclear 1", "BLKGETSIZE64: 0, 1048576",
    "BLKSSZGET: 0, 512", "LOOP_CLR_FD: 0",
]


def _host_mtu():
    with open("/sys/class/net/lo/mtu") as f:
        return int(f.read())


def _loop_lines():
    """What the loop part prints on this host: the round trip where pyqemu may drive loop
    devices (root, /dev/loop-control), else the host's refusal, which the guest sees too."""
    try:
        fd = os.open("/dev/loop-control", os.O_RDWR)
    except OSError as e:
        return [f"loop-control: {os.strerror(e.errno)}"]
    os.close(fd)
    return LOOP


def test_device_and_interface_ioctls(arch, tmp_path):
    prog = build(arch, "ioctls.c", "static")
    res = run_pyqemu(arch, prog, str(tmp_path))
    assert res.returncode == 0, res.stderr
    lines = res.stdout.decode().splitlines()
    expected = [line if line is not None else f"SIOCGIFMTU lo: 0, {_host_mtu()}" for line in EXPECTED]
    assert lines == expected + _loop_lines(), res.stderr.decode()
    assert b"unsupported ioctl" not in res.stderr
    if have_qemu(arch):
        theirs = run_qemu(arch, prog).stdout.decode().splitlines()
        assert theirs[:QEMU_COMPARABLE] == lines[:QEMU_COMPARABLE]
