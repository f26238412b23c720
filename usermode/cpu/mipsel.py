"""MIPS o32, little-endian (Debian's mipsel: MIPS32 release 2, FPXX hard-float)."""
from ..abi import Abi
from ..uclib import constants
from . import _mips

M = constants("mips_const")
_UC = constants("unicorn_const")

NAME = "mipsel"
TRIPLE = "mipsel-linux-gnu"
DEBIAN_ARCH = "mipsel"
DEBIAN_ROOTFS = True
ALIASES = ("mipsle",)
GO_ENV = {"GOARCH": "mipsle"}
ABI = Abi("mipsel", 32, "little",
          layouts={"sigaction": "mips", "old_sigaction": "mips", "stack_t": "mips", "siginfo": "mips",
                   "stat": "mips_o32", "stat64": "mips_o32", "statfs": "mips", "statfs64": "mips_o32",
                   "flock": "mips_o32", "termios": "mips", "semid_ds": "mips_o32", "shmid_ds": "mips_o32",
                   **_mips.SIGINFO_LAYOUTS},
          quirks=("time32",))
UNAME_MACHINE = "mips"
INTERPRETERS = ("/lib/ld.so.1",)
# o32 user space is the low 2 GiB (the kernel's TASK_SIZE for 32-bit tasks). Unicorn's
# TLB: _mips.tlb_mode (its virtual TLB with the delay-slot flag mended after fills).
TASK_SIZE = 0x80000000
BASE_PLATFORM = "mips32r2"

UC_ARCH, UC_MODE = _UC.UC_ARCH_MIPS, _UC.UC_MODE_MIPS32 | _UC.UC_MODE_LITTLE_ENDIAN
# qemu-mipsel's default is the 24Kf; the others are cores of the same ISA with DSP
# (34Kf, 74Kf) or release 5 with MSA (P5600)
CPU_MODELS = {"24Kf": M.UC_CPU_MIPS32_24KF, "34Kf": M.UC_CPU_MIPS32_34KF, "74Kf": M.UC_CPU_MIPS32_74KF,
              "P5600": M.UC_CPU_MIPS32_P5600}
DEFAULT_CPU = "24Kf"
_MIPS16 = {M.UC_CPU_MIPS32_24KF, M.UC_CPU_MIPS32_34KF, M.UC_CPU_MIPS32_74KF}  # Config1.CA, as QEMU defines them

CONVENTION = _mips.o32_convention()
globals().update(_mips.common_names(ABI, o32=True))
GDB_ARCHITECTURE = "mips"
GDB_FEATURES = _mips.gdb_features(32, 32)


def hwcaps(uc):
    return _mips.hwcaps_for(uc, uc.ctl_get_cpu_model() in _MIPS16)


def cpuinfo(hwcap, hwcap2, ncpus):
    return _mips.cpuinfo_for("MIPS 24Kf", "mips1 mips2 mips32r1 mips32r2", hwcap, ncpus)
