"""A guest thread: its own Unicorn instance (CPU context) on a host thread,
sharing the process's address space."""
from unicorn import UC_HOOK_INSN_INVALID, UC_HOOK_INTR, UC_HOOK_MEM_INVALID, Uc

from .. import raw
from ..syscalls.dispatch import make_syscall_entry
from .lock import Unlocked

UNTIL = 1  # an odd address: never a PC on any supported arch, so emulation runs on

# Unicorn memory-access types (uc_mem_type) as the fault report words them
_ACCESS = {19: "read of unmapped", 20: "write to unmapped", 21: "fetch from unmapped",
           22: "write to protected", 23: "read of protected", 24: "fetch from protected"}


class GuestFault:
    """Why guest execution stopped abnormally: the signal the kernel would send."""

    def __init__(self, signal, pc, address=None, what=""):
        self.signal, self.pc, self.address, self.what = signal, pc, address, what


class GuestThread:
    def __init__(self, process, tid):
        self.process = process
        self.arch = process.arch
        self.abi = process.abi
        self.space = process.space
        self.tid = tid
        self.layouts = process.layouts
        self.clear_child_tid = 0
        self.robust_list = 0
        self.exiting = False
        self.fault = None
        self.uc = Uc(self.arch.UC_ARCH, self.arch.UC_MODE)
        self.uc.ctl_set_cpu_model(process.cpu_model)
        self.arch.prepare(self.uc)
        self.handle = self.uc._uch.value
        self.space.attach(self.uc)
        self.unlocked = lambda: Unlocked(process.lock)
        self._install_hooks()

    def _install_hooks(self):
        arch = self.arch
        batch = raw.RegBatch(self.handle, arch.SYSCALL_REGS)
        writer = raw.RegWriter(self.handle, arch.RETURN_REG)
        on_syscall = make_syscall_entry(self, self.process.syscalls, batch.read, writer.write,
                                        self.process.log if self.process.options.strace else None)
        self._regs = (batch, writer)
        syscall_intno = arch.SYSCALL_INTNO

        def on_interrupt(handle, intno, user_data):
            try:
                if intno == syscall_intno:
                    on_syscall()
                else:
                    signal, what = arch.EXCEPTIONS.get(intno, ("SIGILL", f"cpu exception {intno}"))
                    self._stop_with(GuestFault(signal, self.pc() - arch.FAULT_PC_ADJUST, what=what))
            except BaseException as e:  # never let an exception vanish inside the C callback
                self.process.crash(e)
                raw.emu_stop(handle)

        def on_mem_invalid(handle, access, address, size, value, user_data):
            self.fault = GuestFault("SIGSEGV", None, address, _ACCESS.get(access, f"access type {access}"))
            return False

        def on_insn_invalid(handle, user_data):
            return False  # emu_start then reports UC_ERR_INSN_INVALID

        # keep the ctypes callbacks alive as long as the thread
        self._callbacks = [raw.INTR_CALLBACK(on_interrupt), raw.MEM_INVALID_CALLBACK(on_mem_invalid),
                           raw.INSN_INVALID_CALLBACK(on_insn_invalid)]
        raw.add_hook(self.uc, UC_HOOK_INTR, self._callbacks[0])
        raw.add_hook(self.uc, UC_HOOK_MEM_INVALID, self._callbacks[1])
        raw.add_hook(self.uc, UC_HOOK_INSN_INVALID, self._callbacks[2])

    def pc(self):
        return self.uc.reg_read(self.arch.REG_PC)

    def _stop_with(self, fault):
        self.fault = fault
        raw.emu_stop(self.handle)

    def exit(self, status, group):
        """End this thread (or with group, the whole process) after the current syscall."""
        self.exiting = True
        self.process.exit_status = status
        raw.emu_stop(self.handle)

    def run(self):
        """Execute guest code until the thread exits or faults. Returns the fault, if any."""
        lock = self.process.lock
        lock.acquire()
        try:
            while not self.exiting and not self.process.crashed:
                err = raw.emu_start(self.handle, self.pc(), UNTIL, 0, 0)
                if self.exiting or self.process.crashed:
                    break
                if self.fault is not None or err:
                    return self._fault_from(err)
        finally:
            lock.release()
        return None

    def _fault_from(self, err):
        fault = self.fault or GuestFault("SIGSEGV", None, None, raw.strerror(err).decode())
        self.fault = None
        if fault.pc is None:
            fault.pc = self.pc()
        if err == 10:  # UC_ERR_INSN_INVALID: ebreak on riscv lands here
            try:
                insn = self.space.read(fault.pc, 4)
            except Exception:
                insn = b""
            fault.signal = self.arch.undecodable(insn)
            fault.what = "breakpoint" if fault.signal == "SIGTRAP" else "illegal instruction"
        return fault
