"""The guest CPU's integer registers, read and written where Unicorn keeps them.

Every syscall reads its number and arguments and writes its result. Through
uc_reg_read_batch and uc_reg_write that is two ctypes calls, about 1 us; an
index into the CPU state's own register array costs about 50 ns. Unicorn has
no call that gives the array's address, so it is found, then checked:

- Why the array is the register state (Unicorn 2.1.4, pinned in pyproject):
  uc_reg_read/uc_reg_write of an integer register is nothing but a load or a
  store of env->gpr[i] (riscv, qemu/target/riscv/unicorn.c) or env->xregs[i]
  (aarch64, qemu/target/arm/unicorn_aarch64.c), with no side effect (only a
  write of the PC has one). The INTR hook runs in cpu_handle_exception
  (qemu/accel/tcg/cpu-exec.c), outside translated code, after TCG stored its
  register globals back to env; translated code loads them again when the
  guest resumes. So inside the hook, the array is what the API would read,
  and a store there is what uc_reg_write would have done.
- How it is found: uc_reg_write puts random markers into registers 1..8; the
  array is where memory holds them in a row. The search only looks a little
  way past the pointers stored at the start of the uc_struct (one of them is
  uc->cpu, the object env is part of), and only inside readable and writable
  anonymous mappings listed in /proc/self/maps, so it never reads an address
  that could fault. Once an instance has shown where the array lies, the next
  ones (threads, programs an execve in place runs) are looked at there first,
  each read asked of the kernel beforehand (process_vm_readv from ourselves
  fails with EFAULT where a load would fault): reading /proc/self/maps cost
  about 1 ms per thread.
- How it is checked: every register is written through Unicorn and read in
  place, then written in place and read through Unicorn, with fresh random
  values; any disagreement and locate() returns None, and callers use the
  batched API calls instead.
"""
import bisect
import ctypes
import os
import struct

from . import raw

_MARKERS = 8  # registers 1..8: never the riscv x0, which reads as zero in guest code
_UC_STRUCT_WORDS = 512  # the uc_struct is far longer
_CPU_WORD = 55  # uc->cpu's place in the uc_struct of 2.1.4 (x86-64): searched first
_WINDOW = 128 << 10  # env lies 36 KiB (riscv64) and 41 KiB (aarch64) into the CPU object in 2.1.4

# Where the array was found last time, as (word index in the uc_struct, distance from
# that pointer): every instance of one build has the same layout, so a process's next
# thread checks there first.
_last_hit = {}

_libc = ctypes.CDLL(None)
_memmem = _libc.memmem
_memmem.restype = ctypes.c_void_p
_memmem.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]


def _anonymous_rw_ranges():
    """Sorted (start, end) of the mappings that can be read without side effects."""
    starts, ends = [], []
    with open("/proc/self/maps", "rb") as f:
        for line in f:
            fields = line.split()
            if not fields[1].startswith(b"rw"):
                continue
            if len(fields) > 5 and not fields[5] in (b"[heap]", b"[stack]"):
                continue  # a file: reading past its end would fault
            lo, hi = fields[0].split(b"-")
            starts.append(int(lo, 16))
            ends.append(int(hi, 16))
    return starts, ends


def _range_end(ranges, address):
    """End of the readable range holding address, or 0."""
    starts, ends = ranges
    i = bisect.bisect_right(starts, address) - 1
    return ends[i] if i >= 0 and address < ends[i] else 0


def _search(handle, needle, ranges, kind):
    """Address where needle lies in a window after a pointer of the uc_struct, or None."""
    end = _range_end(ranges, handle)
    count = min(_UC_STRUCT_WORDS, (end - handle) // 8)
    if count <= 0:
        return None
    words = struct.unpack_from(f"<{count}Q", ctypes.string_at(handle, count * 8))
    hint = _last_hit.get(kind)
    if hint is not None and hint[0] < count:
        found = words[hint[0]] + hint[1]
        if _range_end(ranges, found) >= found + len(needle) and ctypes.string_at(found, len(needle)) == needle:
            return found
    order = [_CPU_WORD] + [i for i in range(count) if i != _CPU_WORD] if _CPU_WORD < count else range(count)
    for index in order:
        pointer = words[index]
        end = _range_end(ranges, pointer)
        if not end:
            continue
        size = min(end - pointer, _WINDOW)
        found = _memmem(pointer, size, needle, len(needle))
        if found:
            _last_hit[kind] = (index, found - pointer)
            return found
    return None


class _Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


_process_vm_readv = _libc.process_vm_readv
_process_vm_readv.restype = ctypes.c_ssize_t
_process_vm_readv.argtypes = [ctypes.c_int, ctypes.POINTER(_Iovec), ctypes.c_ulong, ctypes.POINTER(_Iovec),
                              ctypes.c_ulong, ctypes.c_ulong]


def _readable(address, length):
    """Whether the kernel can copy [address, address+length) of our own memory
    (False where a load would fault, and where the call itself is refused)."""
    if not 0 < address < 1 << 63 or length <= 0:
        return False
    scratch = ctypes.create_string_buffer(length)
    local, remote = _Iovec(ctypes.addressof(scratch), length), _Iovec(address, length)
    return _process_vm_readv(os.getpid(), ctypes.byref(local), 1, ctypes.byref(remote), 1, 0) == length


def _search_at_last_hit(handle, needle, kind):
    """Where needle lies at the place the last instance had it, or None."""
    hint = _last_hit.get(kind)
    if hint is None or not _readable(handle, (hint[0] + 1) * 8):
        return None
    pointer = ctypes.c_uint64.from_address(handle + 8 * hint[0]).value
    found = pointer + hint[1]
    if _readable(found, len(needle)) and ctypes.string_at(found, len(needle)) == needle:
        return found
    return None


def _random_words(count, code, bits=None):
    size = struct.calcsize(code)
    mask = (1 << bits) - 1 if bits else -1
    return [(v | 1) & mask for v in struct.unpack(f"<{count}{code}", os.urandom(size * count))]


# PYQEMU_NO_UNSAFE=regfile forces the fallback (callers then use the batched API): raw.py
DISABLED = "regfile" in raw.DISABLED


def locate(handle, reg_ids, slot_bytes=8, value_bits=None):
    """A memoryview of words over the registers reg_ids (Unicorn ids, in the
    order the CPU state keeps them; `slot_bytes` wide each: 8, or 4 where the
    CPU state holds 32-bit registers), or None if they cannot be found and
    verified. The registers keep their values. `value_bits` is what the API
    reads and writes of a register when less than its slot (i386's 32-bit
    registers in Unicorn's 64-bit slots): the check uses values that fit."""
    if DISABLED:
        return None
    code = {8: "Q", 4: "I"}[slot_bytes]
    ctype = ctypes.c_uint64 if slot_bytes == 8 else ctypes.c_uint32
    n = len(reg_ids)
    saved = [raw.reg_read(handle, r) for r in reg_ids]
    try:
        count = min(_MARKERS, len(reg_ids) - 1)  # i386 has 8 registers: 7 after the first
        markers = _random_words(count, code, value_bits)
        for reg, value in zip(reg_ids[1:1 + count], markers):
            raw.reg_write(handle, reg, value)
        needle = struct.pack(f"<{count}{code}", *markers)
        found = _search_at_last_hit(handle, needle, tuple(reg_ids)) or \
            _search(handle, needle, _anonymous_rw_ranges(), tuple(reg_ids))
        if found is None:
            return None
        view = memoryview((ctype * n).from_address(found - slot_bytes)).cast("B").cast(code)
        through_api = _random_words(n, code, value_bits)
        for reg, value in zip(reg_ids, through_api):
            raw.reg_write(handle, reg, value)
        if list(view) != through_api:
            return None
        in_place = _random_words(n, code, value_bits)
        view[:] = memoryview(struct.pack(f"<{n}{code}", *in_place)).cast(code)
        if [raw.reg_read(handle, r) & ((1 << 8 * slot_bytes) - 1) for r in reg_ids] != in_place:
            return None
        return view
    finally:
        for reg, value in zip(reg_ids, saved):
            raw.reg_write(handle, reg, value)


def state_word(handle, reg_ids, slot_bytes, offset, api_read, api_value):
    """A c_uint64 over the CPU state's word `offset` bytes past the integer register
    array, for a field Unicorn reads (api_read()) but cannot write (riscv's misa), or
    None. Checked: the word holds api_value, the value the API reads now; the caller
    checks again through the API after writing it."""
    if DISABLED:
        return None
    view = locate(handle, reg_ids, slot_bytes)
    if view is None:
        return None
    base = ctypes.addressof(ctypes.c_char.from_buffer(view.cast("B")))
    word = ctypes.c_uint64.from_address(base + offset)
    if word.value != api_value or api_read() != api_value:
        return None
    return word


def beside(view, offset, size):
    """`size` bytes of the CPU state at `offset` from the start of a register array
    locate() found: fields Unicorn's API does not expose (m68k's FPU registers). Only
    the array itself was verified here: the caller checks those fields (m68k_fpu.py
    runs instructions on them) and falls back without them."""
    if view is None or DISABLED:
        return None
    return (ctypes.c_ubyte * size).from_address(ctypes.addressof(view.obj) + offset)
# ---- x86: the exception the CPU believes is still in flight ----------------------------
# Unicorn never delivers an x86 exception (its INTR hook replaces the delivery), so
# CPUX86State.old_exception, which QEMU clears once an exception has been delivered
# (seg_helper.c, x86_cpu_do_interrupt), keeps the last fault's vector: the next #GP or
# #DE then becomes a double fault (vector 8, error code 0), and a third fault a triple
# fault that resets the CPU (excp_helper.c, check_exception). Two hlt in a row showed it.
# In the CPU state (target/i386/cpu.h, Unicorn 2.1.4) the field follows the debug
# registers: dr[8] (target_ulong), four breakpoint pointers, then int old_exception;
# int error_code (a #GP's code) is 16 bytes before dr[0]. dr[0..3] are plain fields the
# API reads and writes: markers there locate the array, as for the integer registers.

_DR_TO_OLD_EXCEPTION = 8 * 8 + 4 * 8
_DR_TO_ERROR_CODE = -16


class X86ExceptionState:
    """error_code() of the last exception, and clear() to mark it delivered."""

    def __init__(self, dr0):
        self._old = ctypes.c_int.from_address(dr0 + _DR_TO_OLD_EXCEPTION)
        self._error = ctypes.c_int.from_address(dr0 + _DR_TO_ERROR_CODE)

    def error_code(self):
        return self._error.value

    def in_flight(self):
        return self._old.value

    def clear(self):
        self._old.value = -1


def locate_x86_exception_state(handle, dr_ids):
    """The exception fields of an x86 CPU (dr_ids: Unicorn's DR0..DR3), or None if
    they cannot be found and checked (a fresh CPU has old_exception -1)."""
    if DISABLED:
        return None
    saved = [raw.reg_read(handle, r) for r in dr_ids]
    try:
        markers = [v & 0x7FFFFFFF | 1 for v in _random_words(len(dr_ids), "I")]
        for reg, value in zip(dr_ids, markers):
            raw.reg_write(handle, reg, value)
        found = _search(handle, struct.pack(f"<{len(markers)}Q", *markers), _anonymous_rw_ranges(), "x86-dr")
        if found is None or ctypes.c_int.from_address(found + _DR_TO_OLD_EXCEPTION).value != -1:
            return None
        return X86ExceptionState(found)
    finally:
        for reg, value in zip(dr_ids, saved):
            raw.reg_write(handle, reg, value)


# ---- one word of CPU state that a register write changes in known bits ----------------
# MIPS keeps its branch-delay state in env->hflags, which no API reads or writes, and
# Unicorn's virtual TLB leaves it wrong (cpu/_mips.py says why). The word is found
# the way the register array is: writes through the API (CP0 Status, whose FR and
# CU1 bits compute_hflags copies into hflags as F64 0x40 and FPU 0x20) must flip
# exactly the expected bits of exactly one word in a window after the array.

def locate_flag_word(array_address, window, toggles):
    """A one-word (uint32) memoryview at the single address in
    [array_address, array_address + window) where each toggle (apply, undo, xor)
    flips exactly `xor` and the other words stay; None if not exactly one."""
    if DISABLED:
        return None
    end = _range_end(_anonymous_rw_ranges(), array_address)
    window = min(window, end - array_address) // 4 * 4
    if window <= 0:
        return None
    count = window // 4
    candidates = None
    for apply, undo, xor in toggles:
        before = struct.unpack(f"<{count}I", ctypes.string_at(array_address, window))
        apply()
        try:
            after = struct.unpack(f"<{count}I", ctypes.string_at(array_address, window))
        finally:
            undo()
        hits = {i for i in range(count) if before[i] ^ after[i] == xor}
        candidates = hits if candidates is None else candidates & hits
    if candidates is None or len(candidates) != 1:
        return None
    return memoryview((ctypes.c_uint32 * 1).from_address(array_address + 4 * candidates.pop())).cast("B").cast("I")


def array_address(view):
    """The address of a view locate() returned."""
    return ctypes.addressof(view.obj)
