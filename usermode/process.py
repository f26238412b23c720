"""The emulated process: address space, program break, paths, threads, log."""
import errno
import os
import sys

from .errors import GuestError
from .memory.space import AddressSpace
from .paths import PathResolver
from .structs import Layouts
from .syscalls.dispatch import SyscallTable
from .threads.lock import EmulatorLock

STACK_GAP = 256 << 20  # between the stack and the mmap area: room to spare, as the kernel's gap


class Process:
    def __init__(self, arch, options, log=None):
        self.arch = arch
        self.abi = arch.ABI
        self.options = options
        self.log = log or sys.stderr
        self.prog = options.prog_name
        self.cpu_model = arch.CPU_MODELS[options.cpu or arch.DEFAULT_CPU]
        self.lock = EmulatorLock()
        self.stack_top = arch.TASK_SIZE - (1 << 20)
        self.stack_size = options.stack_size
        mmap_top = self.stack_top - self.stack_size - STACK_GAP
        self.space = AddressSpace(arch.TASK_SIZE, mmap_top)
        self.syscalls = SyscallTable(self.abi)
        self.layouts = Layouts(self.abi)
        self.reserved_fds = set()  # the emulator's own descriptors (-D log): not the guest's
        self.warned = set()
        self.threads = {}
        self.exit_status = 0
        self.crashed = None
        self.sysroot = None
        self.paths = PathResolver()  # guest paths <-> host paths (-L, --rootfs): usermode/paths.py
        if getattr(options, "rootfs", None):
            self.paths.set_rootfs(options.rootfs)
        self.exe = None  # the guest program's absolute host path (/proc/self/exe)
        self.brk_start = self.brk = 0
        self.auxv = []  # (key, value) pairs, as given to the guest
        self.argv = []
        self.envp = []

    def check_fd_owned(self, fd):
        """The guest may not close or replace the emulator's own descriptors."""
        if fd in self.reserved_fds:
            raise GuestError(errno.EBADF)

    # ---- paths -----------------------------------------------------------

    def host_path(self, path, dirfd=-100, nofollow=False):
        """Where the host finds a guest path: -L's sysroot first, or inside --rootfs's root."""
        return self.paths.to_host(path, dirfd, nofollow)

    def set_sysroot(self, path):
        self.sysroot = os.path.abspath(path)
        if not self.paths.is_rootfs:
            self.paths.set_overlay(self.sysroot)

    # ---- messages ----------------------------------------------------------

    def warn(self, message):
        sys.stderr.write(f"{self.prog}: {message}\n")
        sys.stderr.flush()

    def debug(self, item, message):
        """A line of -d output for `item`."""
        if item in self.options.debug_items:
            self.log.write(message + "\n")
            self.log.flush()

    def debug_note(self, message):
        """A line of -d output shown whatever the items (facts about the set-up)."""
        if self.options.debug_items:
            self.log.write(message + "\n")
            self.log.flush()

    def crash(self, exc):
        """An internal error inside a hook: stop everything and report it once."""
        if self.crashed is None:
            self.crashed = exc
