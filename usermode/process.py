"""The emulated process: address space, program break, paths, threads, log."""
import errno
import gc
import os
import sys
import threading

from . import ending, procmem, raw, tell
from .fdlimit import is_open
from .errors import GuestError
from .memory import limits
from .memory.space import AddressSpace
from .paths import PathResolver
from .structs import Layouts
from .syscalls.dispatch import SyscallTable
from .signals.delivery import ProcessSignals
from .threads import private_futex
from .threads.lock import EmulatorLock
from .threads.preempt import Preempter
from .threads.thread import GuestThread

STACK_GAP = 256 << 20  # between the stack and the mmap area: room to spare, as the kernel's gap
MIN_GUEST_ROOM = 64 << 20  # beyond its stack, the least guest range worth starting with
COLLECT_EVERY = 8  # thread ends between two collections of their leftovers
SPARE_THREADS = 2  # ended threads' CPUs kept for reuse: enough for create-join loops, a few MB each

_TABLES = {}  # arch name -> (SyscallTable, Layouts)


def _tables(arch):
    """The arch's syscall table and packed layouts. They hold no process state, so
    what they build on first use (bindings, layouts) serves every program an execve
    in place runs next as well."""
    if arch.NAME not in _TABLES:
        _TABLES[arch.NAME] = (SyscallTable(arch), Layouts(arch.ABI))
    return _TABLES[arch.NAME]


class Process:
    def __init__(self, arch, options, log=None):
        self.arch = arch
        self.abi = arch.ABI
        self.options = options
        self.log = tell.Log(log)  # -strace and -d output: the -D file, or stderr
        self.prog = options.prog_name
        self.cpu_model = arch.CPU_MODELS[options.cpu or arch.DEFAULT_CPU]
        self.cpu_features = dict(getattr(options, "cpu_features", None) or {})  # -cpu MODEL,FEATURE=on|off
        self.lock = EmulatorLock()
        self.futexes = private_futex.PrivateFutexes(self.lock) if private_futex.enabled() else None  # their waiters
        self.preempter = Preempter(self)
        self.running = None  # the thread executing guest code now, if any
        # Stopping a thread from outside (time slices, signals from elsewhere) needs a
        # block hook on every CPU (raw.StopSwitch): a process turns it on when it first
        # needs it (enable_async_stops).
        self.async_stops = False
        self.debugger = None  # gdb/control.Debugger while gdb is attached (-g)
        self.signals = ProcessSignals(self)
        self.trampolines = {}  # name -> address of the [vdso] page's sigreturn code (cpu TRAMPOLINES)
        self.all_exited = threading.Event()
        self.stack_size = options.stack_size
        # the guest's range: its reservation, or what an address-space limit (ulimit -v) leaves
        # (an arch whose reservation must reach above TASK_SIZE, ARM's kuser page, needs it whole)
        size, self.tcg_buffer_size = limits.guest_range(arch.ADDRESS_SPACE_SIZE or arch.TASK_SIZE,
                                                        self.stack_size + MIN_GUEST_ROOM,
                                                        whole=bool(arch.ADDRESS_SPACE_SIZE))
        self.stack_top = min(arch.TASK_SIZE, size) - (1 << 20)
        mmap_top = self.stack_top - self.stack_size - min(STACK_GAP, size // 8)
        self.space = AddressSpace(size, mmap_top)
        self.space.user_top = min(arch.TASK_SIZE, size)
        self.space.own_fds = (self.keep_fd, self.close_own_fd)
        # the guest's RLIMIT_AS and RLIMIT_DATA: the host's, or what the guest that exec'd us had
        self.mem_limits = self.space.limits = limits.GuestLimits(getattr(options, "guest_rlimits", None))
        procmem.publish(self.space)  # other pyqemu processes find our guest memory (/proc/PID/mem)
        self.syscalls, self.layouts = _tables(arch)
        self.special_fds = {}  # fd -> object whose read() the guest's read uses (signalfd)
        # the emulator's own descriptors (wake-up pipe, -D log, gdb): not the guest's (ownfds.py)
        self.reserved_fds = set()
        self.reserved_ids = {}  # (st_dev, st_ino) of those that are pipes or sockets -> fd
        self.fd_limit = None  # fdlimit.FdLimit: the guest's RLIMIT_NOFILE, ours above it (runner.py)
        self.warned = set()
        self.threads = {}
        self.spare_threads = []  # ended threads whose CPUs the next clones reuse (new_thread)
        self.threads_ended = 0
        self.exit_status = 0
        self.sysroot = None
        self.paths = PathResolver()  # guest paths <-> host paths (-L, --rootfs): usermode/paths.py
        if getattr(options, "rootfs", None):
            self.paths.set_rootfs(options.rootfs)
        self.exe = None  # the guest program's absolute host path (/proc/self/exe)
        self.brk_start = self.brk = 0
        self.auxv = []  # (key, value) pairs, as given to the guest
        self.argv = []
        self.envp = []
        self.runner_ident = None  # the host thread whose run loop the runner started (runner.py)
        self.exec_request = None  # an execve in place, for the runner (exec_in_place.py)

    # ---- threads and the end of the process -----------------------------------

    def new_thread(self, parent=None):
        """A guest thread of this process (its CPU; clone gives it its registers): an
        ended thread's CPU where one is spare (GuestThread.reborn), else a new one."""
        if self.spare_threads:
            if self.debugger is None:
                thread = self.spare_threads.pop()
                thread.reborn(parent)
                return thread
            self.drop_spare_threads()  # gdb sets up every CPU it sees: new ones from now on
        return GuestThread(self, parent=parent)

    def drop_spare_threads(self):
        for thread in self.spare_threads:
            self.space.detach(thread.uc)
        self.spare_threads = []

    def add_thread(self, thread):
        self.threads[thread.tid] = thread
        if len(self.threads) > 1:
            self.enable_async_stops()
            self.preempter.start()

    def enable_async_stops(self):
        """A second thread, or a handler for a signal that can come from outside. Called
        from a syscall: every thread existing now is this one, which gets its switch at
        its safe point right after the syscall; threads created later get it at birth."""
        if self.async_stops:
            return
        self.async_stops = True
        threads = list(self.threads.values())
        if threads:
            self.debug_note("stops from outside: " + ("uc_emu_stop" if threads[0].stops_directly() else
                                                     "the stop switch (a hook at every block start)"))
        for thread in threads:
            raw.emu_stop(thread.handle)

    def thread_finished(self, thread):
        """A thread left its run loop: clear its tid for joiners, release its robust futexes."""
        from .threads import futex, tlb
        futex.thread_exit_cleanup(thread)
        tlb.forget(thread)
        self.threads.pop(thread.tid, None)
        if self.debugger is None and len(self.spare_threads) < SPARE_THREADS and self.threads:
            self.spare_threads.append(thread)  # still attached: kept up to date for the next clone
        else:
            self.space.detach(thread.uc)
        # An ended thread's Unicorn instance (3 MB, and its code buffer's address
        # space: 1 GiB by default) goes when its reference cycles are collected:
        # collect every few thread ends so that thread churn stays bounded.
        self.threads_ended += 1
        if self.threads_ended % COLLECT_EVERY == 0:
            gc.collect()
        if not self.threads:
            self.all_exited.set()

    def wait_exit(self):
        """Block until every thread has exited; the status of the last exit."""
        self.all_exited.wait()
        return self.exit_status

    def flush_logs(self):
        for stream in (self.log, sys.stdout, sys.stderr):  # None when started closed
            tell.flush(stream)

    def after_fork_child(self, thread):
        """In a fork's child: the forking thread is the only one, with the lock."""
        self.lock.reset_after_fork()
        if self.futexes is not None:
            self.futexes = private_futex.PrivateFutexes(self.lock)  # its waiters were the other threads
        thread.tid = os.getpid()
        thread.host_ident = threading.get_ident()
        self.threads = {thread.tid: thread}
        self.space.cpus = [thread.uc]
        self.spare_threads = []  # (their CPUs no longer follow this space)
        self.running = None
        self.preempter = Preempter(self)
        self.all_exited = threading.Event()
        with self.signals.mutex:
            self.signals.shared.clear()
            thread.signals.pending.clear()
        self.signals.timers.forget_all()  # POSIX timers are not inherited
        thread.signals.pending_flag = False
        if self.debugger is not None:
            self.debugger.forget_after_fork()

    def prepare_exec(self, thread):
        """Just before execve: logs flushed, host mask = guest mask."""
        from .signals import numbers
        self.flush_logs()
        hosts = [numbers.to_host(self.abi, g) for g in numbers.members(thread.signals.blocked)]
        self.signals.host.prepare_exec([h for h in hosts if h is not None])

    def exec_failed(self, thread):
        self.mem_limits.restore_host()
        if not self.log.to_stderr:  # made inheritable for the new emulator (--log-fd): ours again
            try:
                os.set_inheritable(self.log.fileno(), False)
            except OSError:
                pass
        thread.signals.set_blocked(thread.signals.blocked)

    def exit_group(self, status):
        """exit_group from any thread: the kernel ends every thread at once; so do we,
        whatever happens on the way (a report that cannot be written, a gdb gone)."""
        try:
            self.tell_debugger("W", status)
            self.flush_logs()
        finally:
            os._exit(status & 0xFF)

    def die_of_signal(self, guest_sig):
        """Default action of a fatal signal: the emulator dies of the same signal."""
        from .signals import numbers
        try:
            self.tell_debugger("X", guest_sig)
            self.flush_logs()
        except Exception:
            pass  # the guest's death is not ours to lose
        host = numbers.to_host(self.abi, guest_sig)
        if host is None:
            os._exit(128 + guest_sig)  # no host twin (see signals/numbers.py): the closest status
        ending.die_by_signal(host)

    def tell_debugger(self, kind, value):
        """The process ends: gdb gets W and the exit status, or X and the signal."""
        if self.debugger is not None:
            self.debugger.process_ended(kind, value)

    def keep_fd(self, fd):
        """Move one of the emulator's own descriptors out of the guest's way (the
        guest expects its first open() to return 3) and mark it as ours."""
        import fcntl
        import resource
        slot = self.fd_limit.take(fd) if self.fd_limit is not None else None
        if slot is not None:  # above the guest's limit (fdlimit.py)
            return self._reserve(slot)
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        floor = max(64, min(soft if soft > 0 else 1024, 1024) - 64)
        if soft == resource.RLIM_INFINITY or soft > floor:
            high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, floor)
        else:  # a small `ulimit -n`: the highest free numbers under it
            high = next((n for n in range(soft - 1, fd, -1) if not is_open(n)), fd)
            if high != fd:
                os.dup2(fd, high, inheritable=False)
        if high != fd:
            os.close(fd)
        else:
            os.set_inheritable(fd, False)
        return self._reserve(high)

    def _reserve(self, fd):
        self.reserved_fds.add(fd)
        from .ownfds import identity
        ident = identity(fd)
        if ident is not None:
            self.reserved_ids[ident] = fd
        return fd

    def close_own_fd(self, fd):
        """Close one of our descriptors (release_fd, then close): a slot above the guest's
        limit is not closed but holds /dev/null again (fdlimit.py)."""
        self.release_fd(fd)
        if self.fd_limit is not None and self.fd_limit.owns(fd):
            self.fd_limit.give_back(fd)
            self.reserved_fds.add(fd)  # a slot stays ours, out of the guest's sight
        else:
            os.close(fd)

    def nofile_limit(self):
        """The guest's soft RLIMIT_NOFILE."""
        if self.fd_limit is not None:
            return self.fd_limit.soft
        import resource
        return resource.getrlimit(resource.RLIMIT_NOFILE)[0]

    def release_fd(self, fd):
        """One of our descriptors is about to be closed: the number is the guest's again."""
        self.reserved_fds.discard(fd)
        for ident, owner in list(self.reserved_ids.items()):
            if owner == fd:
                del self.reserved_ids[ident]

    def forget_fd(self, fd):
        """The guest closed fd: an emulated descriptor (signalfd, /proc/self/mem) behind it
        goes too, unless a duplicate of fd still refers to it, and the directory cookies a
        32-bit guest had for it."""
        if self.__dict__.get("dir_positions") is not None:
            self.dir_positions.forget(fd)
        special = self.special_fds.pop(fd, None)
        if special is None or any(other is special for other in self.special_fds.values()):
            return
        if special in self.signals.watchers:
            self.signals.watchers.remove(special)
            from .signals import numbers
            for sig in numbers.members(special.mask):
                self.signals.refresh_host_disposition(sig)
        if hasattr(special, "close"):
            special.close()

    def forget_fds(self, first, last):
        """close_range(first, last): every emulated descriptor in the range."""
        cookies = self.__dict__.get("dir_positions")
        known = set(self.special_fds) | (set(cookies.by_fd) if cookies is not None else set())
        for fd in [fd for fd in known if first <= fd <= last]:
            self.forget_fd(fd)

    def dup_fd(self, old, new):
        """new is now a duplicate of old (dup, dup3, F_DUPFD): an emulated file that
        shares its position between duplicates (/proc/self/mem) is behind both."""
        if new in self.special_fds:
            self.forget_fd(new)  # dup3 closed what new was
        special = self.special_fds.get(old)
        if special is not None and getattr(special, "shares_on_dup", False):
            self.special_fds[new] = special
        return new

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
        tell.say(f"{self.prog}: {message}")

    def debug_note(self, message):
        """A line of -d output shown whatever the items (facts about the set-up)."""
        if self.options.debug_items:
            self.log.write(message + "\n")
            self.log.flush()

    def crash(self, exc):
        """An internal error inside a hook: report it in one line and end the process."""
        ending.internal_error(self, exc)

    def fatal_fault(self, fault):
        ending.fatal_fault(self, fault)
