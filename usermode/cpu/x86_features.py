"""What the guest's x86 CPU says about itself: CPUID, AT_HWCAP, /proc/cpuinfo.

CPUID decides which glibc string and memory routines a program runs (its
ifuncs read the feature bits: SSE4.2, AVX2, ERMS...), so it must never admit
an instruction Unicorn cannot execute. Measured on Unicorn 2.1.4 (QEMU 5's
TCG, which has no AVX): its models' CPUID has AVX, AVX2, FMA and AVX-512
filtered out already, XCR0 enables x87 and SSE only, and XSAVE needs 576 bytes.
The models offered here are those whose every remaining feature runs, checked
by tests/test_x86.py (each instruction family CPUID admits, executed and
compared with this host's own results); the server models were left out:
Skylake-Server and later enable MPX and PKRU state in XCR0 (a 2696-byte XSAVE
area) that nothing here saves in a signal frame.

Values are read from the CPU itself, by running `cpuid` in the thread's
private page (x86_machine), once per model.
"""
import struct

from ..uclib import constants
from . import x86_machine

X = constants("x86_const")

# -cpu name -> Unicorn model, as qemu-x86_64 names them. Only models with XSAVE: the
# older ones lack it, and Unicorn then leaves SSE off (CR4.OSFXSR is set only for
# XSAVE models), which no x86-64 program survives.
MODELS = {
    "Skylake-Client": X.UC_CPU_X86_SKYLAKE_CLIENT,
    "Broadwell": X.UC_CPU_X86_BROADWELL,
    "Haswell": X.UC_CPU_X86_HASWELL,
    "IvyBridge": X.UC_CPU_X86_IVYBRIDGE,
    "SandyBridge": X.UC_CPU_X86_SANDYBRIDGE,
}

_CPUID_CODE = b"\x0f\xa2"  # cpuid
_CPUID_AT = x86_machine.BOOT_AT + 0x40
_cache = {}  # model -> {(leaf, subleaf): (eax, ebx, ecx, edx)}
_LEAVES = ((0, 0), (1, 0), (7, 0), (0xD, 0), (0xD, 1), (0x80000000, 0), (0x80000001, 0),
           (0x80000002, 0), (0x80000003, 0), (0x80000004, 0), (0x80000008, 0))
_REGS = (X.UC_X86_REG_EAX, X.UC_X86_REG_EBX, X.UC_X86_REG_ECX, X.UC_X86_REG_EDX)
_PC = {8: X.UC_X86_REG_RIP, 4: X.UC_X86_REG_EIP}  # by Unicorn mode (64- or 32-bit)


def cpuid_table(uc):
    """The model's answers to the leaves the kernel and glibc read (run once per model)."""
    model = uc.ctl_get_cpu_model()
    table = _cache.get(model)
    if table is not None:
        return table
    page = uc.x86_private
    page.write(_CPUID_AT, _CPUID_CODE)
    regs = _REGS + (_PC[uc._mode],)
    saved = [uc.reg_read(r) for r in regs]
    table = {}
    try:
        for leaf, sub in _LEAVES:
            uc.reg_write(X.UC_X86_REG_EAX, leaf)
            uc.reg_write(X.UC_X86_REG_ECX, sub)
            x86_machine.run_code(uc, page.address + _CPUID_AT, page.address + _CPUID_AT + 2, regs[-1])
            table[(leaf, sub)] = tuple(uc.reg_read(r) & 0xFFFFFFFF for r in _REGS)
    finally:
        for reg, value in zip(regs, saved):
            uc.reg_write(reg, value)
    _cache[model] = table
    return table


_last = {}  # the table of the process's model, for cpuinfo() (one model per process)

HWCAP2_FSGSBASE = 1 << 1


def hwcaps(uc):
    """AT_HWCAP is CPUID.1:EDX (the kernel's x86_capability[CPUID_1_EDX]); AT_HWCAP2
    has FSGSBASE when the kernel lets user code run rd/wrfsbase (CR4.FSGSBASE is
    set on Unicorn's CPU when the model has it)."""
    table = cpuid_table(uc)
    _last["table"] = table
    hwcap2 = HWCAP2_FSGSBASE if table[(7, 0)][1] & 1 else 0
    return table[(1, 0)][3], hwcap2


def xsave_size(uc):
    """The XSAVE area the enabled features take (CPUID.0xD.0:EBX), 0 without XSAVE."""
    table = cpuid_table(uc)
    return table[(0xD, 0)][1] if table[(1, 0)][2] & (1 << 26) else 0


# /proc/cpuinfo's flag names (arch/x86/include/asm/cpufeatures.h), by CPUID word and bit
_FLAGS = {
    (1, 3): "fpu vme de pse tsc msr pae mce cx8 apic - sep mtrr pge mca cmov pat pse36 pn clflush - dts acpi "
            "mmx fxsr sse sse2 ss ht tm ia64 pbe",
    (0x80000001, 3): "- - - - - - - - - - - syscall - - - - - - - mp nx - mmxext - - fxsr_opt pdpe1gb rdtscp - "
                     "lm 3dnowext 3dnow",
    (1, 2): "pni pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 cid sdbg fma cx16 xtpr pdcm - pcid dca "
            "sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave - avx f16c rdrand hypervisor",
    (0x80000001, 2): "lahf_lm cmp_legacy svm extapic cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw ibs xop "
                     "skinit wdt - lwp fma4 tce - nodeid_msr - tbm topoext perfctr_core perfctr_nb - bpext ptsc "
                     "perfctr_llc mwaitx",
    (7, 1): "fsgsbase tsc_adjust sgx bmi1 hle avx2 fdp_excptn_only smep bmi2 erms invpcid rtm cqm - mpx rdt_a "
            "avx512f avx512dq rdseed adx smap avx512ifma - clflushopt clwb intel_pt avx512pf avx512er "
            "avx512cd sha_ni avx512bw avx512vl",
}


def flags(table):
    names = []
    for (leaf, reg), words in _FLAGS.items():
        value = table[(leaf, 0)][reg]
        for bit, name in enumerate(words.split()):
            if name != "-" and value >> bit & 1:
                names.append(name)
    if table[(0xD, 1)][0] & 1:
        names.append("xsaveopt")
    return names


def _brand(table):
    raw = b"".join(struct.pack("<4I", *table[(leaf, 0)]) for leaf in (0x80000002, 0x80000003, 0x80000004))
    return raw.split(b"\0", 1)[0].decode("ascii", "replace").strip()


def cpuinfo(hwcap, hwcap2, ncpus):
    """/proc/cpuinfo as an x86 kernel words it (arch/x86/kernel/cpu/proc.c), for the
    guest's model: its vendor, family, name and feature flags."""
    table = _last.get("table")
    if table is None:
        return "".join(f"processor\t: {i}\n\n" for i in range(ncpus))
    _max, b, c, d = table[(0, 0)]
    vendor = struct.pack("<III", b, d, c).decode("ascii", "replace")
    eax = table[(1, 0)][0]
    family = (eax >> 8) & 0xF
    model = (eax >> 4) & 0xF
    if family in (6, 15):
        model |= ((eax >> 16) & 0xF) << 4
    if family == 15:
        family += (eax >> 20) & 0xFF
    phys, virt = table[(0x80000008, 0)][0] & 0xFF, (table[(0x80000008, 0)][0] >> 8) & 0xFF
    out = []
    for i in range(ncpus):
        out.append(
            f"processor\t: {i}\nvendor_id\t: {vendor}\ncpu family\t: {family}\nmodel\t\t: {model}\n"
            f"model name\t: {_brand(table)}\nstepping\t: {eax & 0xF}\nmicrocode\t: 0x1\n"
            f"cpu MHz\t\t: 2000.000\ncache size\t: 16384 KB\nphysical id\t: {i}\nsiblings\t: 1\n"
            f"core id\t\t: 0\ncpu cores\t: 1\napicid\t\t: {i}\ninitial apicid\t: {i}\nfpu\t\t: yes\n"
            f"fpu_exception\t: yes\ncpuid level\t: {_max}\nwp\t\t: yes\nflags\t\t: {' '.join(flags(table))}\n"
            f"bugs\t\t:\nbogomips\t: 4000.00\nclflush size\t: 64\ncache_alignment\t: 64\n"
            f"address sizes\t: {phys} bits physical, {virt} bits virtual\npower management:\n\n")
    return "".join(out)


def minsigstksz(user_xstate_size):
    """AT_MINSIGSTKSZ as the x86-64 kernel computes it (signal.c, init_sigframe_size):
    the largest frame (the ia32 sigframe, 732 bytes, with compat support), the frame
    alignment padding, the FPU state with MAGIC2 and the fsave header, and the
    64-byte padding of the xsave area, rounded up to 16. (This host: 3376 with its
    AVX-512 state, the same formula.)"""
    size = 732 + 15 + (user_xstate_size + 4 + 112) + 63
    return (size + 15) & ~15
