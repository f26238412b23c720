"""A process's private futexes, queued here instead of in the host kernel.

Guest threads run one at a time under the emulator lock. A FUTEX_WAKE through
the host kernel therefore cost the woken thread two sleeps: the host futex,
then the emulator lock, which the waker still held. A FUTEX_PRIVATE_FLAG futex
can only be woken by a thread of the same address space (the kernel keys it by
mm and address), and this process's threads make their futex calls under the
emulator lock: so its waiters can wait in queues here, and a wake moves a
waiter straight into the emulator lock's queue (EmulatorLock.hand_to). The
woken thread sleeps once, on its gate, and wakes up owning the lock.

Kept as the kernel has it (kernel/futex/waitwake.c, requeue.c): the word checked
against the expected value before queueing, with no writer able to come in
between (every writer in this address space holds the emulator lock); WAKE's
count (0 and negative wake one) and bitsets; REQUEUE and CMP_REQUEUE's counts
and result; WAKE_OP's operation on the second word and its comparison; the
timeout's clock (a plain wait's relative monotonic one, a bitset wait's absolute
monotonic or realtime one); EINTR when a signal comes (the dispatcher then
restarts or fails the call as before). Shared and PI futexes, and any request
the kernel would refuse before waiting, stay on the host path (futex.py).

Set PYQEMU_PRIVATE_FUTEX=host to send private futexes to the host kernel too.
"""
import collections
import ctypes
import errno
import os
import threading
import time

from .. import raw
from ..errors import GuestError
from ..syscalls.handlers.hostcall import HOST_ABI
from ..syscalls.handlers.hosttypes import Timespec

_HOST = HOST_ABI.tables.PROC
_GATE_WAIT = _HOST["FUTEX_WAIT_BITSET"] | _HOST["FUTEX_PRIVATE_FLAG"]
_GATE_WAKE = _HOST["FUTEX_WAKE"] | _HOST["FUTEX_PRIVATE_FLAG"]
_HOST_REALTIME = _HOST["FUTEX_CLOCK_REALTIME"]
_GATE_WAKE_OP = _HOST["FUTEX_WAKE_OP"] | _HOST["FUTEX_PRIVATE_FLAG"]
OPEN, INTERRUPTED = 1, 2  # a gate word's bits
# FUTEX_WAKE_OP's encoded operations on the word (op << 28 | oparg << 12; comparison EQ 0)
_SET_INTERRUPTED = _HOST["FUTEX_OP_OR"] << 28 | INTERRUPTED << 12
_CLEAR_INTERRUPTED = _HOST["FUTEX_OP_ANDN"] << 28 | INTERRUPTED << 12
ANY = 0xFFFFFFFF  # FUTEX_BITSET_MATCH_ANY: the bitset of a plain wait and wake

_libc = ctypes.CDLL(None, use_errno=True)
_futex = _libc.syscall  # our own function object (its own argtypes), not hostcall's
_futex.restype = ctypes.c_long
_futex.argtypes = [ctypes.c_long, ctypes.c_void_p, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p,
                   ctypes.c_void_p, ctypes.c_uint]
_NR_FUTEX = HOST_ABI.tables.SYSCALLS["futex"]
_MAX_SECONDS = 1 << 62  # a deadline past this is never reached (the kernel saturates too)

_handover = raw.HandoverSleep.create()  # None: the gate opened, then a sleep, in two calls

QUEUED, WOKEN, LEFT = 0, 1, 2  # a waiter's states


def enabled():
    return os.environ.get("PYQEMU_PRIVATE_FUTEX") != "host"


class Gate:
    """Where a thread sleeps in a private FUTEX_WAIT: a host futex word of its own.
    Opened (release(), the name EmulatorLock uses for a hand-over), it means the
    thread owns the emulator lock. A host signal (KICK) interrupts the sleep."""

    __slots__ = ("word", "address")

    def __init__(self):
        self.word = ctypes.c_uint32(0)
        self.address = ctypes.addressof(self.word)

    def close(self):
        self.word.value = 0

    def interrupt(self):
        """A signal for the thread (signals/host.py kick): its sleep ends with EINTR.
        The word's second bit, set atomically (the opener may store 1 meanwhile,
        and must win), wakes it even when it was about to sleep, where a host
        signal would have been lost."""
        _futex(_NR_FUTEX, self.address, _GATE_WAKE_OP, 1, None, self.address, _SET_INTERRUPTED)

    def release(self):
        self.word.value = 1
        _futex(_NR_FUTEX, self.address, _GATE_WAKE, 1, None, None, 0)

    def sleep(self, deadline=None, realtime=False, opening=None):
        """Until opened; OSError ETIMEDOUT past deadline (a host Timespec on the
        monotonic clock, or the realtime one), OSError EINTR for a host signal.
        opening: another thread's gate to open first (it gets the emulator lock),
        in the same host call where raw.HandoverSleep can (see there why)."""
        op = _GATE_WAIT | (_HOST_REALTIME if realtime else 0)
        timeout = None if deadline is None else ctypes.addressof(deadline)
        word = self.word
        if opening is not None:
            if _handover is None:
                opening.release()
            else:
                err = -_handover.call(opening.address, self.address, op, timeout)
                if err > 0 and err != errno.EAGAIN:
                    raise OSError(err, os.strerror(err))
        while True:  # (a return with the word still 0: a late wake of an earlier use)
            value = word.value
            if value & OPEN:
                return
            if value & INTERRUPTED:
                _futex(_NR_FUTEX, self.address, _GATE_WAKE_OP, 0, None, self.address, _CLEAR_INTERRUPTED)
                raise InterruptedError(errno.EINTR, os.strerror(errno.EINTR))
            if _futex(_NR_FUTEX, self.address, op, 0, timeout, None, ANY) == -1:
                err = ctypes.get_errno()
                if err != errno.EAGAIN:
                    raise OSError(err, os.strerror(err))

    def sleep_until_open(self):
        """Woken already: the lock is on its way; signals wait until we have it."""
        while True:
            try:
                return self.sleep()
            except InterruptedError:
                pass


class Waiter:
    __slots__ = ("gate", "bitset", "address", "state")

    def __init__(self, gate, bitset, address):
        self.gate, self.bitset, self.address, self.state = gate, bitset, address, QUEUED


def monotonic_deadline(ts):
    """A plain FUTEX_WAIT's relative timeout as an absolute CLOCK_MONOTONIC time."""
    ns = time.clock_gettime_ns(time.CLOCK_MONOTONIC) + ts.tv_nsec
    return Timespec(min(ts.tv_sec + ns // 1000000000, _MAX_SECONDS), ns % 1000000000)


class PrivateFutexes:
    """One per process: guest address -> the threads waiting there, oldest first."""

    def __init__(self, lock):
        self.lock = lock  # the process's EmulatorLock
        self.queues = {}
        # The queues change under the emulator lock, except when a waiter leaves on
        # its own (a timeout, a signal): this orders the two.
        self.mutex = threading.Lock()

    # ---- waiting (the caller holds the emulator lock and has checked the word) ------

    def wait(self, thread, address, bitset, deadline, realtime):
        gate = thread.futex_gate
        if gate is None:
            gate = thread.futex_gate = Gate()
        gate.close()
        waiter = Waiter(gate, bitset, address)
        with self.mutex:
            queue = self.queues.get(address)
            if queue is None:
                queue = self.queues[address] = collections.deque()
            queue.append(waiter)
        unlocked = thread.unlocked()
        opening = unlocked.enter_keeping_gate()  # blocked, and the lock released (if anyone else could want it)
        try:
            if thread.signals.pending_flag and thread.signals.deliverable():  # kick() came before we were blocked
                if opening is not None:
                    opening.release()
                raise InterruptedError(errno.EINTR, os.strerror(errno.EINTR))
            gate.sleep(deadline, realtime, opening)
        except OSError as e:
            with self.mutex:
                left = waiter.state == QUEUED
                if left:
                    waiter.state = LEFT
                    self._remove(waiter)
            if left:
                unlocked.__exit__(None, None, None)  # the lock back the ordinary way
                if e.errno == errno.ETIMEDOUT:
                    raise GuestError(errno.ETIMEDOUT) from None
                raise
            gate.sleep_until_open()  # a wake came first: it counted us, so we return 0
        unlocked.resumed()  # the waker handed us the lock
        return 0

    def _remove(self, waiter):
        queue = self.queues[waiter.address]
        queue.remove(waiter)
        if not queue:
            del self.queues[waiter.address]

    # ---- waking (the caller holds the emulator lock) ---------------------------------

    def wake(self, address, count, bitset=ANY):
        """Wake up to count waiters whose bitset meets bitset; how many. count is the
        kernel's int: 0 or less still wakes one (futex_wake's ++ret >= nr_wake)."""
        queue = self.queues.get(address)
        if not queue:
            return 0
        woken = 0
        with self.mutex:
            for waiter in list(queue):
                if waiter.bitset & bitset:
                    queue.remove(waiter)
                    self._hand(waiter)
                    woken += 1
                    if woken >= count:
                        break
            if not queue:
                del self.queues[address]
        return woken

    def requeue(self, address, address2, nr_wake, nr_requeue):
        """futex_requeue without PI: wake nr_wake, move up to nr_requeue of the rest
        to address2 (the same address: they stay in place); how many of both."""
        queue = self.queues.get(address)
        if not queue:
            return 0
        count = 0
        with self.mutex:
            for waiter in list(queue):
                if count - nr_wake >= nr_requeue:
                    break
                count += 1
                if count <= nr_wake:
                    queue.remove(waiter)
                    self._hand(waiter)
                elif address2 != address:
                    queue.remove(waiter)
                    waiter.address = address2
                    target = self.queues.get(address2)
                    if target is None:
                        target = self.queues[address2] = collections.deque()
                    target.append(waiter)
            if not queue:
                del self.queues[address]
        return count

    def _hand(self, waiter):
        waiter.state = WOKEN
        self.lock.hand_to(waiter.gate)


# ---- FUTEX_WAKE_OP's operation (the kernel's futex_atomic_op_inuser) ---------------

def _signed(value, bits):
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


_OPS = {0: lambda old, arg: arg,  # FUTEX_OP_SET
        1: lambda old, arg: old + arg,  # ADD
        2: lambda old, arg: old | arg,  # OR
        3: lambda old, arg: old & ~arg,  # ANDN
        4: lambda old, arg: old ^ arg}  # XOR
_CMPS = {0: lambda old, arg: old == arg, 1: lambda old, arg: old != arg,  # EQ, NE
         2: lambda old, arg: old < arg, 3: lambda old, arg: old <= arg,  # LT, LE
         4: lambda old, arg: old > arg, 5: lambda old, arg: old >= arg}  # GT, GE


def wake_op_update(mem, at, byteorder, encoded):
    """Apply encoded's operation to the word at mem[at] (no guest thread runs while we
    hold the emulator lock); whether its comparison with the old value holds.
    ENOSYS for an unknown operation (the word untouched) or comparison (written)."""
    op, cmp = (encoded >> 28) & 7, (encoded >> 24) & 15
    oparg, cmparg = _signed(encoded >> 12, 12), _signed(encoded, 12)
    if encoded & (8 << 28):  # FUTEX_OP_OPARG_SHIFT: the argument is a shift count
        oparg = 1 << (oparg & 31)  # out of range: the kernel warns and masks it
    update = _OPS.get(op)
    if update is None:
        raise GuestError(errno.ENOSYS)
    old = _signed(int.from_bytes(mem[at:at + 4], byteorder), 32)
    mem[at:at + 4] = (update(old, oparg) & 0xFFFFFFFF).to_bytes(4, byteorder)
    compare = _CMPS.get(cmp)
    if compare is None:
        raise GuestError(errno.ENOSYS)
    return compare(old, cmparg)
