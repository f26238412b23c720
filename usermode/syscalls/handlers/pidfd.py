"""Process descriptors: pidfd_open, pidfd_getfd, pidfd_send_signal.

Guest pids are host pids and guest descriptors host descriptors, so these are
the host's calls; a signal goes out with its host number and, with a siginfo,
that siginfo in the host's layout. A signal sent to ourselves this way comes
back in through the host (signals/host.py), its siginfo intact.
"""
import ctypes
import errno

from ...errors import GuestError
from ...signals import numbers
from ...signals.delivery import SigInfo
from ..argtypes import Fd, Int, Ptr, UInt
from ..registry import syscall
from .hostcall import HOST_ABI, call


@syscall
def pidfd_open(t, pid: Int, flags: UInt) -> Fd:
    nonblock = t.abi.tables.OPEN["O_NONBLOCK"]  # PIDFD_NONBLOCK is the ABI's O_NONBLOCK
    host = (flags & ~nonblock) | (HOST_ABI.tables.OPEN["O_NONBLOCK"] if flags & nonblock else 0)
    return call("pidfd_open", pid, host)


@syscall
def pidfd_getfd(t, pidfd: Fd, targetfd: Int, flags: UInt) -> Fd:
    return call("pidfd_getfd", pidfd, targetfd, flags)


@syscall
def pidfd_send_signal(t, pidfd: Fd, sig: Int, info: Ptr, flags: UInt):
    if sig == 0:
        host_sig = 0
    else:
        host_sig = numbers.to_host(t.abi, sig)
        if host_sig is None:
            raise GuestError(errno.EINVAL)
    host_info = None
    if info:
        guest = SigInfo.unpack(t.abi, t.space.read(info, 128))
        guest.signo = host_sig
        host_info = ctypes.create_string_buffer(guest.pack(HOST_ABI), 128)
    call("pidfd_send_signal", pidfd, host_sig, host_info, flags)
