"""Shared futexes are the host's own, on the host address of the guest word.

Guest memory is host memory (memory/space.py), so a guest futex word at guest
address A is the host word at base+A: FUTEX_WAIT, WAKE, REQUEUE, WAKE_OP, the
bitset and PI operations all run in the host kernel unchanged, with the real
semantics, and a futex in a MAP_SHARED mapping works between processes. Guest
tids are host tids, so PI futexes' owner fields are right too.

A process's private futexes are the exception: they wait in queues of our own
(private_futex.py), which hand the emulator lock straight to the woken thread.

What the host kernel cannot do for us is what it does at a *guest* thread's
exit, because it knows nothing of guest addresses: CLONE_CHILD_CLEARTID's
clear-and-wake, and the robust futex list walk. thread_exit_cleanup does both.
"""
import errno

from ..errors import GuestError
from ..syscalls.handlers.hostcall import call

FUTEX_WAKE = 1
FUTEX_WAITERS = 0x80000000
FUTEX_OWNER_DIED = 0x40000000
FUTEX_TID_MASK = 0x3FFFFFFF
ROBUST_LIST_LIMIT = 2048  # the kernel's bound on a (possibly circular) list


def host_address(thread, addr, length=4):
    if addr & 3:
        raise GuestError(errno.EINVAL)
    thread.space.check(addr, length, 1)
    return thread.space.base + addr


def wake(thread, addr, count=1):
    try:
        call("futex", host_address(thread, addr), FUTEX_WAKE, count, None, None, 0)
    except (OSError, GuestError):
        pass


def thread_exit_cleanup(thread):
    _release_robust_futexes(thread)
    tidptr = thread.clear_child_tid
    if tidptr:
        try:
            thread.space.write(tidptr, thread.abi.pack("I", 0))
            wake(thread, tidptr)
            # the kernel's wake is a shared one (glibc's join waits shared); a joiner
            # waiting privately gets one too rather than sleeping for ever
            queues = thread.process.futexes
            if queues is not None:
                queues.wake(tidptr, 1)
        except GuestError:
            pass


def _release_robust_futexes(thread):
    """The kernel's exit_robust_list: mark each futex the thread still holds
    OWNER_DIED and wake one waiter, so a robust mutex's next locker learns of it."""
    head = thread.robust_list
    if not head:
        return
    abi, space = thread.abi, thread.space
    word = "Q" if abi.word_bytes == 8 else "I"
    try:
        entry, offset, pending = abi.unpack(word + ("q" if abi.word_bytes == 8 else "i") + word,
                                            space.read(head, 3 * abi.word_bytes))
        seen = 0
        while entry != head and seen < ROBUST_LIST_LIMIT:
            next_entry = abi.unpack(word, space.read(entry, abi.word_bytes))[0]
            if entry != pending:
                _release_one(thread, entry + offset)
            entry = next_entry
            seen += 1
        if pending:
            _release_one(thread, pending + offset)
    except GuestError:
        pass  # a corrupt list stops the walk, as in the kernel


def _release_one(thread, addr):
    abi, space = thread.abi, thread.space
    value = abi.unpack("I", space.read(addr, 4))[0]
    if value & FUTEX_TID_MASK != thread.tid:
        return
    space.write(addr, abi.pack("I", (value & FUTEX_WAITERS) | FUTEX_OWNER_DIED))
    if value & FUTEX_WAITERS:
        wake(thread, addr)
