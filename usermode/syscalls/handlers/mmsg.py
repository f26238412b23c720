"""sendmmsg and recvmmsg: several messages in one call, as the kernel does it,
one sendmsg/recvmsg after another (net.py's, with all their translation), each
one's length written to its msg_len; an error after the first message ends the
call with the count so far."""
import errno
import time

from ...errors import GuestError
from ..argtypes import Fd, Ptr, UInt
from ..registry import syscall
from .hosttypes import HOST, read_timespec, valid_timespec
from .net import MsgFlags, recvmsg, sendmsg

UIO_MAXIOV = 1024


def _each(t, msgvec, vlen, one):
    layout = t.layouts.mmsghdr
    off = layout.offsets["msg_len"]
    done = 0
    for i in range(min(vlen, UIO_MAXIOV)):
        entry = msgvec + i * layout.size
        try:
            n = one(entry, i)
        except (GuestError, OSError):
            if done:
                return done  # the kernel keeps the error for the next call
            raise
        if n is None:
            break
        t.space.write(entry + off, t.abi.pack("I", n))
        done += 1
    return done


@syscall
def sendmmsg(t, fd: Fd, msgvec: Ptr, vlen: UInt, flags: MsgFlags):
    return _each(t, msgvec, vlen, lambda entry, i: sendmsg(t, fd, entry, flags))


@syscall(twins={"recvmmsg_time64": {"tsl": "timespec64"}})
def recvmmsg(t, fd: Fd, msgvec: Ptr, vlen: UInt, flags: MsgFlags, timeout: Ptr, *, tsl="timespec"):
    ts = read_timespec(t, timeout, tsl)
    if not valid_timespec(ts):
        raise GuestError(errno.EINVAL)
    deadline = None if ts is None else time.monotonic() + ts.tv_sec + ts.tv_nsec / 1e9
    waitforone = HOST.SOCKET["MSG_WAITFORONE"]
    dontwait = HOST.SOCKET["MSG_DONTWAIT"]

    def one(entry, i):
        if i and deadline is not None and time.monotonic() >= deadline:
            return None
        f = flags & ~waitforone
        if i and flags & waitforone:
            f |= dontwait
        return recvmsg(t, fd, entry, f)
    return _each(t, msgvec, vlen, one)
