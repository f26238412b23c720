"""The machine an x86 user process runs on, made from a Unicorn x86 CPU.

Unicorn starts an x86 CPU the way the hardware comes out of reset into
protected (or long) mode: privilege level 0, no descriptor tables, every
segment register empty. A Linux process sees something else: privilege level
3 (so hlt, cli, in/out, mov to a control register raise #GP, which the kernel
turns into SIGSEGV), code and stack segments the kernel's GDT describes
(CS 0x33 and SS 0x2b for a 64-bit process, CS 0x23 and SS/DS/ES 0x2b for a
32-bit one, as the x86-64 kernel this host runs gives them), and three TLS
descriptors per thread that set_thread_area fills and %gs (or %fs) selects.

Each Unicorn instance (each guest thread) gets a private page for that, mapped
only into its own instance, above the guest's address range: its GDT, the
process's LDT (modify_ldt), and a few bytes of boot code. The CPU leaves
privilege level 0 the way a kernel does, by a `sysret` executed there once
(Unicorn's sysret loads CS and SS with DPL 3 from STAR, without reading the
GDT); a new thread's instance copies the CPU state, hence the privilege level,
from its parent's (copy_cpu).

Layouts are the kernel's: arch/x86/include/asm/segment.h (GDT entries of the
64-bit kernel), desc_defs.h (descriptors), uapi/asm/ldt.h (struct user_desc),
kernel/tls.c and kernel/ldt.c (what set_thread_area and modify_ldt accept).
"""
import ctypes
import errno
import struct

from ..errors import GuestError
from ..uclib import constants

X = constants("x86_const")

# GDT entries of the x86-64 kernel, which 32-bit processes on it see too
GDT_ENTRIES = 16
KERNEL32_CS, KERNEL_CS, KERNEL_DS = 1, 2, 3
USER32_CS_ENTRY, USER_DS_ENTRY, USER_CS_ENTRY = 4, 5, 6
TLS_MIN, TLS_ENTRIES = 12, 3          # GDT_ENTRY_TLS_MIN, GDT_ENTRY_TLS_ENTRIES
CPUNODE_ENTRY = 15                    # its limit encodes the CPU and node (lsl)
USER32_CS, USER_DS, USER_CS = 0x23, 0x2B, 0x33
LDT_ENTRIES = 8192

# The private page: GDT, then the boot code, then the LDT (up to 64 KiB)
GDT_AT = 0x0
BOOT_AT = 0x800
LDT_AT = 0x1000
PRIVATE_SIZE = LDT_AT + LDT_ENTRIES * 8

# descriptor access bytes and flags (desc_defs.h): present, DPL, S, type
_CODE, _DATA = 0x9B, 0x93        # DPL 0, accessed
_CODE3, _DATA3 = 0xFB, 0xF3      # DPL 3
_G, _DB, _L = 0x8, 0x4, 0x2

MSR_EFER, MSR_STAR = 0xC0000080, 0xC0000081
EFER_SCE = 1


def descriptor(base, limit, access, flags):
    """An 8-byte segment descriptor as a number."""
    return ((limit & 0xFFFF) | (base & 0xFFFFFF) << 16 | access << 40 | ((limit >> 16) & 0xF) << 48
            | flags << 52 | ((base >> 24) & 0xFF) << 56)


def _initial_gdt():
    entries = [0] * GDT_ENTRIES
    entries[KERNEL32_CS] = descriptor(0, 0xFFFFF, _CODE, _G | _DB)
    entries[KERNEL_CS] = descriptor(0, 0xFFFFF, _CODE, _G | _L)
    entries[KERNEL_DS] = descriptor(0, 0xFFFFF, _DATA, _G | _DB)
    entries[USER32_CS_ENTRY] = descriptor(0, 0xFFFFF, _CODE3, _G | _DB)
    entries[USER_DS_ENTRY] = descriptor(0, 0xFFFFF, _DATA3, _G | _DB)
    entries[USER_CS_ENTRY] = descriptor(0, 0xFFFFF, _CODE3, _G | _L)
    entries[CPUNODE_ENTRY] = descriptor(0, 0, _DATA3 & ~0x2 | 0x1, _DB)  # read-only, limit = cpu 0, node 0
    return struct.pack(f"<{GDT_ENTRIES}Q", *entries)


INITIAL_GDT = _initial_gdt()


def _mmr(base, limit, selector=0, flags=0):
    """uc_x86_mmr {u16 selector; u64 base; u32 limit; u32 flags} as reg_write takes it."""
    return int.from_bytes(struct.pack("<H6xQII", selector, base, limit, flags), "little")


def _msr(rid, value):
    """uc_x86_msr {u32 rid; u64 value}."""
    return int.from_bytes(struct.pack("<I4xQ", rid, value), "little")


class PrivatePage:
    """One Unicorn instance's own memory at a fixed guest address outside the
    guest's range: what only the CPU reads (descriptor tables, boot code)."""

    def __init__(self, uc, address):
        self.address = address
        self._buffer = ctypes.create_string_buffer(PRIVATE_SIZE + 4096)
        self.host = (ctypes.addressof(self._buffer) + 4095) & ~4095
        uc.mem_map_ptr(address, PRIVATE_SIZE, 7, self.host)

    def write(self, offset, data):
        ctypes.memmove(self.host + offset, data, len(data))

    def read(self, offset, length):
        return ctypes.string_at(self.host + offset, length)


def private_page(uc):
    return uc.x86_private


def attach(uc, address):
    """A new instance: its private page with the kernel's GDT, the GDTR pointing there."""
    from .. import regfile
    page = uc.x86_private = PrivatePage(uc, address)
    page.write(GDT_AT, INITIAL_GDT)
    uc.reg_write(X.UC_X86_REG_GDTR, _mmr(address + GDT_AT, GDT_ENTRIES * 8 - 1))
    # where the CPU keeps the exception it believes in flight (x86_traps clears it)
    uc.x86_exceptions = regfile.locate_x86_exception_state(
        uc._uch.value, tuple(X.UC_X86_REG_DR0 + i for i in range(4)))
    return page


def enter_user_mode(uc, long_mode):
    """Privilege level 3 with the kernel's user code and stack segments: a `sysret`
    in the private page (STAR names USER32_CS; a 64-bit sysret adds 16 for CS,
    either adds 8 for SS). The registers it uses are cleared after, as execve
    leaves them; RFLAGS is 0x202 (IF), as the kernel starts a process."""
    page = uc.x86_private
    code = (b"\x48" if long_mode else b"") + b"\x0f\x07"  # sysretq / sysretl
    page.write(BOOT_AT, code)
    landing = page.address + BOOT_AT + 16
    efer = _read_msr(uc, MSR_EFER)
    uc.reg_write(X.UC_X86_REG_MSR, _msr(MSR_EFER, efer | EFER_SCE))
    uc.reg_write(X.UC_X86_REG_MSR, _msr(MSR_STAR, USER32_CS << 48 | (KERNEL_CS * 8) << 32))
    rcx = X.UC_X86_REG_RCX if long_mode else X.UC_X86_REG_ECX
    r11 = X.UC_X86_REG_R11 if long_mode else None
    uc.reg_write(rcx, landing)
    if r11 is not None:
        uc.reg_write(r11, 0x202)
    run_code(uc, page.address + BOOT_AT, landing, X.UC_X86_REG_RIP if long_mode else X.UC_X86_REG_EIP)
    if uc.reg_read(X.UC_X86_REG_CS) & 3 != 3:
        raise RuntimeError("the x86 CPU did not reach privilege level 3")
    uc.reg_write(rcx, 0)
    if r11 is not None:
        uc.reg_write(r11, 0)
    uc.reg_write(X.UC_X86_REG_EFLAGS, 0x202)
    if not long_mode:  # a 32-bit process starts with the user data segment in DS and ES
        uc.reg_write(X.UC_X86_REG_DS, USER_DS)
        uc.reg_write(X.UC_X86_REG_ES, USER_DS)


def run_code(uc, start, end, pc_reg):
    """Run the private page's code from start to end. The TLB warm-up's stop switch
    (threads/tlb.py) may end a run before its first instruction: run again until the
    PC is at the end."""
    for _ in range(100):
        uc.emu_start(start, end, 0, 0)
        if uc.reg_read(pc_reg) == end:
            return
    raise RuntimeError(f"x86 set-up code at {start:#x} did not run")


def _read_msr(uc, rid):
    """An MSR through uc_reg_read (the uc_x86_msr's rid in, value out)."""
    from ..uclib import lib
    buf = (ctypes.c_ubyte * 16).from_buffer_copy(struct.pack("<I4xQ", rid, 0))
    size = ctypes.c_size_t(16)
    err = lib.uc_reg_read2(uc._uch, X.UC_X86_REG_MSR, buf, ctypes.byref(size))
    if err:
        raise RuntimeError(f"reading MSR {rid:#x} failed ({err})")
    return struct.unpack_from("<Q", bytes(buf), 8)[0]


def copy_private(child_uc, parent_uc):
    """clone: the child's descriptor tables start as its parent's (the kernel copies
    the TLS entries; the LDT is the process's)."""
    child_uc.x86_private.write(0, parent_uc.x86_private.read(0, PRIVATE_SIZE))


# ---- struct user_desc: set_thread_area, get_thread_area, modify_ldt --------------------

USER_DESC = struct.Struct("<IIII")  # entry_number, base_addr, limit, flag bits
USER_DESC_SIZE = USER_DESC.size


class UserDesc:
    """struct user_desc: entry_number, base_addr, limit and the flag bit-fields
    seg_32bit:1 contents:2 read_exec_only:1 limit_in_pages:1 seg_not_present:1
    useable:1 lm:1, in that order from bit 0."""

    def __init__(self, entry, base, limit, bits):
        self.entry, self.base, self.limit, self.bits = entry, base, limit, bits
        self.seg_32bit = bits & 1
        self.contents = (bits >> 1) & 3
        self.read_exec_only = (bits >> 3) & 1
        self.limit_in_pages = (bits >> 4) & 1
        self.seg_not_present = (bits >> 5) & 1
        self.useable = (bits >> 6) & 1
        self.lm = (bits >> 7) & 1

    @classmethod
    def read(cls, space, address):
        return cls(*USER_DESC.unpack(space.read(address, USER_DESC_SIZE)))

    def empty(self):
        """LDT_empty: the documented way to say "no segment"."""
        return (self.base == 0 and self.limit == 0 and self.contents == 0 and self.read_exec_only == 1
                and self.seg_32bit == 0 and self.limit_in_pages == 0 and self.seg_not_present == 1
                and self.useable == 0)

    def zero(self):
        """LDT_zero: every field but entry_number zero, the other way programs say it."""
        return self.base == 0 and self.limit == 0 and self.bits == 0

    def tls_okay(self):
        """tls_desc_okay: what the TLS array accepts."""
        if self.empty() or self.zero():
            return True
        return bool(self.seg_32bit) and self.contents <= 1 and not self.seg_not_present

    def descriptor(self):
        """fill_ldt: the descriptor the kernel makes of it (DPL 3, accessed, never 64-bit)."""
        access = 0x10 | 0x60 | ((self.read_exec_only ^ 1) << 1) | (self.contents << 2) | 1
        access |= (self.seg_not_present ^ 1) << 7
        flags = (self.useable) | (self.seg_32bit << 2) | (self.limit_in_pages << 3)
        return descriptor(self.base, self.limit, access, flags)

    @staticmethod
    def pack_from(entry, desc):
        """fill_user_desc: a descriptor back as a struct user_desc (get_thread_area)."""
        base = ((desc >> 16) & 0xFFFFFF) | ((desc >> 56) & 0xFF) << 24
        limit = (desc & 0xFFFF) | ((desc >> 48) & 0xF) << 16
        access, flags = (desc >> 40) & 0xFF, (desc >> 52) & 0xF
        typ = access & 0xF
        bits = ((flags >> 2) & 1) | (typ >> 2) << 1 | (0 if typ & 2 else 1) << 3 | ((flags >> 3) & 1) << 4
        bits |= (0 if access & 0x80 else 1) << 5 | (flags & 1) << 6 | ((flags >> 1) & 1) << 7
        return USER_DESC.pack(entry, base, limit, bits)


def _gdt_entry(uc, index):
    return struct.unpack("<Q", uc.x86_private.read(GDT_AT + index * 8, 8))[0]


def _set_gdt_entry(uc, index, desc):
    uc.x86_private.write(GDT_AT + index * 8, struct.pack("<Q", desc))


_SEGMENTS = (X.UC_X86_REG_DS, X.UC_X86_REG_ES, X.UC_X86_REG_FS, X.UC_X86_REG_GS)


def refresh_segments(uc, selectors):
    """Segment registers holding one of `selectors` load their descriptor again (the
    kernel does so when set_thread_area or modify_ldt changes the one they use)."""
    for reg in _SEGMENTS:
        value = uc.reg_read(reg)
        if value in selectors:
            uc.reg_write(reg, value)


def set_thread_area(uc, space, address, can_allocate=True):
    """do_set_thread_area: install the user_desc at `address` in one of the TLS
    entries; entry -1 picks the first free one and writes its number back."""
    info = UserDesc.read(space, address)
    if not info.tls_okay():
        raise GuestError(errno.EINVAL)
    index = info.entry if info.entry != 0xFFFFFFFF else -1
    if index == -1 and can_allocate:
        free = [i for i in range(TLS_MIN, TLS_MIN + TLS_ENTRIES) if _gdt_entry(uc, i) == 0]
        if not free:
            raise GuestError(errno.ESRCH)
        index = free[0]
        space.write(address, struct.pack("<I", index))
    if not TLS_MIN <= index < TLS_MIN + TLS_ENTRIES:
        raise GuestError(errno.EINVAL)
    _set_gdt_entry(uc, index, 0 if info.empty() or info.zero() else info.descriptor())
    refresh_segments(uc, (index << 3 | 3,))
    return 0


def get_thread_area(uc, space, address):
    (index,) = struct.unpack("<I", space.read(address, 4))
    if not TLS_MIN <= index < TLS_MIN + TLS_ENTRIES:
        raise GuestError(errno.EINVAL)
    space.write(address, UserDesc.pack_from(index, _gdt_entry(uc, index)))
    return 0


# ---- the LDT (modify_ldt): one per process, a copy in each thread's private page ------

class Ldt:
    """The process's LDT: its descriptors, mirrored into every thread's private page."""

    def __init__(self):
        self.entries = []

    def load(self, uc):
        """Point a CPU's LDTR at its copy (the LDT selector is the kernel's, unused by
        programs; Unicorn reads LDTR's base and limit for selectors with bit 2 set)."""
        page = uc.x86_private
        data = struct.pack(f"<{len(self.entries)}Q", *self.entries)
        page.write(LDT_AT, data)
        limit = len(data) - 1 if data else 0
        uc.reg_write(X.UC_X86_REG_LDTR, _mmr(page.address + LDT_AT, limit, 0x50 if data else 0, 0x8200))

    def read(self, space, address, count):
        count = min(count, LDT_ENTRIES * 8)
        data = struct.pack(f"<{len(self.entries)}Q", *self.entries)[:count]
        space.write(address, data.ljust(count, b"\0"))
        return count

    def write(self, space, address, count, oldmode):
        if count != USER_DESC_SIZE:
            raise GuestError(errno.EINVAL)
        info = UserDesc.read(space, address)
        if info.entry >= LDT_ENTRIES:
            raise GuestError(errno.EINVAL)
        if info.contents == 3 and (oldmode or info.seg_not_present == 0):
            raise GuestError(errno.EINVAL)
        if (oldmode and not info.base and not info.limit) or info.empty():
            desc = 0
        else:
            desc = info.descriptor()
            if oldmode:
                desc &= ~(1 << 52)  # avl
        if info.entry >= len(self.entries):
            self.entries += [0] * (info.entry + 1 - len(self.entries))
        self.entries[info.entry] = desc
        return info.entry << 3 | 7  # the selector that now names it


def modify_ldt(thread, func, ptr, count, default_size):
    """modify_ldt(func, ptr, bytecount): 0 reads the LDT, 1 and 0x11 write an entry
    (old and new mode), 2 reads the "default LDT" (zeroes)."""
    process = thread.process
    ldt = process.__dict__.setdefault("x86_ldt", Ldt())
    space = thread.space
    if func == 0:
        return ldt.read(space, ptr, count)
    if func == 2:
        count = min(count, default_size)
        space.write(ptr, bytes(count))
        return count
    if func in (1, 0x11):
        selector = ldt.write(space, ptr, count, func == 1)
        for t in list(process.threads.values()):
            ldt.load(t.uc)
            refresh_segments(t.uc, (selector,))
        if thread.tid not in process.threads:
            ldt.load(thread.uc)
        return 0
    raise GuestError(errno.ENOSYS)


def orig_syscall(uc):
    """gdb's orig_rax/orig_eax: the kernel's record of the syscall a thread is in, -1
    outside one (gdb stops threads between instructions, never inside a call here)."""
    return -1


def gdb_features(bits, gprs, gpr_ids, gpr_types, pc, pc_name, xmm_count):
    """gdb's i386 Linux features, numbered as its i386 and amd64 targets number them:
    the general registers, the PC, eflags, the six segment selectors, the x87 stack
    and its eight control registers, the SSE registers and mxcsr, orig_eax/orig_rax."""
    n = len(gprs)
    int_type = f"int{bits}"
    return [
        ("org.gnu.gdb.i386.core",
         [(name, bits, reg, gpr_types.get(name, int_type), i) for i, (name, reg) in enumerate(zip(gprs, gpr_ids))]
         + [(pc_name, bits, pc, "code_ptr", n), ("eflags", 32, X.UC_X86_REG_EFLAGS, "int32", n + 1)]
         + [(seg, 32, getattr(X, f"UC_X86_REG_{seg.upper()}"), "int32", n + 2 + i)
            for i, seg in enumerate(("cs", "ss", "ds", "es", "fs", "gs"))]
         + [(f"st{i}", 80, X.UC_X86_REG_ST0 + i, "i387_ext", n + 8 + i) for i in range(8)]
         + [(name, 32, reg, "int", n + 16 + i) for i, (name, reg) in enumerate((
             ("fctrl", X.UC_X86_REG_FPCW), ("fstat", X.UC_X86_REG_FPSW), ("ftag", X.UC_X86_REG_FPTAG),
             ("fiseg", X.UC_X86_REG_FCS), ("fioff", X.UC_X86_REG_FIP), ("foseg", X.UC_X86_REG_FDS),
             ("fooff", X.UC_X86_REG_FDP), ("fop", X.UC_X86_REG_FOP)))]),
        ("org.gnu.gdb.i386.sse",
         [(f"xmm{i}", 128, X.UC_X86_REG_XMM0 + i, "vec128", n + 24 + i) for i in range(xmm_count)]
         + [("mxcsr", 32, X.UC_X86_REG_MXCSR, "i386_mxcsr", n + 24 + xmm_count)]),
        ("org.gnu.gdb.i386.linux", [(f"orig_{gprs[0]}", bits, orig_syscall, "int", n + 25 + xmm_count)]),
    ]

