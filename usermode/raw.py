"""Unicorn's C API through ctypes, for the hot path.

The unicorn module's convenience methods cost 1-2 us per register; a batched
raw read of seven registers costs under 0.5 us when called through a plain
CDLL function given ready-made ctypes objects (no argtypes conversion: measured
0.47 us against 0.71 us with a typed prototype taking ints). Everything per
syscall goes through here, with buffers allocated once per thread.
"""
import ctypes
import functools
import os

from .uclib import lib as uclib

# PYQEMU_NO_UNSAFE=regfile,exit-flag,native-hooks,... turns off each shortcut into Unicorn's
# private state or run-time machine code (this file and regfile.py), for the slower safe
# way; the tests run programs with all of them off so the fallbacks cannot rot.
UNSAFE_ITEMS = ("regfile", "exit-flag", "native-hooks", "inline-syscall", "mips-exception-pc", "mips-translator",
                "direct-stops", "futex-handover",
                "fast-syscalls")  # (not unsafe, but a shortcut with a fallback too: the hot calls' fast ways)
DISABLED = frozenset(item for item in os.environ.get("PYQEMU_NO_UNSAFE", "").split(",") if item)

# Untyped twins of uclib's register functions (callers pass ctypes objects),
# through PyDLL: they keep the GIL, saving a release and re-acquire per call.
_lib = ctypes.PyDLL(uclib._name)
_reg_read_batch = _lib.uc_reg_read_batch
_reg_write = _lib.uc_reg_write
_reg_read = _lib.uc_reg_read
_void_p = ctypes.c_void_p
emu_start = ctypes.CFUNCTYPE(ctypes.c_int, _void_p, ctypes.c_uint64, ctypes.c_uint64,
                             ctypes.c_uint64, ctypes.c_size_t)(("uc_emu_start", uclib))
emu_stop = ctypes.CFUNCTYPE(ctypes.c_int, _void_p)(("uc_emu_stop", uclib))
strerror = uclib.uc_strerror

INTR_CALLBACK = ctypes.CFUNCTYPE(None, _void_p, ctypes.c_uint32, _void_p)
INSN_INVALID_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_bool, _void_p, _void_p)
MEM_INVALID_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_bool, _void_p, ctypes.c_int, ctypes.c_uint64,
                                        ctypes.c_int, ctypes.c_int64, _void_p)
TLB_FILL_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_bool, _void_p, ctypes.c_uint64, ctypes.c_int,
                                     ctypes.POINTER(ctypes.c_uint64), _void_p)  # entry: paddr, then perms
CODE_CALLBACK = ctypes.CFUNCTYPE(None, _void_p, ctypes.c_uint64, ctypes.c_uint32, _void_p)
MEM_CALLBACK = ctypes.CFUNCTYPE(None, _void_p, ctypes.c_int, ctypes.c_uint64, ctypes.c_int, ctypes.c_int64, _void_p)


class ShadowRegisters:
    """A stand-in for the CPU state's register array (see regfile.py) when it
    cannot be used: `view` has a 64-bit slot for each of reg_ids (a 32-bit
    register fills the low half; the high half stays 0); load() fills the slots
    at `indices` with one batched read, store() writes the slots at
    `result_indices` back to their registers."""

    def __init__(self, handle, reg_ids, indices, result_indices):
        n = len(reg_ids)
        self.slots = slots = (ctypes.c_uint64 * n)()
        self.view = memoryview(slots).cast("B").cast("Q")
        base = ctypes.addressof(slots)
        indices = sorted(set(indices))
        args = (_void_p(handle), (ctypes.c_int * len(indices))(*[reg_ids[i] for i in indices]),
                (_void_p * len(indices))(*[base + 8 * i for i in indices]), ctypes.c_int(len(indices)))
        writes = [(_void_p(handle), ctypes.c_int(reg_ids[i]), _void_p(base + 8 * i)) for i in result_indices]
        self._keep = (args, writes)

        def load(fn=_reg_read_batch, args=args):
            for i in indices:
                slots[i] = 0  # a 32-bit register fills only the low half
            fn(*args)
        self.load = load

        def store(fn=_reg_write, writes=writes):
            for args in writes:
                fn(*args)
        self.store = store


def reg_read(handle, reg_id):
    """One 64-bit register, outside the hot path."""
    cell = ctypes.c_uint64()
    _check(_reg_read(_void_p(handle), ctypes.c_int(reg_id), ctypes.byref(cell)), "uc_reg_read")
    return cell.value


def reg_write(handle, reg_id, value):
    _check(_reg_write(_void_p(handle), ctypes.c_int(reg_id), ctypes.byref(ctypes.c_uint64(value))), "uc_reg_write")


_reg_write2 = _lib.uc_reg_write2


def reg_write_from_hook(handle, reg_id, value):
    """A 64-bit register written from inside a hook (the syscall hook moving s390x's PC
    past svc), through uc_reg_write2. For the PC, uc_reg_write also sets
    uc->skip_sync_pc_on_exit (uc.c, Unicorn 2.1.4), which lasts until the next exit
    check that fires or the next emu_start: the next stop at a block start
    (helper_check_exit_request) then leaves without putting the PC back on the block,
    and the PC resumed from is stale (a finished load run again, a mutex's count one
    high). uc_reg_write2 does the rest alike (quit_request: the CPU leaves at once and
    resumes from the new PC) without that flag. Outside emu_start both are the same."""
    size = ctypes.c_size_t(8)
    _check(_reg_write2(_void_p(handle), ctypes.c_int(reg_id), ctypes.byref(ctypes.c_uint64(value)),
                       ctypes.byref(size)), "uc_reg_write2")


def _check(err, what):
    if err:
        raise RuntimeError(f"{what}: {strerror(err).decode()}")


def add_hook(uc, hook_type, callback, begin=1, end=0):
    """Install a raw ctypes callback; the caller must keep `callback` alive."""
    handle = ctypes.c_size_t()
    err = uclib.uc_hook_add(uc._uch, ctypes.byref(handle), hook_type, ctypes.cast(callback, _void_p),
                            None, ctypes.c_uint64(begin), ctypes.c_uint64(end))
    if err:
        raise RuntimeError(f"uc_hook_add: {strerror(err).decode()}")
    return handle.value


def del_hook(uc, handle):
    uclib.uc_hook_del(uc._uch, ctypes.c_size_t(handle))


# ---- stopping a thread from outside -----------------------------------------------
# Unicorn 2.1.4 checks for a stop request after every guest load and store, and
# on a request leaves with the PC put back on that instruction, although its
# register write-back (or an AMO's update) has already happened. That is how it
# makes faults precise (a faulting store stops right there), but a uc_emu_stop
# from another thread (a time slice ending, a signal arriving) landing there
# makes the instruction run twice on resume: `ld a0, 0(a0)` loads from the wrong
# address, a store overwrites what another thread wrote meanwhile, an amoadd
# adds twice (measured: 2 threads x 3,000,000 amoadd.d ended ~30 too high, one
# per preemption).
#
# With those checks off (set_memory_exit_checks below) the only place left
# where a stop takes effect is the check at each block's start
# (helper_check_exit_request, or the patched core's inline test), before the
# block's first instruction, with the PC put back on it: nothing of it has run.
# There uc_emu_stop from another thread is exact (MIPS: not in a delay slot,
# which the helper skips), and costs nothing while no stop is asked for:
# stop_from_outside below. Where the checks stay on (gdb, PYQEMU_NO_UNSAFE=
# exit-flag, MIPS' CPU TLB) or a translator turns them back on (ARM's Thumb
# code: cpu ASYNC_STOPS), no thread calls uc_emu_stop on another: each CPU that
# may be stopped from outside gets a block hook whose callback is the function
# below; its user_data is a flag byte. Another thread arms the flag; at the start of its
# next block the CPU calls the callback, which clears the flag and calls
# uc_emu_stop: the stop happens there, before the block's first instruction.
# Unicorn 2.1 compiles a lone hook's callback address into each translated
# block, so the callback must be fixed and decide at run time; no C function
# at hand does "stop if a flag is set", hence these 22 bytes of x86-64 (the
# host pyqemu runs on), written into an executable page:
#
#   cb(uc=rdi, address=rsi, size=edx, flag=rcx):
#       cmp  byte [rcx], 0      80 39 00
#       jne  stop               75 01
#       ret                     c3
#   stop:
#       mov  byte [rcx], 0      c6 01 00
#       jmp  [rip+0]            ff 25 00 00 00 00   -> uc_emu_stop(uc), a tail call
#       .quad uc_emu_stop
#
# It costs one call per block, so only processes that need it (a second
# thread, a handler for a signal from outside) have it, and only where a
# direct stop is not exact.

UC_HOOK_BLOCK = 8
_STOP_IF_FLAGGED = None


def _stop_if_flagged():
    global _STOP_IF_FLAGGED
    if _STOP_IF_FLAGGED is None:
        from .memory import host
        emu_stop_addr = ctypes.cast(_lib.uc_emu_stop, ctypes.c_void_p).value
        code = bytes.fromhex("803900" "7501" "c3" "c60100" "ff2500000000") + emu_stop_addr.to_bytes(8, "little")
        page = host.mmap(None, 4096, host.PROT_READ | host.PROT_WRITE, host.MAP_PRIVATE | host.MAP_ANONYMOUS)
        ctypes.memmove(page, code, len(code))
        host.mprotect(page, 4096, host.PROT_READ | host.PROT_EXEC)
        _STOP_IF_FLAGGED = page
    return _STOP_IF_FLAGGED


_emu_stop_keeping_gil = _lib.uc_emu_stop  # PyDLL: the caller's Python code and the call are one step


def stop_from_outside(uc):
    """uc_emu_stop from any thread, for a CPU without exit checks after loads and
    stores: it stops at its next block start. A no-op once the instance is closed
    (Uc.close clears the handle first; both run under the GIL). uc_emu_start
    clears the request as it begins, so one made just before is lost: the
    caller's flags tell the run loop (and it looks at them again just before
    starting), and the stops' sources ask again periodically (signals/host.py's
    watcher, the preempter)."""
    handle = uc._uch
    if handle:
        _emu_stop_keeping_gil(handle)


class StopSwitch:
    """arm() from any thread: the CPU stops at its next block start (once).
    As a code hook (hook_type UC_HOOK_CODE) it stops before the next instruction."""

    def __init__(self, uc, hook_type=UC_HOOK_BLOCK):
        self.flag = ctypes.c_ubyte(0)
        if "native-hooks" in DISABLED:  # the same decision in Python: a call per block or instruction
            flag = self.flag

            def stop_if_flagged(handle, address, size, user_data):
                if flag.value:
                    flag.value = 0
                    _lib.uc_emu_stop(_void_p(handle))
            self._callback = CODE_CALLBACK(stop_if_flagged)
            self.hook = add_hook(uc, hook_type, self._callback)
            return
        handle = ctypes.c_size_t()
        err = uclib.uc_hook_add(uc._uch, ctypes.byref(handle), hook_type,
                                ctypes.c_void_p(_stop_if_flagged()), ctypes.c_void_p(ctypes.addressof(self.flag)),
                                ctypes.c_uint64(1), ctypes.c_uint64(0))
        if err:
            raise RuntimeError(f"uc_hook_add: {strerror(err).decode()}")
        self.hook = handle.value

    def arm(self):
        self.flag.value = 1

    def disarm(self):
        self.flag.value = 0


# ---- the exit check after every guest load and store ------------------------------
# The check described above is a helper call Unicorn emits after each guest
# load and store (tcg-op.c, check_exit_request), so that a stop requested
# inside a memory hook takes effect at once. We never ask for that (our
# memory hooks are gdb's watchpoints, which stop through a code hook), and the
# call is most of why memory-heavy code ran 4 to 8 times slower than under
# qemu-user. Unicorn skips it while uc->no_exit_request is set (its ARM
# IT-block workaround). There is no API for that field, so we find it: in
# struct uc_struct (include/uc_priv.h, Unicorn 2.1.4, pinned), it follows
# target_page_size, target_page_align, qemu_host_page_size and
# qemu_real_host_page_size (u32 page, u32 page - 1, u64 host page, u64 host
# page), then qemu_icache_linesize, context_content, cpu_context_size,
# next_pc, and the bools hook_insert, first_tb, no_exit_request, init_done.
# The flag is read at translation time: change it only with the translation
# cache flushed. A stop request from a hook then takes effect at the next
# block (cpu_exit marks it for every block's entry), which is all the stop
# switch and syscalls need; gdb single-steps and code breakpoints need the
# exact stop, so a thread under gdb keeps the checks.

_NO_EXIT_REQUEST_AFTER_PAGE_SIZE = 50  # bytes from target_page_size to no_exit_request


_flag_offset = None  # of no_exit_request in uc_struct: one layout per library, found once


def _layout_matches(uc, offset):
    """The fields around `offset` in this instance are the ones we expect there."""
    import struct
    page = uc.ctl_get_page_size()
    at = uc._uch.value + offset - _NO_EXIT_REQUEST_AFTER_PAGE_SIZE
    if ctypes.string_at(at, 24) != struct.pack("<IIQQ", page, page - 1, 4096, 4096):
        return False
    bools = ctypes.string_at(at + _NO_EXIT_REQUEST_AFTER_PAGE_SIZE - 2, 4)
    return bools[0] <= 1 and bools[1] <= 1 and bools[2] <= 1 and bools[3] == 1  # hook_insert, first_tb, ours, init_done


def _find_flag_offset(uc):
    """Search the instance for target_page_size and its three neighbours (once per process)."""
    import struct
    base = uc._uch.value
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
                if lo <= base < hi:
                    break
            else:
                return None
    except OSError:
        return None
    memory = ctypes.string_at(base, min(hi - base, 1 << 14))
    page = uc.ctl_get_page_size()
    pattern = struct.pack("<IIQQ", page, page - 1, 4096, 4096)
    at = memory.find(pattern)
    if at < 0 or memory.find(pattern, at + 1) >= 0:
        return None
    return at + _NO_EXIT_REQUEST_AFTER_PAGE_SIZE


def _no_exit_request_flag(uc):
    """The address of uc->no_exit_request, or None if the layout is not the expected one."""
    global _flag_offset
    if "exit-flag" in DISABLED:
        return None
    if _flag_offset is None:
        _flag_offset = _find_flag_offset(uc)
    if _flag_offset is None or not _layout_matches(uc, _flag_offset):
        return None
    return uc._uch.value + _flag_offset


_INVALID_ADDR_BEFORE_PAGE_SIZE = 568  # uc->invalid_addr: back past exits[64], ctl_exits, thumb...


def fault_address(uc, page):
    """The exact address of the access Unicorn just refused in `page` (it keeps it in
    uc->invalid_addr, two fields before the exits array); None when the field cannot
    be found or does not agree with the page (the caller then finds it the slow way)."""
    flag = _no_exit_request_flag(uc)
    if flag is None:
        return None
    value = ctypes.c_uint64.from_address(flag - _NO_EXIT_REQUEST_AFTER_PAGE_SIZE
                                         - _INVALID_ADDR_BEFORE_PAGE_SIZE).value
    return value if value & ~(uc.ctl_get_page_size() - 1) == page else None


def fault_address_readable(uc):
    """Whether fault_address can read uc->invalid_addr in this Unicorn."""
    return _no_exit_request_flag(uc) is not None


def set_memory_exit_checks(uc, on):
    """Turn Unicorn's exit check after each load and store on or off (see above);
    False if this Unicorn's layout is not the one we know (the checks then stay)."""
    flag = _no_exit_request_flag(uc)
    if flag is None:
        return False
    ctypes.c_ubyte.from_address(flag).value = 0 if on else 1
    uc.ctl_flush_tb()
    return True


# ---- the syscall exception, without argument conversion ----------------------------
# ctypes turns each C argument of a callback into a Python object: for the INTR
# hook's three that is 0.2 us of the 0.44 us an empty Python hook costs per
# exception (measured; Unicorn's own exception path takes 0.05 us). A syscall
# needs none of them, so the hook's C callback is 36 bytes of x86-64 that
# compare intno with the arch's syscall exception and jump to a Python callback
# declared with no arguments (on x86-64 SysV a callee may ignore its arguments),
# or else to the usual three-argument one (faults, breakpoints). getpid round
# trip with it (thread.py's INTR hook made an IntrHook): riscv64 1.47 -> 1.29 us,
# aarch64 1.46 -> 1.23 us. Like the stop switch, x86-64 hosts only.
#
#   cb(uc=rdi, intno=esi, user_data=rdx):
#       cmp  esi, SYSCALL_INTNO      81 fe imm32
#       jne  other                   75 06
#       jmp  [rip+6]                 ff 25 06 00 00 00   -> on_syscall()
#   other:
#       jmp  [rip+8]                 ff 25 08 00 00 00   -> on_other(uc, intno, user_data)
#       .quad on_syscall, on_other

SYSCALL_CALLBACK = ctypes.CFUNCTYPE(None)
UC_HOOK_INTR = 1


# An inline answer (IntrHook's `inline`): one syscall answered in the hook itself, for a
# call made so often that even the Python path's microsecond dominates (m68k's
# get_thread_area: glibc reads its thread pointer through it on every TLS access).
# Inside the INTR hook the CPU state is what the API reads (regfile.py), so the answer
# is three stores into it: the result slot takes the value cell's, the PC moves past
# the instruction (as advance_pc does), and the CPU goes on. The slots are the register
# array regfile.locate found and verified (written through the API, read in place and
# back); without it (or with PYQEMU_NO_UNSAFE=inline-syscall) the call takes the Python path.
#
#   cmp  esi, intno           81 fe imm32
#   jne  other                75 3e
#   mov  rax, number_slot     48 b8 imm64
#   cmp  dword [rax], number  81 38 imm32
#   jne  syscall              75 26
#   mov  rcx, value_cell      48 b9 imm64
#   mov  ecx, [rcx]           8b 09
#   mov  rdx, result_slot     48 ba imm64
#   mov  [rdx], ecx           89 0a
#   mov  rax, pc_slot         48 b8 imm64
#   add  dword [rax], advance 83 00 imm8
#   ret                       c3
# syscall: jmp [rip+6] / other: jmp [rip+8] / .quad on_syscall, on_other (as below)

def _inline_code(syscall_intno, inline):
    number_slot, number, result_slot, value_cell, pc_slot, advance = inline
    code = (bytes.fromhex("81fe") + syscall_intno.to_bytes(4, "little") + bytes.fromhex("753e")
            + bytes.fromhex("48b8") + number_slot.to_bytes(8, "little")
            + bytes.fromhex("8138") + number.to_bytes(4, "little") + bytes.fromhex("7526")
            + bytes.fromhex("48b9") + value_cell.to_bytes(8, "little") + bytes.fromhex("8b09")
            + bytes.fromhex("48ba") + result_slot.to_bytes(8, "little") + bytes.fromhex("890a")
            + bytes.fromhex("48b8") + pc_slot.to_bytes(8, "little") + bytes.fromhex("8300") + bytes([advance])
            + bytes.fromhex("c3"))
    assert len(code) == 64, len(code)  # the jumps above count on it
    return code


class IntrHook:
    """An INTR hook whose syscall exceptions call on_syscall() (a SYSCALL_CALLBACK)
    and whose other exceptions call on_other (an INTR_CALLBACK); with `inline`
    (number slot, number, result slot, value cell, PC slot, advance), that one call
    is answered in the hook (above)."""

    def __init__(self, uc, syscall_intno, on_syscall, on_other, inline=None):
        from .memory import host
        self._callbacks = (on_syscall, on_other)  # alive as long as the hook
        self._page = None
        self.inline = inline if "inline-syscall" not in DISABLED else None
        inline = self.inline
        if "native-hooks" in DISABLED:  # the same test in Python, arguments converted
            self.inline = None
            def on_interrupt(handle, intno, user_data):
                if intno == syscall_intno:
                    on_syscall()
                else:
                    on_other(handle, intno, user_data)
            self._callbacks += (INTR_CALLBACK(on_interrupt),)
            self.handle = add_hook(uc, UC_HOOK_INTR, self._callbacks[-1])
            return
        targets = [ctypes.cast(cb, _void_p).value for cb in self._callbacks]
        head = (bytes.fromhex("81fe") + syscall_intno.to_bytes(4, "little") + bytes.fromhex("7506")) \
            if inline is None else _inline_code(syscall_intno, inline)
        code = (head + bytes.fromhex("ff2506000000") + bytes.fromhex("ff2508000000")
                + targets[0].to_bytes(8, "little") + targets[1].to_bytes(8, "little"))
        self._page = page = host.mmap(None, 4096, host.PROT_READ | host.PROT_WRITE,
                                      host.MAP_PRIVATE | host.MAP_ANONYMOUS)
        ctypes.memmove(page, code, len(code))
        host.mprotect(page, 4096, host.PROT_READ | host.PROT_EXEC)
        handle = ctypes.c_size_t()
        err = uclib.uc_hook_add(uc._uch, ctypes.byref(handle), UC_HOOK_INTR, _void_p(page), None,
                                ctypes.c_uint64(1), ctypes.c_uint64(0))
        if err:
            raise RuntimeError(f"uc_hook_add: {strerror(err).decode()}")
        self.handle = handle.value

    def __del__(self):  # with its thread, whose Unicorn instance runs no more guest code
        from .memory import host
        if self._page is not None:
            host.munmap(self._page, 4096)


UC_HOOK_INSN = 2


class InsnHook:
    """For ABIs whose syscall instruction Unicorn reports through an instruction
    hook (x86-64's `syscall`): on_syscall() (a SYSCALL_CALLBACK: the hook's own
    two arguments, uc and user_data, are ignored, which the x86-64 calling
    convention allows) for the instruction, on_other (an INTR_CALLBACK) for
    every exception."""

    def __init__(self, uc, insn_id, on_syscall, on_other):
        self._callbacks = (on_syscall, on_other)
        handle = ctypes.c_size_t()
        err = uclib.uc_hook_add(uc._uch, ctypes.byref(handle), UC_HOOK_INSN, ctypes.cast(on_syscall, _void_p),
                                None, ctypes.c_uint64(1), ctypes.c_uint64(0), ctypes.c_int(insn_id))
        if err:
            raise RuntimeError(f"uc_hook_add: {strerror(err).decode()}")
        self.handle = handle.value
        self.intr = add_hook(uc, UC_HOOK_INTR, on_other)


# ---- a host signal handler that keeps the siginfo --------------------------------
# CPython's own C handler only writes the signal's number to its wake-up fd, so
# who sent a signal (si_pid, si_uid), a child's exit status (SIGCHLD's
# si_status) and a sigqueue's or timer's si_value were lost. This SA_SIGINFO
# handler writes the whole 128-byte siginfo_t to a pipe instead (one write of
# less than PIPE_BUF: atomic, so records never interleave), then counts it in a
# word beside the fd, so a thread coming back from a syscall can tell cheaply
# that one arrived meanwhile (the kernel delivers it on the way out). It touches
# no errno (a raw syscall) and no memory but its two words, so it is
# async-signal-safe. The words live in a data page beside the code, so a fork's
# child can point the fd at a pipe of its own. x86-64 only, like the rest of
# this module.
#
# A POSIX timer's signal (si_code SI_TIMER) is also left blocked in the thread it
# interrupted, in the ucontext's mask that sigreturn restores, as qemu-user's
# handler blocks every signal until its CPU loop has taken the one that came: the
# host re-arms a periodic timer when the handler takes its signal, and one of a few
# nanoseconds fires again at once; unblocked, every return from the handler would
# run it again and the thread would never get on (LTP timer_settime03). Blocked,
# the next expiry waits in the host until the emulator has disarmed the timer for
# as long as the guest's copy waits (signals/posix_timers.py) and unblocked it.
#
#   handler(sig=edi, info=rsi, ucontext=rdx):
#       cmp  dword [rsi+8], -2      83 7e 08 fe            si_code SI_TIMER?
#       jne  record                 75 0b
#       lea  ecx, [rdi-1]           8d 4f ff
#       bts  [rdx+296], rcx         48 0f ab 8a 28 01 00 00  its bit in uc_sigmask
#   record:
#       mov  edi, [rip+...]         8b 3d disp32           -> the fd, first word of the next page
#       mov  edx, 128               ba 80 00 00 00
#       mov  eax, 1  (write)        b8 01 00 00 00
#       syscall                     0f 05
#       lock inc dword [rip+...]    f0 ff 05 disp32        -> the count, second word
#       ret                         c3
#   quiet (KICK: only interrupts a blocking call):
#       ret                         c3                     at offset 48
#   sent_only (SIGSEGV, SIGILL, ... : a guest handler for the ones another process sends;
#   a real fault of the emulator's own must stay fatal), at offset 64:
#       cmp  dword [rsi+8], 0       83 7e 08 00            si_code > 0: the kernel's own
#       jg   fault                  7f 2b
#       (the handler above, 43 bytes)
#   fault:                                                  back to SIG_DFL, and return: the
#       lea  rsi, [rip+...]         48 8d 35 disp32         instruction faults again, fatally
#       xor  edx, edx               31 d2
#       mov  r10d, 8                41 ba 08 00 00 00
#       mov  eax, 13 (rt_sigaction) b8 0d 00 00 00
#       syscall                     0f 05
#       ret                         c3
#   with a zeroed kernel struct sigaction (SIG_DFL) at the data page's offset 64.

SIGINFO_BYTES = 128


class SiginfoPipeHandler:
    """Host addresses of the two handlers: `address` (writes siginfo to the fd set
    with set_fd) and `quiet` (does nothing). create() checks it works, or None."""

    TIMER_BLOCK = bytes.fromhex("837e08fe" "750b" "8d4fff" "480fab8a28010000")
    RECORD = bytes.fromhex("8b3d00000000" "ba80000000" "b801000000" "0f05" "f0ff0500000000" "c3")
    UC_SIGMASK = 296  # offset of uc_sigmask in the host's ucontext_t
    QUIET_AT = 48
    SENT_ONLY_AT = 64
    FD_AT, COUNT_AT = 4096, 4100
    DFL_AT = 4096 + 64  # a kernel struct sigaction of zeroes: SIG_DFL

    @classmethod
    def _handler(cls, at):
        """The record-writing handler placed at offset `at` of the page: its rip-relative
        offsets to the fd and the count are where it sits."""
        code = bytearray(cls.TIMER_BLOCK + cls.RECORD)
        rec = len(cls.TIMER_BLOCK)
        code[rec + 2:rec + 6] = (cls.FD_AT - (at + rec + 6)).to_bytes(4, "little", signed=True)
        code[rec + 21:rec + 25] = (cls.COUNT_AT - (at + rec + 25)).to_bytes(4, "little", signed=True)
        return bytes(code)

    def __init__(self):
        from .memory import host
        self._page = page = host.mmap(None, 8192, host.PROT_READ | host.PROT_WRITE,
                                      host.MAP_PRIVATE | host.MAP_ANONYMOUS)
        first = self._handler(0)
        assert len(first) <= self.QUIET_AT
        ctypes.memmove(page, first, len(first))
        ctypes.memmove(page + self.QUIET_AT, b"\xc3", 1)
        at = self.SENT_ONLY_AT
        body = bytes.fromhex("837e0800" "7f") + bytes([len(first)])
        shift = at + len(body)
        main = self._handler(shift)
        fault_at = shift + len(main)
        fault = (bytes.fromhex("488d35") + (self.DFL_AT - (fault_at + 7)).to_bytes(4, "little", signed=True)
                 + bytes.fromhex("31d2" "41ba08000000" "b80d000000" "0f05" "c3"))
        ctypes.memmove(page + at, body + bytes(main) + fault, len(body) + len(main) + len(fault))
        self.sent_only = page + at
        host.mprotect(page, 4096, host.PROT_READ | host.PROT_EXEC)
        self._fd = ctypes.c_int.from_address(page + self.FD_AT)
        self.count = ctypes.c_uint.from_address(page + self.COUNT_AT)  # records written so far
        self.address = page
        self.quiet = page + self.QUIET_AT

    def set_fd(self, fd):
        self._fd.value = fd

    @classmethod
    def create(cls, fd):
        """The handler writing to fd, after calling it once on a test record through a
        scratch pipe; None on a host it does not fit (the caller falls back)."""
        import os
        if os.uname().machine != "x86_64":  # (the platform module would cost 1.5 ms of start-up)
            return None
        try:
            handler = cls()
            r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
            try:
                handler.set_fd(w)
                call = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)(handler.address)
                record = bytes(range(SIGINFO_BYTES))
                buf = ctypes.create_string_buffer(record, SIGINFO_BYTES)
                uc = ctypes.create_string_buffer(cls.UC_SIGMASK + 8)
                call(10, ctypes.addressof(buf), ctypes.addressof(uc))
                ok = os.read(r, 4 * SIGINFO_BYTES) == record and handler.count.value == 1 and \
                    uc.raw == bytes(len(uc))  # not a timer's: no mask touched
                # a timer's signal 10: bit 9 of the mask sigreturn restores, and recorded too
                timer = bytes(8) + (-2).to_bytes(4, "little", signed=True) + bytes(SIGINFO_BYTES - 12)
                buf = ctypes.create_string_buffer(timer, SIGINFO_BYTES)
                call(10, ctypes.addressof(buf), ctypes.addressof(uc))
                ok = ok and os.read(r, 4 * SIGINFO_BYTES) == timer and handler.count.value == 2 and \
                    uc.raw == bytes(cls.UC_SIGMASK) + (1 << 9).to_bytes(8, "little")
            finally:
                os.close(r)
                os.close(w)
        except (OSError, ValueError):
            return None
        if not ok:
            return None
        handler.set_fd(fd)
        return handler


# ---- a futex hand-over and a sleep in one host call ---------------------------------
# A guest thread blocking in a private FUTEX_WAIT passes the emulator lock to a thread
# waiting on a futex gate (threads/private_futex.py), then sleeps on its own gate.
# As two ctypes calls, the woken thread found the GIL still held by the sleeper (it
# needs it for the Python between them) and slept a second time, on the GIL: three
# host context switches per hand-off instead of one. This function does both with
# the GIL released once, before either: open the other gate, wake it, sleep.
#
#   handover_sleep(open=rdi, own=rsi, op=rdx, timeout=rcx) -> the wait's result or -errno:
#       mov  dword [rdi], 1         c7 07 01 00 00 00   the other gate's word: open
#       mov  r8, rsi                49 89 f0            (kept across the first syscall:
#       mov  r9, rdx                49 89 d1             it clobbers only rcx and r11)
#       mov  r10, rcx               49 89 ca            the timeout, where the syscall wants it
#       mov  esi, 129               be 81 00 00 00      FUTEX_WAKE_PRIVATE
#       mov  edx, 1                 ba 01 00 00 00      one waiter
#       mov  eax, 202               b8 ca 00 00 00      futex
#       syscall                     0f 05
#       mov  rdi, r8                4c 89 c7            own gate
#       mov  rsi, r9                4c 89 ce            the wait's op
#       xor  edx, edx               31 d2               while the word is 0
#       xor  r8d, r8d               45 31 c0            no second address
#       mov  r9d, -1                41 b9 ff ff ff ff   bitset: any
#       mov  eax, 202               b8 ca 00 00 00      futex
#       syscall                     0f 05
#       ret                         c3

_HANDOVER_CODE = bytes.fromhex("c70701000000" "4989f0" "4989d1" "4989ca" "be81000000" "ba01000000"
                               "b8ca000000" "0f05" "4c89c7" "4c89ce" "31d2" "4531c0" "41b9ffffffff"
                               "b8ca000000" "0f05" "c3")


class HandoverSleep:
    """call(open_address, own_address, op, timeout_address): see above. create()
    checks it on scratch words, or gives None (x86-64 hosts only; PYQEMU_NO_UNSAFE=futex-handover
    forces the fallback: two ctypes calls)."""

    def __init__(self):
        from .memory import host
        self._page = page = host.mmap(None, 4096, host.PROT_READ | host.PROT_WRITE,
                                      host.MAP_PRIVATE | host.MAP_ANONYMOUS)
        ctypes.memmove(page, _HANDOVER_CODE, len(_HANDOVER_CODE))
        host.mprotect(page, 4096, host.PROT_READ | host.PROT_EXEC)
        # CFUNCTYPE: the GIL is released around the call
        self.call = ctypes.CFUNCTYPE(ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long,
                                     ctypes.c_void_p)(page)

    @classmethod
    def create(cls):
        if os.uname().machine != "x86_64" or "futex-handover" in DISABLED:
            return None
        try:
            handover = cls()
            words = (ctypes.c_uint32 * 2)(0, 7)  # the other gate closed; our own not 0: no sleep
            result = handover.call(ctypes.addressof(words), ctypes.addressof(words) + 4, 0x89, None)
        except (OSError, ValueError):
            return None
        import errno
        if result != -errno.EAGAIN or words[0] != 1 or words[1] != 7:
            return None
        return handover


# ---- MIPS: the address of the instruction that raised an exception ------------------
# Unicorn 2.1.4 (qemu/accel/tcg/cpu-exec.c, cpu_handle_exception) overwrites a MIPS
# CPU's PC with uc->next_pc before it calls the INTR hook, for every exception; and
# next_pc is only set for syscalls (to the address after the syscall instruction).
# So a break, trap, reserved instruction or FP exception reaches us with the PC of the
# last syscall's return. The same function first calls uc->stop_interrupt(uc, intno),
# a per-arch callback MIPS leaves NULL. Ours copies the CPU's PC (where QEMU left the
# faulting instruction) into next_pc, for every exception but syscall, so the
# overwrite puts back what was there. 47 bytes of x86-64 per CPU (the addresses of
# that CPU's PC and next_pc are in the code):
#
#   cb(uc=rdi, intno=esi):
#       cmp  esi, 17            83 fe 11              EXCP_SYSCALL: next_pc is right
#       je   done               74 xx
#       cmp  esi, 0x10000       81 fe 00 00 01 00     EXCP_INTERRUPT and up (and -1): not
#       jae  done               73 xx                 an exception of the guest
#       mov  rax, pc_address    48 b8 imm64
#       mov  eax/rax, [rax]     8b 00 / 48 8b 00      the PC: 4 or 8 bytes
#       mov  rcx, next_pc       48 b9 imm64
#       mov  [rcx], rax         48 89 01
#   done:
#       xor  eax, eax           31 c0                 false: not an "invalid instruction" stop
#       ret                     c3
#
# uc->stop_interrupt is found as the 12th pointer from uc->reg_read, whose value is
# the exported reg_read_<variant> function, followed by reg_write_<variant>; between
# them and it lie reg_reset ... get_pc (include/uc_priv.h). next_pc is 10 bytes before
# no_exit_request (found above).

_MIPS_VARIANTS = {(4, False): "mipsel", (4, True): "mips", (8, False): "mips64el", (8, True): "mips64"}
_STOP_INTERRUPT_AFTER_REG_READ = 11  # reg_write, reg_reset, write_mem, read_mem, read_mem_virtual,
# virtual_to_physical, memory_cow, release, set_pc, get_pc, then stop_interrupt


class MipsExceptionPc:
    """Install the callback above on one MIPS CPU; `ok` says whether it is in place."""

    def __init__(self, uc, pc_address, pc_bytes, big_endian):
        import struct
        from .memory import host
        self.ok = False
        self._page = None
        if "mips-exception-pc" in DISABLED:
            return
        flag = _no_exit_request_flag(uc)
        variant = _MIPS_VARIANTS.get((pc_bytes, big_endian))
        if flag is None or variant is None or (flag - 10) % 8:
            return
        next_pc = flag - 10
        try:
            reg_read = ctypes.cast(getattr(_lib, f"reg_read_{variant}"), _void_p).value
            reg_write = ctypes.cast(getattr(_lib, f"reg_write_{variant}"), _void_p).value
        except AttributeError:
            return
        base = uc._uch.value
        words = struct.unpack("<512Q", ctypes.string_at(base, 512 * 8))
        hits = [i for i in range(len(words) - _STOP_INTERRUPT_AFTER_REG_READ)
                if words[i] == reg_read and words[i + 1] == reg_write]
        if len(hits) != 1:
            return
        slot = hits[0] + _STOP_INTERRUPT_AFTER_REG_READ
        if words[slot] != 0 or not words[slot - 1] or not words[slot - 2]:  # NULL; get_pc, set_pc set
            return
        load = bytes.fromhex("8b00") if pc_bytes == 4 else bytes.fromhex("488b00")
        body = (bytes.fromhex("48b8") + pc_address.to_bytes(8, "little") + load
                + bytes.fromhex("48b9") + next_pc.to_bytes(8, "little") + bytes.fromhex("488901"))
        tail = bytes.fromhex("31c0c3")
        skip_second = len(body)
        second = bytes.fromhex("81fe00000100") + bytes([0x73, skip_second])
        code = bytes.fromhex("83fe11") + bytes([0x74, len(second) + skip_second]) + second + body + tail
        self._page = page = host.mmap(None, 4096, host.PROT_READ | host.PROT_WRITE,
                                      host.MAP_PRIVATE | host.MAP_ANONYMOUS)
        ctypes.memmove(page, code, len(code))
        host.mprotect(page, 4096, host.PROT_READ | host.PROT_EXEC)
        ctypes.c_uint64.from_address(base + 8 * slot).value = page
        self.ok = True

    def __del__(self):  # with its thread, whose Unicorn instance runs no more guest code
        if self._page is not None:
            from .memory import host
            host.munmap(self._page, 4096)


# ---- MIPS: Unicorn 2.1.4's translator leaks a TCG temporary per instruction -----------
# mips_tr_translate_insn (qemu/target/mips/translate.c) starts every instruction with
# `dyn_is_slot = tcg_const_i32(tcg_ctx, 0)`, moves it into delay_slot_flag, and never
# frees it. A block has room for 512 temporaries, globals included: a block of about
# 370 instructions without a branch (a page of zeros, an unrolled hash round) runs
# past the array into the op list and Unicorn crashes (SIGSEGV in tcg_emit_op; unicorn
# issue #2240, fixed upstream only in unmerged pull requests). The temporary is dead
# once that move is emitted, and nothing allocates in between, so freeing it right
# away is what the fix upstream does.
#
# The library calls tcg_const_i32_<variant> through its PLT (it is built without
# -Bsymbolic), so its GOT slot can point to a wrapper instead; the wrapper acts only
# when it returns into mips_tr_translate_insn at that one call (found from the
# library's symbol table and checked: the function's first call, `xor esi, esi` just
# before, its PLT stub jumping through that slot), and frees the new temporary with
# the exported tcg_temp_free_internal_<variant> before returning it. 43 bytes:
#
#   wrapper(s=rdi, val=esi):
#       mov   rax, [rsp]                 48 8b 04 24       return address
#       cmp   rax, [rip+site]            48 3b 05 rel32
#       jne   other                      75 xx
#       push  rdi                        57                (keeps rsp 16-aligned at the calls)
#       call  [rip+real]                 ff 15 rel32       t = tcg_const_i32(s, val)
#       pop   rdi                        5f
#       push  rax                        50
#       lea   rsi, [rdi+rax]             48 8d 34 07       the TCGTemp: tcg_ctx + t
#       call  [rip+free]                 ff 15 rel32       tcg_temp_free_internal(s, temp)
#       pop   rax                        58
#       ret                              c3
#   other:
#       jmp   [rip+real]                 ff 25 rel32
#       .quad site, real, free

_TEMP_FIX_VARIANTS = {}  # variant -> True (mended) or False (could not be)


class _LibraryFile:
    """The parts of libunicorn's file the MIPS mends look at (its symbol tables and PLT
    relocations), read once with pread: no descriptor stays open (a mmap would keep a
    low one, which the guest would then see as its own) and no 20 MB are held. Offsets
    are the file's, as in the section headers."""

    WANTED = (".dynsym", ".dynstr", ".symtab", ".strtab", ".rela.plt")

    def __init__(self, path):
        import struct
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            head = os.pread(fd, 64, 0)
            shoff, = struct.unpack_from("<Q", head, 0x28)
            shentsize, shnum, shstrndx = struct.unpack_from("<HHH", head, 0x3A)
            table = os.pread(fd, shentsize * shnum, shoff)
            headers = [struct.unpack_from("<IIQQQQIIQQ", table, i * shentsize) for i in range(shnum)]
            names = os.pread(fd, headers[shstrndx][5], headers[shstrndx][4])
            self.sections = {}
            for name, _type, _flags, addr, offset, size, *_ in headers:
                self.sections[names[name:names.index(b"\0", name)].decode()] = (offset, size, addr)
            self._chunks = [(offset, os.pread(fd, size, offset)) for name, (offset, size, _) in self.sections.items()
                            if name in self.WANTED]
        finally:
            os.close(fd)

    def _chunk(self, at):
        for offset, data in self._chunks:
            if offset <= at < offset + len(data):
                return offset, data
        raise ValueError(f"offset {at:#x} is not in a section read")

    def find(self, needle, start, end):
        offset, data = self._chunk(start)
        at = data.find(needle, start - offset, end - offset)
        return at + offset if at >= 0 else -1

    def unpack_from(self, fmt, at):
        import struct
        offset, data = self._chunk(at)
        return struct.unpack_from(fmt, data, at - offset)


@functools.lru_cache(maxsize=None)
def _library_layout():
    """({section name: (file offset, size, address)}, _LibraryFile) of libunicorn; read
    once (the MIPS mends each look things up in it)."""
    from .uclib import lib
    data = _LibraryFile(lib._name)
    return data.sections, data


def _symbol_value(name):
    """The value (address before relocation) of a dynamic symbol of libunicorn's; cached."""
    if name not in _SYMBOL_VALUES:
        sections, data = _library_layout()
        _SYMBOL_VALUES[name] = _symbols_named(sections, data, ".dynsym", ".dynstr", name)[0][1]
    return _SYMBOL_VALUES[name]


_SYMBOL_VALUES = {}


def _symbols_named(sections, data, table, strings, name):
    """[(index, value, size)] of the symbols called `name` in a symbol table section."""
    import struct
    s_off, s_size, _ = sections[strings]
    index = data.find(b"\0" + name.encode() + b"\0", s_off, s_off + s_size)
    if index < 0:
        return []
    key = struct.pack("<I", index + 1 - s_off)
    t_off, t_size, _ = sections[table]
    out, at = [], data.find(key, t_off, t_off + t_size)
    while at >= 0:
        if (at - t_off) % 24 == 0:
            _, _, _, _, value, size = data.unpack_from("<IBBHQQ", at)
            out.append(((at - t_off) // 24, value, size))
        at = data.find(key, at + 1, t_off + t_size)
    return out


def _plt_slot(sections, data, name):
    """The GOT slot (offset from the load base) of `name`'s PLT entry, or None."""
    found = _symbols_named(sections, data, ".dynsym", ".dynstr", name)
    if len(found) != 1:
        return None
    index = found[0][0]
    r_off, r_size, _ = sections[".rela.plt"]
    for at in range(r_off, r_off + r_size, 24):
        offset, info = data.unpack_from("<QQ", at)
        if info >> 32 == index and info & 0xFFFFFFFF == 7:  # R_X86_64_JUMP_SLOT
            return offset
    return None


def _stub_slot(address):
    """The GOT address a PLT stub at `address` jumps through (jmp [rip+d], maybe after endbr64/bnd)."""
    code = ctypes.string_at(address, 16)
    at = 4 if code.startswith(b"\xf3\x0f\x1e\xfa") else 0
    if code[at] == 0xF2:
        at += 1
    if code[at:at + 2] != b"\xff\x25":
        return None
    return address + at + 6 + int.from_bytes(code[at + 2:at + 6], "little", signed=True)


def mend_mips_translator(variant):
    """Install the wrapper above for one MIPS variant of libunicorn; True if in place."""
    if variant in _TEMP_FIX_VARIANTS:
        return _TEMP_FIX_VARIANTS[variant]
    _TEMP_FIX_VARIANTS[variant] = False
    if "mips-translator" in DISABLED:  # tests force the fallback
        return False
    try:
        real = ctypes.cast(getattr(_lib, f"tcg_const_i32_{variant}"), _void_p).value
        free = ctypes.cast(getattr(_lib, f"tcg_temp_free_internal_{variant}"), _void_p).value
        sections, data = _library_layout()
        base = ctypes.cast(_lib.uc_open, _void_p).value - _symbol_value("uc_open")
        slot = _plt_slot(sections, data, f"tcg_const_i32_{variant}")
        plt = [sections[n] for n in (".plt", ".plt.sec") if n in sections]
    except (AttributeError, OSError, ValueError, IndexError, KeyError):
        return False
    if slot is None:
        return False
    slot += base
    # the slot holds the function, or (not yet bound) an address in the PLT
    bound = ctypes.c_uint64.from_address(slot).value
    if bound != real and not any(base + addr <= bound < base + addr + size for _, size, addr in plt):
        return False
    site = None
    for _, value, size in _symbols_named(sections, data, ".symtab", ".strtab", "mips_tr_translate_insn"):
        code = ctypes.string_at(base + value, min(size, 256))
        at = code.find(b"\x31\xf6\xe8")  # xor esi, esi; call: the function's first call...
        if at < 0:
            continue
        at += 2
        call = base + value + at
        target = call + 5 + int.from_bytes(code[at + 1:at + 5], "little", signed=True)
        if _stub_slot(target) == slot:  # ...is tcg_const_i32(s, 0), through our slot
            site = call + 5
    if site is None:
        return False
    from .memory import host
    body = bytes.fromhex("488b0424") + bytes.fromhex("483b05") + (0).to_bytes(4, "little") + b"\x75\x00" \
        + bytes.fromhex("57ff15") + bytes(4) + bytes.fromhex("5f50488d3407ff15") + bytes(4) + bytes.fromhex("58c3") \
        + bytes.fromhex("ff25") + bytes(4)
    code = bytearray(body)
    tail = len(code)
    code += site.to_bytes(8, "little") + real.to_bytes(8, "little") + free.to_bytes(8, "little")

    def rel(at_end, target):  # a rip-relative displacement from the end of an instruction
        return (target - at_end).to_bytes(4, "little", signed=True)
    code[7:11] = rel(11, tail)                  # cmp rax, [site]
    code[12] = len(body) - 6 - 13               # jne other
    code[16:20] = rel(20, tail + 8)             # call [real]
    code[28:32] = rel(32, tail + 16)            # call [free]
    code[36:40] = rel(40, tail + 8)             # jmp [real]
    page = host.mmap(None, 4096, host.PROT_READ | host.PROT_WRITE, host.MAP_PRIVATE | host.MAP_ANONYMOUS)
    ctypes.memmove(page, bytes(code), len(code))
    host.mprotect(page, 4096, host.PROT_READ | host.PROT_EXEC)
    ctypes.c_uint64.from_address(slot).value = page  # the page lives as long as the process
    _TEMP_FIX_VARIANTS[variant] = True
    return True


# ---- MIPS: a fetch fault inside a translation leaves delay_slot_flag behind ---------------
# mips_tr_tb_start sets tcg_ctx->delay_slot_flag to a new local temporary; tb_stop (or
# gen_tb_end) sets it back to NULL. A fetch fault while a block is being translated (a
# jump to an unmapped page, code running into one) leaves the translator by longjmp,
# so the flag keeps the dead temporary, and the next block's gen_tb_start reads it
# before anything else: Unicorn 2.1.4 crashes in temp_load (any MIPS guest whose
# SIGSEGV handler runs after a call through a bad pointer). Between emu_start calls no
# translation is under way, so NULL is always right there.
#
# Both offsets come from mips_tr_tb_start's own code (checked):
#     push rbx; mov rax, [rdi+disp32]   (ctx->uc)  53 48 8b 87 ...
#     ...
#     mov  rbx, [rax+UC_TCG]      (uc->tcg_ctx)    48 8b 98 disp32
#     ...
#     call tcg_temp_new_internal_<variant>@plt
#     sub  rax, rbx                                48 29 d8
#     mov  [rbx+FLAG], rax        (delay_slot_flag) 48 89 83 disp32

_SLOT_FLAG_OFFSETS = {}  # variant -> (uc->tcg_ctx offset, delay_slot_flag offset) or None


def _slot_flag_offsets(variant):
    if variant in _SLOT_FLAG_OFFSETS:
        return _SLOT_FLAG_OFFSETS[variant]
    _SLOT_FLAG_OFFSETS[variant] = None
    try:
        sections, data = _library_layout()
        base = ctypes.cast(_lib.uc_open, _void_p).value - _symbol_value("uc_open")
        slot = _plt_slot(sections, data, f"tcg_temp_new_internal_{variant}")
        starts = _symbols_named(sections, data, ".symtab", ".strtab", "mips_tr_tb_start")
    except (AttributeError, OSError, ValueError, IndexError, KeyError):
        return None
    if slot is None:
        return None
    for _, value, size in starts:
        code = ctypes.string_at(base + value, min(size, 64))
        load, call, store = code.find(b"\x48\x8b\x98"), code.find(b"\xe8"), code.find(b"\x48\x29\xd8\x48\x89\x83")
        if min(load, call, store) < 0 or not load < call < store or not code.startswith(b"\x53\x48\x8b\x87"):
            continue
        target = base + value + call + 5 + int.from_bytes(code[call + 1:call + 5], "little", signed=True)
        if _stub_slot(target) != slot + base:  # another variant's copy
            continue
        uc_tcg = int.from_bytes(code[load + 3:load + 7], "little", signed=True)
        flag = int.from_bytes(code[store + 6:store + 10], "little", signed=True)
        _SLOT_FLAG_OFFSETS[variant] = (uc_tcg, flag)
    return _SLOT_FLAG_OFFSETS[variant]


def mips_delay_slot_flag(uc, variant):
    """A c_uint64 over this CPU's tcg_ctx->delay_slot_flag, to be cleared before each
    emu_start; None where it cannot be found (or is not NULL now, between translations)."""
    if "mips-slot-flag" in DISABLED:  # tests force the fallback
        return None
    offsets = _slot_flag_offsets(variant)
    if offsets is None:
        return None
    uc_tcg, flag = offsets
    tcg_ctx = ctypes.c_uint64.from_address(uc._uch.value + uc_tcg).value
    if not tcg_ctx:
        return None
    word = ctypes.c_uint64.from_address(tcg_ctx + flag)
    return word if word.value == 0 else None
