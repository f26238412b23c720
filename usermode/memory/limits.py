"""Address-space limits: the user's (ulimit -v) on the emulator, the guest's own
(setrlimit RLIMIT_AS and RLIMIT_DATA) on the guest's mappings.

The guest's range is one host reservation (space.py), and a reservation counts
in full against RLIMIT_AS however little of it is used (MAP_NORESERVE included:
measured, 4 GiB limit, a 256 GiB reservation fails with ENOMEM). Under a finite
limit the guest's range is therefore what the limit leaves: the emulator keeps a
quarter of the room (at least 256 MiB) for itself, its threads' stacks and their
code buffers, which are made small (Unicorn's default is 1 GiB of address space
per thread); the guest gets the rest, up to its architecture's TASK_SIZE.

The guest's own RLIMIT_AS and RLIMIT_DATA are the emulator's to enforce, as the
kernel does on mmap, brk, mremap and mprotect (ENOMEM): set on the host they
would limit the emulator instead. They start as the host's (what the user set)
and go with an execve: to the host for a program of the host's, to the new
emulator (--guest-rlimits) for a guest program, whose own range stays what the
host's limit allows (a 32-bit guest's 2 GiB limit could not hold its emulator).
"""
import ctypes
import errno
import resource

from ..errors import GuestError, UserError

PROT_WRITE = 2
EMULATOR_SHARE = 4  # the emulator keeps room // EMULATOR_SHARE ...
EMULATOR_MIN = 256 << 20  # ... and at least this
TCG_BUFFER_LIMITED = 32 << 20  # each thread's translated-code buffer under a limit
THREAD_EXTRA = 16 << 20  # and the rest of a thread: its host stack (8 MiB), Unicorn's state
ARENAS_LIMITED = 2  # glibc malloc arenas (64 MiB of address space each) under a limit
INFINITY = resource.RLIM_INFINITY
_M_ARENA_MAX = -8


def _order(value):
    """A limit for comparisons: Python's RLIM_INFINITY is -1, the largest of all."""
    return (1 << 64) - 1 if value == INFINITY else value


def _vm_size():
    """This process's address space now (VmSize), in bytes."""
    with open("/proc/self/status", "rb") as f:
        for line in f:
            if line.startswith(b"VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def guest_range(task_size, needed, whole=False):
    """(size of the guest's range, each thread's code buffer size or None for Unicorn's
    default). whole: the range must be task_size or nothing."""
    soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    if soft == INFINITY:
        return task_size, None
    used = _vm_size()
    room = soft - used
    if whole:  # all of it or nothing, and the emulator lives with what is left
        if room - task_size < EMULATOR_MIN:
            raise UserError(f"the address-space limit (ulimit -v {soft // 1024}) is too small: pyqemu uses "
                            f"{used >> 20} MiB itself and this architecture needs its whole "
                            f"{task_size >> 20} MiB address space reserved, and {EMULATOR_MIN >> 20} MiB more")
        _fewer_arenas()
        return task_size, TCG_BUFFER_LIMITED
    keep = max(EMULATOR_MIN, room // EMULATOR_SHARE)
    size = min(task_size, max(0, room - keep) & ~((2 << 20) - 1))
    if size < needed:
        raise UserError(f"the address-space limit (ulimit -v {soft // 1024}) is too small: pyqemu uses "
                        f"{used >> 20} MiB itself and needs {(keep + needed) >> 20} MiB more "
                        f"(the guest's stack and some room for the emulator)")
    _fewer_arenas()
    return size, TCG_BUFFER_LIMITED


def _fewer_arenas():
    try:  # fewer malloc arenas: each reserves 64 MiB of address space
        ctypes.CDLL(None).mallopt(_M_ARENA_MAX, ARENAS_LIMITED)
    except (OSError, AttributeError):
        pass


def check_thread_room(process):
    """Before a new guest thread's CPU: EAGAIN, as clone says, if the address-space
    limit has no room for it (Unicorn exits the whole process when it cannot get
    its code buffer)."""
    if not process.tcg_buffer_size:
        return
    soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    need = process.tcg_buffer_size + THREAD_EXTRA
    if soft != INFINITY and _vm_size() + need > soft:
        import gc
        gc.collect()  # ended threads' instances not collected yet give their room back
        if _vm_size() + need > soft:
            raise GuestError(errno.EAGAIN)


class GuestLimits:
    """The guest's RLIMIT_AS and RLIMIT_DATA, (soft, hard) each, RLIM_INFINITY for none."""

    RESOURCES = {"RLIMIT_AS": resource.RLIMIT_AS, "RLIMIT_DATA": resource.RLIMIT_DATA}

    def __init__(self, inherited=None):
        """inherited: the values an exec'ing guest had (as_option's text, --guest-rlimits),
        else the host's (what the user set)."""
        self.values = {name: resource.getrlimit(host) for name, host in self.RESOURCES.items()}
        if inherited:
            numbers = [INFINITY if word == "inf" else int(word) for word in inherited.split(",")]
            self.values = dict(zip(self.RESOURCES, zip(numbers[0::2], numbers[1::2])))
        self._saved = None

    def as_option(self):
        """The limits for a guest program this one execs in a new emulator (--guest-rlimits):
        that emulator keeps the host's limit for itself, as this one does."""
        if all(self.values[name] == resource.getrlimit(host) for name, host in self.RESOURCES.items()):
            return None
        return ",".join("inf" if v == INFINITY else str(v) for name in self.RESOURCES for v in self.values[name])

    def get(self, name):
        return self.values[name]

    def set(self, name, soft, hard):
        """setrlimit's checks, then the new value (the kernel's errors)."""
        if _order(soft) > _order(hard):
            raise GuestError(errno.EINVAL)
        import os
        if _order(hard) > _order(self.values[name][1]) and os.geteuid() != 0:  # CAP_SYS_RESOURCE, roughly
            raise GuestError(errno.EPERM)
        self.values[name] = (soft, hard)

    def address_space(self):
        soft = self.values["RLIMIT_AS"][0]
        return None if soft == INFINITY else soft

    def data(self):
        soft = self.values["RLIMIT_DATA"][0]
        return None if soft == INFINITY else soft

    @property
    def active(self):
        return self.values["RLIMIT_AS"][0] != INFINITY or self.values["RLIMIT_DATA"][0] != INFINITY

    # ---- execve: the limits go with the new program -------------------------------------

    def apply_to_host(self):
        self._saved = {name: self._host(host) for name, host in self.RESOURCES.items()}
        for name, host in self.RESOURCES.items():
            wanted = tuple(_order(v) if v != INFINITY else _U64_INFINITY for v in self.values[name])
            if wanted != self._saved[name]:
                self._set_host(host, wanted)

    def restore_host(self):
        """The execve failed: the emulator goes on under its own limits (as far as allowed)."""
        for name, host in self.RESOURCES.items():
            saved = self._saved[name] if self._saved else None
            if saved is not None and not self._set_host(host, saved):
                hard = self._host(host)[1]
                self._set_host(host, (hard, hard))
        self._saved = None

    @staticmethod
    def _host(resource_number):
        old = (ctypes.c_uint64 * 2)()
        _prlimit(resource_number, None, old)
        return tuple(old)

    @staticmethod
    def _set_host(resource_number, values):
        """The host's limit, any 64-bit values (resource.setrlimit overflows on some)."""
        return _prlimit(resource_number, (ctypes.c_uint64 * 2)(*values), None) == 0


_U64_INFINITY = (1 << 64) - 1


def _prlimit(resource_number, new, old):
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prlimit(0, resource_number, new, old)


def is_data(prot, kind, name):
    """The kernel's data_vm: private writable mappings that are not the stack."""
    return bool(prot & PROT_WRITE) and kind != "shared" and name != "[stack]"


def check_growth(space, grow_total, grow_data):
    """ENOMEM if growing the guest's mappings by these many bytes passes its limits."""
    limits = space.limits
    if limits is None or not limits.active:
        return
    cap = limits.address_space()
    if cap is not None and grow_total > 0 and space.total_mapped() + grow_total > cap:
        raise GuestError(errno.ENOMEM)
    cap = limits.data()
    if cap is not None and grow_data > 0 and space.data_mapped() + grow_data > cap:
        raise GuestError(errno.ENOMEM)
