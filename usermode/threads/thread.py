"""A guest thread: its own Unicorn instance (CPU context) on a host thread,
sharing the process's address space.

The run loop is the thread's only safe point: between two emu_start calls it
delivers pending signals, yields the emulator lock at the end of a time slice,
and turns CPU faults into the kernel's synchronous signals. Anything that
needs the thread there (a signal, the preempter, exit) calls emu_stop.
"""
import ctypes
import threading

from ..uc import UC_HOOK_INSN_INVALID, UC_HOOK_MEM_INVALID, UC_HOOK_TLB_FILL, UC_MEM_FETCH, UC_TLB_CPU, UC_TLB_VIRTUAL, Uc

from .. import raw
from ..memory.coherence import home_of
from ..memory.space import PAGE
from ..signals.delivery import SignalDelivery
from ..syscalls.dispatch import make_syscall_entry
from .lock import Unlocked, wakeup_preempt
from .tlb import TimedGrowth, TlbGrowth

UNTIL = 1  # an odd address: never a PC on any supported arch, so emulation runs on

# Unicorn memory-access types (uc_mem_type): (report wording, SIGSEGV si_code name)
_ACCESS = {19: ("read of unmapped", "SEGV_MAPERR"), 20: ("write to unmapped", "SEGV_MAPERR"),
           21: ("fetch from unmapped", "SEGV_MAPERR"), 22: ("write to protected", "SEGV_ACCERR"),
           23: ("read of protected", "SEGV_ACCERR"), 24: ("fetch from protected", "SEGV_ACCERR")}
UC_ERR_INSN_INVALID = 10
# emu_start's memory errors -> the access type a memory-fault hook reports
_MEMORY_ERRORS = {6: 19, 7: 20, 8: 21, 12: 22, 13: 23, 14: 24}
_FETCH_ACCESSES = (21, 24)
_FETCH_ERRORS = tuple(err for err, access in _MEMORY_ERRORS.items() if access in _FETCH_ACCESSES)
_FETCH_PROT_ERROR = next(err for err, access in _MEMORY_ERRORS.items() if access == 24)
_NEEDS = {16: 1, 17: 2, 18: 4}  # uc_mem_type READ, WRITE, FETCH -> the page right each needs
_REFUSED_ACCESS = {16: (19, 23), 17: (20, 22), 18: (21, 24)}  # -> (unmapped, protected) types


def _fault_at_until(space, pc):
    """The fault of a jump to UNTIL (a call through a pointer holding 1): its page is
    unmapped (a fetch fault, as qemu-user reports it), or the address is misaligned."""
    vma = space.find(pc)
    if vma is None or not vma.prot & 4:
        return GuestFault("SIGSEGV", pc, pc, "fetch from unmapped" if vma is None else "fetch from protected",
                          "SEGV_MAPERR" if vma is None else "SEGV_ACCERR")
    return GuestFault("SIGBUS", pc, pc, "misaligned instruction address", "BUS_ADRALN")


class GuestFault:
    """A synchronous CPU exception: the signal the kernel would send, and why."""

    def __init__(self, signal, pc, address=None, what="", code=None):
        self.signal, self.pc, self.address, self.what, self.code = signal, pc, address, what, code
        self.cs_mode = None  # capstone's mode for the instruction, when not the arch's usual one
        self.intno = None  # the CPU exception's number, when it was one


class GuestThread:
    def __init__(self, process, tid=None, parent=None):
        self.process = process
        self.arch = process.arch
        self.abi = process.abi
        self.space = process.space
        self.layouts = process.layouts
        self._begin_life(tid)
        self.uc = Uc(self.arch.UC_ARCH, self.arch.UC_MODE)
        if process.tcg_buffer_size:  # under an address-space limit (memory/limits.py)
            self.uc.ctl_set_tcg_buffer_size(process.tcg_buffer_size)
        self.uc.ctl_set_cpu_model(process.cpu_model)
        self.arch.prepare(self.uc)
        self.arch.configure(self.uc, process.cpu_features)
        # Guest addresses are Unicorn's "physical" ones and page rights come from the
        # mappings: the CPU's own MMU has nothing to add. In its own mode the guest
        # CPU (M-mode riscv, aarch64 with the MMU off) marks every page executable,
        # and Unicorn never lets a store to such a page take the fast path again
        # (cputlb.c, notdirty_write): sha512 ran 8 times slower than under qemu-user.
        # An arch whose Unicorn core cannot use that mode says TLB_MODE = "cpu" (ARM,
        # MIPS without its hflags word: cpu/_mips.py); and a fault's exact address under
        # it is only in Unicorn's private uc->invalid_addr (raw.fault_address): where that
        # cannot be read, the CPU's TLB it is, whose faults reach the memory-fault hook
        # with their address. tlb_mode(uc) may also say "cpu-exit-checks": the CPU's TLB,
        # whose faults are precise only with the exit checks after loads and stores.
        self.uc.mem_map(0, 0x1000)  # Unicorn sets itself up on first use: then its fields can be checked
        self.uc.mem_unmap(0, 0x1000)
        # ("virtual-only": an arch whose own TLB reports faults as CPU exceptions, s390x)
        tlb_mode = self.arch.tlb_mode(self.uc)
        self.virtual_tlb = virtual = tlb_mode == "virtual-only" or (
            tlb_mode == "virtual" and raw.fault_address_readable(self.uc))
        self.uc.ctl_set_tlb_mode(UC_TLB_VIRTUAL if virtual else UC_TLB_CPU)
        self.stop_switch = None  # see enable_async_stops
        self.handle = self.uc._uch.value
        self.space.attach(self.uc, virtual_tlb=virtual, code_changes_heard=self.arch.CODE_CHANGES_HEARD)
        # The TLB grows when the fill hook has counted enough misses (threads/tlb.py):
        # it stops the thread from inside an access, which is exact only without
        # the exit checks after loads and stores (raw.py); where they stay on, the
        # TLB keeps its first size.
        exact_stops = process.debugger is None and tlb_mode != "cpu-exit-checks" and \
            raw.set_memory_exit_checks(self.uc, False)
        # and for the same reason another thread may stop it with uc_emu_stop itself
        # (raw.stop_from_outside), unless its translator turns the checks back on
        self.direct_stops = exact_stops and self.arch.ASYNC_STOPS == "direct" and "direct-stops" not in raw.DISABLED
        # (a CPU whose TLB misses reach no hook, Unicorn's own TLB, grows its TLB by time)
        self.tlb_growth = TlbGrowth(enabled=exact_stops) if virtual or not exact_stops else TimedGrowth(self)
        self.signals = SignalDelivery(self, parent.signals if parent else None)
        if process.debugger is not None:
            process.debugger.attach_thread(self)
        self._install_hooks()
        if process.async_stops:
            self.enable_async_stops(fresh=True)

    # What a finished thread's CPU keeps for the next thread that reuses it (reborn):
    # the Unicorn instance, attached to the space, with its hooks and their state (the
    # TLB's growth, the stop switch, and the C cell m68k's inline get_thread_area answers
    # from: raw.IntrHook has its address). Everything else is the new thread's own.
    _CPU_STATE = ("process", "arch", "abi", "space", "layouts", "uc", "handle", "virtual_tlb", "direct_stops",
                  "tlb_growth", "stop_switch", "_callbacks", "m68k_thread_pointer")

    def _begin_life(self, tid):
        """The fields of a thread's own (not its CPU's), as a new thread has them."""
        self.tid = tid
        self.clear_child_tid = 0
        self.robust_list = 0
        self.exiting = False
        self.blocked = False  # inside a blocking host call, emulator lock released
        self.preempt_requested = False
        self.start_gate = None  # its place at the head of the lock's queue, from clone (lock.reserve_first)
        self.yield_to_new = False  # it made a thread: let it run first, at the safe point
        self.deferred = []  # see defer()
        self.fault = None
        self.refused = None  # (page, access type) the TLB fill refused: a fault's first half
        # Between emu_start and its return, outside the syscall hook: the CPU's fetches
        # are the guest's own (on_tlb_fill)
        self.in_guest = False
        # a TLB entry may let the CPU run a page it may not, unless the TLB was flushed
        # since this count of its flushes (on_tlb_fill); None: no such entry
        self.exec_lent = None
        self.host_ident = None  # pthread id, for pthread_kill
        self._unlocked = None  # see unlocked()
        self.futex_gate = None  # where it sleeps in a private FUTEX_WAIT (private_futex.py)
        self.debug = None  # under gdb: its gdb/control.ThreadDebug

    def reborn(self, parent):
        """This ended thread's CPU for a new thread (process.new_thread): a Unicorn instance
        costs its set-up (about 1 ms) and, worse, translating again all the code the new
        thread runs. It stayed attached to the space, so its regions and translations
        followed every mapping and code change (protection changes wait in space.stale for
        the run loop's catch_up); clone rewrites every register (copy_cpu, the whole CPU
        state); the TLB is emptied. Every other attribute goes, so nothing the last thread
        set on it (its name, x86's trap record) outlives it."""
        kept = {name: value for name, value in self.__dict__.items() if name in self._CPU_STATE}
        life = GuestThread.__new__(GuestThread)
        life._begin_life(None)
        life.signals = SignalDelivery(self, parent.signals if parent else None)
        # in one step: a host thread outside the lock reading a field (the preempter, the
        # TLB ticker) sees the old value or the new one, never none
        self.__dict__ = {**kept, **life.__dict__}
        self.uc.ctl_flush_tlb()
        if isinstance(self.tlb_growth, TimedGrowth):  # its warm-up starts again, as a new CPU's
            if self.stop_switch is None:
                self.install_stop_switch()  # (and its translations made without the switch go)
            self.tlb_growth = TimedGrowth(self)
        if self.process.async_stops:
            self.enable_async_stops()

    def unlocked(self):
        unlocked = self._unlocked  # one per thread: a blocking call inside another cannot happen
        if unlocked is None:
            unlocked = self._unlocked = Unlocked(self)
        return unlocked

    def _install_hooks(self):
        arch = self.arch
        entry = make_syscall_entry(self, self.process.syscalls,
                                   self.process.log if self.process.options.strace else None)
        on_syscall = arch.syscall_entry(self, entry)
        entry_kind, syscall_intno = arch.CONVENTION.entry

        handle = self.handle
        host_signals = self.process.signals.host
        step_pc = entry.step_pc  # the PC past the call, where the CPU leaves it on it

        if step_pc is None:
            def on_syscall_exception():  # the hot path of every syscall
                try:
                    self.in_guest = False
                    if self.debug is None:
                        on_syscall()
                    else:
                        self._debugged_syscall(on_syscall)
                    native = host_signals.native  # host_signals.arrived(), inline: this runs after every call
                    signals = self.signals  # (a reborn thread has its own: reborn)
                    if native is not None and native.count.value != host_signals.drained_count:
                        host_signals.drain()  # one came during the call: the kernel delivers it on the way out
                        signals.host_mask_after_drain()
                    if signals.pending_flag:  # deliver at the run loop, before the next instruction
                        raw.emu_stop(handle)
                    if self.exec_lent is not None:
                        self._take_back_exec()
                    self.in_guest = True
                except BaseException as e:  # never let an exception vanish inside the C callback
                    self.process.crash(e)
                    raw.emu_stop(handle)
        else:
            def on_syscall_exception():  # the same, after the PC's step (s390x, m68k)
                try:
                    self.in_guest = False
                    step_pc()  # before the call: its number, restarts and frames see the PC past it
                    if self.debug is None:
                        on_syscall()
                    else:
                        self._debugged_syscall(on_syscall)
                    native = host_signals.native
                    signals = self.signals
                    if native is not None and native.count.value != host_signals.drained_count:
                        host_signals.drain()
                        signals.host_mask_after_drain()
                    if signals.pending_flag:
                        raw.emu_stop(handle)
                    if self.exec_lent is not None:
                        self._take_back_exec()
                    self.in_guest = True
                except BaseException as e:
                    self.process.crash(e)
                    raw.emu_stop(handle)

        def on_interrupt(handle, intno, user_data):
            try:
                if intno == syscall_intno:
                    on_syscall_exception()
                elif arch.exception_fault is not None:
                    fault = arch.exception_fault(self, intno)
                    if fault is not None:  # None: the kernel would have emulated it, done
                        self._stop_with(fault)
                else:
                    signal, what, *code = arch.EXCEPTIONS.get(intno, ("SIGILL", f"cpu exception {intno}"))
                    pc = self.pc() - arch.FAULT_PC_ADJUST
                    if signal == "SIGILL" and pc == (UNTIL - 4) & self.abi.word_mask:
                        # Unicorn stops at an end address by translating a WFI there, which
                        # EL0 traps (aarch64), 4 bytes back: the guest jumped to UNTIL
                        self._stop_with(_fault_at_until(self.space, UNTIL))
                        return
                    if signal == "SIGILL":
                        done = self._emulated(pc)
                        if done:
                            if done is not True:  # the rest, the PC's move included, at the safe point
                                self.defer(lambda: done(self))
                            return
                    address = pc
                    if signal == "SIGBUS":  # a misaligned access: si_addr is the data's address
                        address = arch.data_address(self.uc, self._instruction(pc))
                    fault = GuestFault(signal, pc, address, what, code[0] if code else None)
                    fault.intno = intno
                    self._stop_with(fault)
            except BaseException as e:  # never let an exception vanish inside the C callback
                self.process.crash(e)
                raw.emu_stop(handle)

        def on_mem_invalid(handle, access, address, size, value, user_data):
            if self.fault is None:  # a later access of the same instruction: the first is the one
                what, code = _ACCESS.get(access, (f"access type {access} to", "SEGV_MAPERR"))
                # the exact PC is read after the exit: Unicorn syncs it only then
                self.fault = GuestFault("SIGSEGV", None, address, what, code)
            return False

        find_vma = self.space.find
        # memory each CPU has of its own, outside the guest's mappings (x86's descriptor tables)
        private_lo, private_hi = self.arch.CPU_PRIVATE or (0, 0)
        growth = self.tlb_growth
        untag = arch.ADDRESS_MASK
        emu_stop = raw.emu_stop
        tlb_filled, uc = arch.tlb_filled, self.uc

        def on_tlb_fill(handle, page, access, entry, user_data):
            # Unicorn's virtual TLB (see __init__) asks for a page's rights: the
            # mapping's (the CPU's regions have them all: memory/space.py). An access
            # they forbid is refused: Unicorn raises the fault, keeping its exact
            # address (raw.fault_address). Unicorn also asks to "fetch" when it looks
            # up code pages for its own bookkeeping (ctl_remove_cache, mem_unmap: from
            # a syscall or the safe point, where a refusal would stop the guest with
            # an error): those are granted, and the entry that lends the page
            # PROT_EXEC goes before guest code runs again (_take_back_exec). A fetch
            # from an unmapped page is granted too, and Unicorn reports it as such.
            growth.misses += 1
            if growth.misses == growth.budget:
                emu_stop(handle)  # lands at the next block start, where the safe point flushes
            if untag is not None:  # the address bits the CPU ignores (aarch64's top byte)
                page &= untag
            vma = find_vma(page)
            entry[0] = page
            if access == UC_MEM_FETCH:
                if vma is not None and not vma.prot & 4:
                    if self.in_guest:
                        # a refusal already made stays the one reported: after a refused
                        # load or store, x86's Unicorn fetches for the exception's delivery
                        # (from the IDT at 0), which must not pass for a look-up of its own
                        if self.refused is None:
                            self.refused = (page, 24)
                        return False
                    self.exec_lent = uc.tlb_flushes
                entry[1] = 7 if vma is None else (vma.prot & 7) | 4
                if vma is not None and vma.alias is not None:  # memory shared with code (memory/coherence.py)
                    if vma.prot & 4:
                        entry[0] = home_of(vma.alias, page)  # its code is translated at its home
                    else:  # (Unicorn's own look-up: the guest's fetch was refused above)
                        entry[1] = 4  # its own page; loads and stores fill again
                return True
            if vma is None and private_lo <= page < private_hi:
                entry[1] = 3
                return True
            if vma is None or not vma.prot & _NEEDS.get(access, 0) or page >= vma.eof:
                self.refused = (page, _REFUSED_ACCESS[access][vma is not None])
                return False
            entry[1] = vma.prot & 7
            if vma.alias is not None:  # a store there reaches the code at its home
                entry[0] = home_of(vma.alias, page)
            if tlb_filled is not None:
                tlb_filled(uc)
            return True

        def on_insn_invalid(handle, user_data):
            return False  # emu_start then reports UC_ERR_INSN_INVALID

        # keep the ctypes callbacks alive as long as the thread
        if entry_kind == "intr":
            entry_hook = raw.IntrHook(self.uc, syscall_intno, raw.SYSCALL_CALLBACK(on_syscall_exception),
                                      raw.INTR_CALLBACK(on_interrupt), inline=self._inline_answer(entry))
        else:  # an instruction hook (x86-64's syscall); other exceptions still come as interrupts
            entry_hook = raw.InsnHook(self.uc, syscall_intno, raw.SYSCALL_CALLBACK(on_syscall_exception),
                                      raw.INTR_CALLBACK(on_interrupt))
        self._callbacks = [entry_hook,
                           raw.MEM_INVALID_CALLBACK(on_mem_invalid), raw.INSN_INVALID_CALLBACK(on_insn_invalid),
                           raw.TLB_FILL_CALLBACK(on_tlb_fill)]
        raw.add_hook(self.uc, UC_HOOK_INSN_INVALID, self._callbacks[2])
        raw.add_hook(self.uc, UC_HOOK_TLB_FILL, self._callbacks[3])
        # No memory-fault hook while running: Unicorn never marks a page dirty in its
        # TLB while any such hook covers it (cputlb.c, notdirty_write), so one on
        # every address sends every guest store down the slow path (sha512: 8x
        # qemu-user's time). A fault's address is found afterwards: _fault_address.

    def _inline_answer(self, entry):
        """raw.IntrHook's inline answer for the arch's inline_syscall, where it can be
        given: the register slots known, no debugger or -strace to see every call."""
        slots = entry.inline_slots
        if self.arch.inline_syscall is None or slots is None or self.process.debugger is not None:
            return None
        number, cell = self.arch.inline_syscall(self)
        number_slot, result_slot, pc_slot = slots
        return (number_slot, number + self.arch.CONVENTION.number_base, result_slot, ctypes.addressof(cell), pc_slot,
                self.arch.CONVENTION.advance_pc)

    def _debugged_syscall(self, on_syscall):
        """A syscall under gdb: catch syscall stops before and after it."""
        debug = self.debug
        number = self.arch.CONVENTION.number_of(self)
        debug.syscall_stop("syscall_entry", number)
        on_syscall()
        debug.syscall_stop("syscall_return", number)

    def _instruction(self, pc):
        """The (up to) 4 bytes at pc, b"" where unreadable."""
        try:
            return self.space.read(pc, 4)
        except Exception:
            return b""

    def _emulated(self, pc):
        """An instruction Unicorn refused that the kernel would let run (rdtime)."""
        insn = self._instruction(pc)
        return insn and self.arch.emulate_trapped(self.uc, insn)

    # ---- registers -----------------------------------------------------------

    def pc(self):
        return self.uc.reg_read(self.arch.REG_PC)

    def copy_cpu_from(self, other):
        """Every register of `other`, as clone gives them to the child."""
        self.arch.copy_cpu(self, other)

    # ---- stopping ------------------------------------------------------------

    def _stop_with(self, fault):
        self.fault = fault
        raw.emu_stop(self.handle)

    def defer(self, action):
        """Run action() at the safe point, before the next guest instruction: for
        register changes a syscall makes (rt_sigreturn, a restart). Writing the PC
        inside a hook makes Unicorn skip syncing the PC at the next exit, so a
        later fault would report a stale one."""
        self.deferred.append(action)
        raw.emu_stop(self.handle)

    def keep_exit_checks(self):
        """gdb attaching to a thread already made: Unicorn's exit checks after loads and
        stores back on (its steps and breakpoints stop exactly there). A stop from inside
        an access then lands just after it, with the PC put back on it, and the access
        runs again on resume (raw.py): the fill hook asks for no more of them."""
        raw.set_memory_exit_checks(self.uc, True)
        stop_asking = getattr(self.tlb_growth, "stop_asking", None)  # (TimedGrowth stops at block starts)
        if stop_asking is not None:
            stop_asking()

    def stops_directly(self):
        """Whether another thread may stop this one with uc_emu_stop (raw.py): not
        under gdb, whose exit checks after loads and stores make it inexact."""
        return self.direct_stops and self.debug is None

    def stop(self):
        """Make the thread leave guest code and come to its safe point, at its next
        block start. From any thread where stops are direct, or once asynchronous
        stops are on (see raw.StopSwitch); before that only the thread itself asks,
        from inside a syscall, where stopping is exact. The caller has set the flag
        saying why (a pending signal, preempt_requested) before."""
        if self.stops_directly():
            raw.stop_from_outside(self.uc)
        elif self.stop_switch is not None:
            self.stop_switch.arm()
        elif threading.get_ident() == self.host_ident:
            raw.emu_stop(self.handle)

    def enable_async_stops(self, fresh=False):
        """Make the thread stoppable from outside: nothing to do where stops are
        direct, else the stop switch."""
        if not self.stops_directly():
            self.install_stop_switch(fresh)

    def install_stop_switch(self, fresh=False):
        """The block hook: on a fresh instance, or at this thread's safe point, where
        translations made without it are dropped."""
        if self.stop_switch is not None:
            return
        self.stop_switch = raw.StopSwitch(self.uc)
        if not fresh:
            self.uc.ctl_flush_tb()

    def drop_stop_switch_unless_needed(self):
        """At the safe point, after the TLB's timed growth: the switch goes unless the
        process needs stops from outside (a second thread, an async signal handler)
        that cannot be direct."""
        if self.stop_switch is not None and not (self.process.async_stops and not self.stops_directly()):
            raw.del_hook(self.uc, self.stop_switch.hook)
            self.stop_switch = None
            self.uc.ctl_flush_tb()  # translations made with the block hook call it

    def exit(self, status, group):
        """End this thread, or with group the whole process, after the current syscall."""
        if group:
            self.process.exit_group(status)  # does not return
        self.process.exit_status = status
        self.exiting = True
        raw.emu_stop(self.handle)

    # ---- the run loop --------------------------------------------------------

    def run(self):
        """Execute guest code until the thread exits (a fatal fault ends the process)."""
        process = self.process
        lock = process.lock
        self.host_ident = threading.get_ident()
        space = self.space
        space.running_on(self.uc)
        gate, self.start_gate = self.start_gate, None
        if gate is not None:
            gate.acquire()  # its parent lets it run first, at the parent's next safe point
        else:
            wakeup_preempt(self)  # a new thread runs soon, as a woken one
            lock.acquire()
        try:
            while True:
                while self.deferred:
                    self.deferred.pop(0)()
                direct = self.stops_directly()
                if self.stop_switch is None and process.async_stops and not direct:
                    self.install_stop_switch()
                self.tlb_growth.flush_if_due(self.uc)
                if space.stale:  # other threads' mprotects, not mirrored in this CPU yet
                    space.catch_up(self.uc)
                if space.code_owner is not self.uc:  # another thread held the lock since
                    space.took_lock(self.uc)
                count = 0  # instructions to run: 0 for no limit, 1 when gdb single-steps
                if self.debug is not None:
                    count = self.debug.safe_point()  # may wait for gdb here
                if self.signals.pending_flag:
                    self.signals.deliver()
                if self.exiting:
                    return
                if self.stop_switch is not None:
                    self.stop_switch.disarm()  # here, after any wait above: a stop asked for
                    # before this point is being honoured now
                process.running = self
                pc = self.arch.resume_address(self.uc)
                if pc == UNTIL:  # the guest jumped there: emu_start would return at once, for ever
                    self.fault = _fault_at_until(self.space, self.pc())
                    err = 0
                elif direct and (self.signals.pending_flag or self.preempt_requested):
                    # asked for since the checks above: a direct stop made before emu_start
                    # clears Unicorn's request would be lost; round the loop instead
                    err = 0
                else:
                    err = self._emu_start(pc, UNTIL, count)
                process.running = None
                if self.exiting:
                    return
                if err == UC_ERR_INSN_INVALID and self.fault is None and \
                        self.arch.passed_hint(self.uc, self.space.read):
                    continue  # a hint Unicorn stops at (ARM's yield): done, the PC is past it
                if self.fault is not None or err:
                    fault = self._fault_from(err)
                    if fault is None:
                        continue  # the access works now (another thread mapped it): run on
                    if self.arch.handle_fault(self, fault):
                        continue  # the kernel's business (x86-64's vsyscall page): done
                    if self.debug is not None and not self.debug.report_fault(fault):
                        continue  # gdb cancelled the signal: the instruction runs again
                    if not self.signals.force_synchronous(fault):
                        process.fatal_fault(fault)  # no handler: one line, death by the signal
                elif count:
                    self.debug.after_run(count, pc)
                if self.yield_to_new:  # its new thread first, then this one (its slice is not up)
                    self.yield_to_new = self.preempt_requested = False
                    lock.yield_to_first()
                    process.running = self
                elif self.preempt_requested:
                    self.preempt_requested = False
                    lock.yield_()
                    process.running = self
        finally:
            self.finish()  # under the lock: it edits guest memory and the CPU list
            lock.release()

    def _emu_start(self, begin, until, count=0):
        """Run guest code (the only way in: see in_guest)."""
        if self.exec_lent is not None:
            self._take_back_exec()
        self.in_guest = True
        try:
            return raw.emu_start(self.handle, begin, until, 0, count)
        finally:
            self.in_guest = False

    def _take_back_exec(self):
        """Unicorn looked up a page the guest may not run, as code, for its own
        bookkeeping (on_tlb_fill granted it): the TLB entry goes before guest code runs,
        unless a flush took it already (mprotect's, catch_up's)."""
        if self.uc.tlb_flushes == self.exec_lent:
            self.uc.ctl_flush_tlb()
        self.exec_lent = None

    def finish(self):
        """Thread teardown: CLONE_CHILD_CLEARTID, robust futexes, bookkeeping."""
        self.process.thread_finished(self)

    def _fault_address(self, err):
        """A memory fault: the PC is its instruction's, the access type comes with the
        error, but the address only through a memory-fault hook: so that instruction
        runs once more, alone, with the hook. Faults are precise (nothing of it was
        done, or a pair's first half, which it redoes alike), so this changes nothing."""
        access = _MEMORY_ERRORS[err]
        pc = self.pc()
        if access in _FETCH_ACCESSES:
            what, code = _ACCESS[access]
            address = pc
            if self._fetchable(pc):  # the instruction starts where it may be fetched: its end crosses a page
                address = (pc | (PAGE - 1)) + 1
            self.fault = GuestFault("SIGSEGV", pc, address, what, code)
            return
        self._rerun_with_fault_hook()

    def _rerun_with_fault_hook(self):
        hook = raw.add_hook(self.uc, UC_HOOK_MEM_INVALID, self._callbacks[1])
        try:
            self._emu_start(self.arch.resume_address(self.uc), UNTIL, 1)
        finally:
            raw.del_hook(self.uc, hook)

    def _probe_fault_address(self, page):
        """The exact address of an access the fill hook refused in `page`, without
        Unicorn's private invalid_addr: the virtual TLB's refusals reach no memory-fault
        hook (unicorn_vtlb.c raises them as they are), so the instruction runs once
        more with a second fill hook, asked only after ours refused, that lets the page
        in but backed by a physical page Unicorn has no memory at. The access then
        reaches the memory-fault hook as an unmapped one at that page plus its offset,
        and stops there as precisely as the refusal did. None where no such physical
        page is free, or the hook saw another one (the caller falls back to the page)."""
        probe = self.arch.TASK_SIZE  # past every guest mapping
        if probe % PAGE or any(begin <= probe + PAGE - 1 and probe <= end for begin, end, _ in self.uc.mem_regions()):
            return None
        untag = self.arch.ADDRESS_MASK

        def on_probe_fill(handle, address, access, entry, user_data):
            if untag is not None:
                address &= untag
            if address != page or access == UC_MEM_FETCH:
                return False
            entry[0], entry[1] = probe, 7
            return True
        callback = raw.TLB_FILL_CALLBACK(on_probe_fill)
        hook = raw.add_hook(self.uc, UC_HOOK_TLB_FILL, callback)
        try:
            self._rerun_with_fault_hook()
        finally:
            raw.del_hook(self.uc, hook)
            self.uc.ctl_flush_tlb()  # the probe's entry must not outlive it
        seen = self.fault.address if self.fault is not None else None
        self.fault = None  # the caller makes the fault, of the refusal's kind
        if seen is None or seen & ~(PAGE - 1) != probe:
            return None
        return page | (seen & (PAGE - 1))

    def _fetchable(self, pc):
        vma = self.space.find(pc)
        return vma is not None and vma.prot & 4

    def _run_to_crossing(self, err):
        """QEMU 5's translator (Unicorn's) raises a fetch fault at its block's start when
        an instruction further on crosses into a page it may not fetch: nothing of the
        block ran. The kernel runs up to that instruction and faults on it. So the block
        runs again to an end address just before the page's end, tried from the last byte
        down: an address inside an instruction faults again at once (nothing runs), the
        crossing instruction's start stops the run there (the run loop goes on from it and
        faults on it). Returns the error to report, 0 when the guest may run on."""
        pc = self.pc()
        if self.fault is not None or self.refused is not None or not self._fetchable(pc):
            return err  # a fault of the block's own first fetch
        start, page_end = self.arch.resume_address(self.uc), (pc | (PAGE - 1)) + 1
        for until in range(page_end - 1, pc, -1):
            again = self._fetch_refusal(self._emu_start(start, until))
            if self.fault is not None or self.refused is not None or again not in _FETCH_ERRORS or self.pc() != pc:
                return 0 if not again and self.fault is None and self.pc() == until else again
        return err

    def _fetch_refusal(self, err):
        """A fetch the fill hook refused (from a page without PROT_EXEC) as the error
        Unicorn reports for one its regions refuse."""
        if self.refused is not None and self.refused[1] == 24 and self.fault is None:
            self.refused = None
            return _FETCH_PROT_ERROR
        return err

    def _fault_from(self, err):
        if self.refused is not None and self.refused[1] == 24 and self.fault is None:
            pc_page = self.pc() & -PAGE
            if self.refused[0] not in (pc_page, pc_page + PAGE):
                # not a fetch of the block at the PC (which may cross into the next page):
                # a look-up of Unicorn's own inside emu_start (dropping what was translated
                # under a removed hook, as the count hook of a counted run) refused before
                # any guest code ran; it is done now, the guest runs on
                self.refused = None
                return None
        err = self._fetch_refusal(err)
        if err in _FETCH_ERRORS:
            err = self._run_to_crossing(err)
            if not err and self.fault is None:
                return None
        if self.fault is None and self.refused is not None:
            page, access = self.refused
            address = raw.fault_address(self.uc, page)
            if address is None:
                # the instruction runs once more to tell the address; the kind of fault is
                # the refusal's (Unicorn calls every refused access unmapped, and with its
                # exit checks on, s390x's an unhandled exception)
                address = self._probe_fault_address(page) if self.virtual_tlb else None
                if address is None:
                    self._rerun_with_fault_hook()
                    address = self.fault.address if self.fault is not None else page
            if address is not None:
                what, code = _ACCESS[access]
                self.fault = GuestFault("SIGSEGV", None, address, what, code)
        self.refused = None
        if err in _MEMORY_ERRORS and not self.virtual_tlb:
            # the CPU's own TLB took the page in before Unicorn checked its rights: the
            # entry would let the next access through
            self.uc.ctl_flush_tlb()
        if self.fault is None and err in _MEMORY_ERRORS:
            self._fault_address(err)
            if self.fault is None:
                return None
        fault = self.fault or GuestFault("SIGSEGV", None, None, raw.strerror(err).decode(), "SEGV_MAPERR")
        self.fault = None
        if fault.address is not None and self.arch.ADDRESS_MASK is not None:
            fault.address &= self.arch.ADDRESS_MASK  # si_addr without the tag, as the kernel's
        if fault.signal == "SIGSEGV" and fault.address is not None:
            verdict = self.space.explain_fault(fault.address)
            if verdict == "retry":
                return None
            if verdict == "SIGBUS":
                fault.signal, fault.code, fault.what = "SIGBUS", "BUS_ADRERR", "access past the end of a mapped file"
        if fault.pc is None:
            fault.pc = self.arch.adjust_fault_pc(self.uc, self.pc())
        fault.cs_mode = self.arch.cs_mode(self.uc)  # how the faulting instruction is decoded (Thumb)
        if err == UC_ERR_INSN_INVALID:  # ebreak on riscv lands here too
            fault.signal = self.arch.undecodable(self._instruction(fault.pc))
            fault.what = "breakpoint" if fault.signal == "SIGTRAP" else "illegal instruction"
            fault.address = fault.pc
        if fault.signal != "SIGBUS" and self.arch.pc_misaligned(self.uc, fault.pc):
            fault.signal, fault.code, fault.what = "SIGBUS", "BUS_ADRALN", "jump to a misaligned address"
            fault.address = fault.pc
        return fault
