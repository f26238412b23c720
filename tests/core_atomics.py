"""Guest atomics on several Unicorn instances at once, sharing memory.

    python tests/core_atomics.py ARCH CODE.bin THREADS ITERATIONS [--stops]

CODE.bin is tests/guest/atomics.c's hammer() as raw machine code (test_core.py
compiles it). THREADS host threads each run it on their own Unicorn instance
(as pyqemu's guest threads have), all mapping one host buffer with
mem_map_ptr, and really at the same time: uc_emu_start releases the GIL.
Prints the shared counters as JSON; with atomic guest atomics each is exact.
Uses whichever libunicorn usermode/uclib.py picks (PYQEMU_CORE).

--stops: another host thread also calls uc_emu_stop on every instance every
50 us, and each resumes where it stopped, as pyqemu's run loop does. The
instances run without the exit check after each load and store, as pyqemu's
do (raw.set_memory_exit_checks), so a stop lands at a block start; with the
check, a stop landing just after a store or an atomic makes it run twice.
"""
import ctypes
import json
import mmap
import sys
import threading
import time

from usermode import cpu, raw
from usermode.uc import UC_HOOK_TLB_FILL, UC_TLB_VIRTUAL, Uc

BASE = 0x100000
SIZE = 0x100000
CODE, DATA, STACKS = BASE, BASE + 0x10000, BASE + 0x20000
END = CODE + 0xF000  # the return address: emu_start stops there, nothing runs it
FIELDS = ("add", "cas", "locked", "lock", "ticket", "max")  # struct shared, lock and pad as one word


def return_address_register(arch):
    return arch.GPR_IDS[1] if arch.NAME == "riscv64" else arch.GPR_IDS[30]  # ra (x1), x30 (lr)


def _fill_any(handle, page, access, entry, user_data):
    entry[0], entry[1] = page, 7  # the one mapping: everything, as the emulator's hook would
    return True


_FILL = raw.TLB_FILL_CALLBACK(_fill_any)


def use_virtual_tlb(uc):
    """Pages through a fill hook, as the emulator's threads (aarch64 at EL0 with the MMU
    off would otherwise see Device memory, where exclusive accesses fault)."""
    uc.ctl_set_tlb_mode(UC_TLB_VIRTUAL)
    raw.add_hook(uc, UC_HOOK_TLB_FILL, _FILL)


def let_wfi_run(uc):
    """Unicorn stops at END by translating a WFI there, which EL0 traps unless SCTLR_EL1.nTWI
    (the emulator leaves it clear, so that a guest's WFI reaches it: its threads never
    stop at an end address)."""
    from unicorn import arm64_const as A
    sctlr = uc.reg_read(A.UC_ARM64_REG_CP_REG, (1, 0, 3, 0, 0))
    uc.reg_write(A.UC_ARM64_REG_CP_REG, (1, 0, 3, 0, 0, sctlr | 1 << 16))


def main(arch_name, code_path, threads, iterations, stops=False):
    arch = cpu.get(arch_name)
    with open(code_path, "rb") as f:
        code = f.read()
    memory = mmap.mmap(-1, SIZE)
    memory[0:len(code)] = code
    host = ctypes.addressof(ctypes.c_char.from_buffer(memory))
    cpus = []
    for i in range(threads):
        uc = Uc(arch.UC_ARCH, arch.UC_MODE)
        uc.ctl_set_cpu_model(arch.CPU_MODELS[arch.DEFAULT_CPU])
        arch.prepare(uc)
        uc.mem_map_ptr(BASE, SIZE, 7, host)
        if arch.tlb_mode(uc) != "cpu":
            use_virtual_tlb(uc)
        if arch.NAME == "aarch64":
            let_wfi_run(uc)
        uc.reg_write(arch.CONVENTION.args[0], DATA)
        uc.reg_write(arch.CONVENTION.args[1], iterations)
        uc.reg_write(arch.REG_SP, STACKS + 0x1000 * (i + 1) - 16)
        uc.reg_write(return_address_register(arch), END)
        if stops and not raw.set_memory_exit_checks(uc, False):
            raise SystemExit("this libunicorn's layout is not the one raw.py knows")
        cpus.append(uc)
    start = threading.Barrier(threads)
    errors = []
    running = set(range(threads))
    restarts = [0]

    def run(index, uc):
        start.wait()
        pc = CODE
        try:
            while pc != END:
                uc.emu_start(pc, END)
                pc = uc.reg_read(arch.REG_PC)
                restarts[0] += 1
        except Exception as e:
            errors.append(f"{type(e).__name__}: {e}")
        running.discard(index)

    def stopper():
        while running:
            for i in list(running):
                raw.emu_stop(cpus[i]._uch.value)
            time.sleep(50e-6)

    workers = [threading.Thread(target=run, args=(i, uc)) for i, uc in enumerate(cpus)]
    if stops:
        workers.append(threading.Thread(target=stopper))
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    values = dict(zip(FIELDS, memoryview(memory)[DATA - BASE:DATA - BASE + 8 * len(FIELDS)].cast("q")))
    print(json.dumps({"expected": threads * iterations, "errors": errors, "runs": restarts[0], **values}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), "--stops" in sys.argv[5:])
