"""The guest's RLIMIT_NOFILE, with the emulator's own descriptors just above it.

Guest descriptors are host descriptors, so the emulator's own (ownfds.py: the signal
pipes, the -D log, gdb's connection, files kept for mappings) share the host's table.
Below the guest's limit they would take numbers the guest may have: a guest opening
descriptors up to its limit would get EMFILE a few early (LTP dup205, pipe07). So:

- the emulator's descriptors live in SLOTS numbers starting at the guest's soft limit,
  every slot always open (a slot not in use holds a dup of /dev/null), and the host's
  soft limit is the guest's plus SLOTS: when the guest holds every number below its
  limit, the host's lowest free number is past the slots and the host says EMFILE,
  exactly where the guest's kernel would;
- the guest sees and sets its own limits (getrlimit, setrlimit, prlimit64 on itself);
  the host's soft limit follows (the slots stay where they are: after the guest raised
  its limit its descriptors skip the slots' numbers but still count to the limit;
  after it lowered it the host's limit is the guest's and the slots sit above it);
- the host's hard limit is raised by SLOTS where the host allows it (CAP_SYS_RESOURCE),
  else the guest's limits show SLOTS less than the host's (the slots must fit under it);
- an execve gets the guest's limits on the host (a native program keeps them, a new
  emulator starts from them);
- above SPREAD_MOST the slots would make the kernel's descriptor table (8 bytes a
  number, copied by every fork) megabytes: there the emulator's descriptors go low
  as before (Process.keep_fd) and the guest meets EMFILE that many early.
"""
import contextlib
import errno
import os
import resource
import threading

from .errors import GuestError

SLOTS = 16  # the signal pipe and the next fork's, the -D log, gdb, and spare for files kept
SPREAD_MOST = 1 << 16
NOFILE = resource.RLIMIT_NOFILE


def _nr_open():
    try:
        with open("/proc/sys/fs/nr_open") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 1 << 20


class FdLimit:
    def __init__(self, soft, hard, base, privileged):
        self.soft, self.hard = soft, hard  # the guest's; the host's hard limit is SLOTS above
        self.base = base  # the first slot
        self.privileged = privileged  # whether the host's hard limit could be raised back
        self.free = set(range(base, base + SLOTS))  # slots holding /dev/null
        self.lock = threading.Lock()

    @classmethod
    def start(cls):
        """At start-up, before the emulator keeps any descriptor: the slots and the host's
        limits, or None (a limit too large to put slots at, or no room for them)."""
        soft, hard = resource.getrlimit(NOFILE)
        if soft == resource.RLIM_INFINITY or soft > SPREAD_MOST or hard < 2 * SLOTS:
            return None
        privileged = False
        if hard + SLOTS <= _nr_open():
            try:  # raise the host's hard limit: the guest's stays what it was
                resource.setrlimit(NOFILE, (soft, hard + SLOTS))
                hard += SLOTS
                privileged = True
            except (OSError, ValueError):
                pass
        base = min(soft, hard - SLOTS)
        try:
            resource.setrlimit(NOFILE, (base + SLOTS, hard))
            filler = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
        except (OSError, ValueError):
            return None
        try:
            for slot in range(base, base + SLOTS):
                if is_open(slot):  # inherited there: not ours to take
                    return None
            for slot in range(base, base + SLOTS):
                os.dup2(filler, slot, inheritable=False)
        finally:
            os.close(filler)
        return cls(base, hard - SLOTS, base, privileged)
    # ---- the emulator's descriptors ---------------------------------------------

    def take(self, fd):
        """Move fd into a free slot (replacing its /dev/null); the slot, or None if all
        are in use."""
        with self.lock:
            if not self.free:
                return None
            slot = min(self.free)
            with self.room():
                os.dup2(fd, slot, inheritable=False)
            self.free.discard(slot)
        os.close(fd)
        return slot

    def slots(self):
        return range(self.base, self.base + SLOTS)

    def owns(self, fd):
        return self.base <= fd < self.base + SLOTS

    def give_back(self, fd):
        """Close our descriptor in a slot: the slot holds /dev/null again (dup2 closes
        what was there), so the number never becomes the guest's."""
        with self.lock:
            with self.room():
                source = min(self.free) if self.free else None
                if source is not None:
                    os.dup2(source, fd, inheritable=False)
                else:
                    try:
                        _fill(fd)
                    except OSError:  # no number free to open /dev/null at: a hole, for now
                        os.close(fd)
                        return
            self.free.add(fd)

    @contextlib.contextmanager
    def borrow(self):
        """Descriptors for the emulator's own short use (importing a module at a call's
        first use) while the guest holds every number below its limit: two free slots
        are closed for the while, then hold /dev/null again."""
        with self.lock:
            lent = sorted(self.free)[:2]
            self.free.difference_update(lent)
            for slot in lent:
                os.close(slot)
        try:
            with self.room():
                yield
        finally:
            with self.lock, self.room():
                for slot in lent:
                    source = min(self.free) if self.free else None
                    if source is not None:
                        os.dup2(source, slot, inheritable=False)
                    else:
                        _fill(slot)
                    self.free.add(slot)

    @contextlib.contextmanager
    def room(self):
        """The slots within the host's soft limit for a moment (dup2 onto a number past
        it is EBADF): after the guest lowered its limit they sit above it."""
        soft, hard = resource.getrlimit(NOFILE)
        top = self.base + SLOTS
        if soft >= top:
            yield
            return
        resource.setrlimit(NOFILE, (top, hard))
        try:
            yield
        finally:
            resource.setrlimit(NOFILE, (soft, hard))

    # ---- the guest's limits -----------------------------------------------------

    def get(self):
        return self.soft, self.hard

    def set(self, soft, hard):
        """The guest's setrlimit: the kernel's checks (EINVAL, EPERM from the host's own
        call on the hard limit), then the host's soft limit follows."""
        if soft > hard:
            raise GuestError(errno.EINVAL)
        if hard > self.hard and not self.privileged:
            raise GuestError(errno.EPERM)  # the host's is higher: it would not say so
        # the slots stay within the host's hard limit whatever the guest's becomes
        host_hard = max(hard, self.base) + SLOTS
        if host_hard > _nr_open():
            raise GuestError(errno.EPERM)
        host_soft = soft if soft < self.base else soft + SLOTS
        try:
            resource.setrlimit(NOFILE, (host_soft, host_hard))
        except ValueError:  # a hard limit under the slots' top: keep them within it
            raise GuestError(errno.EINVAL) from None
        except OSError as e:
            raise GuestError(e.errno) from None
        self.soft, self.hard = soft, hard

    def for_exec(self):
        """Before an execve: the host's limits are the guest's (the slots are
        close-on-exec and go with it). Returns what to restore if it fails."""
        before = resource.getrlimit(NOFILE)
        try:  # the hard limit too where it can be raised again (else it stays SLOTS above)
            resource.setrlimit(NOFILE, (self.soft, self.hard if self.privileged else before[1]))
        except (OSError, ValueError):
            pass
        return before

    def exec_failed(self, before):
        try:
            resource.setrlimit(NOFILE, before)
        except (OSError, ValueError):
            pass


def is_open(fd):
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _fill(fd):
    filler = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
    if filler != fd:  # (the lowest free number may be fd itself)
        os.dup2(filler, fd, inheritable=False)
        os.close(filler)
