"""MIPS o32, big-endian (the routers' MIPS; Debian 12 has no such port: its cross glibc,
gcc-mips-linux-gnu's, is the sysroot). Everything but the byte order is mipsel's."""
from ..abi import Abi
from ..uclib import constants
from . import _mips

_UC = constants("unicorn_const")

NAME = "mips"
TRIPLE = "mips-linux-gnu"
DEBIAN_ARCH = "mips"
DEBIAN_ROOTFS = False  # no Debian 12 port
ALIASES = ("mipseb",)
GO_ENV = {"GOARCH": "mips"}
ABI = Abi("mips", 32, "big",
          layouts={"sigaction": "mips", "old_sigaction": "mips", "stack_t": "mips", "siginfo": "mips",
                   "stat": "mips_o32", "stat64": "mips_o32", "statfs": "mips", "statfs64": "mips_o32",
                   "flock": "mips_o32", "termios": "mips", "msqid_ds": "mips_o32_be", "semid_ds": "mips_o32",
                   "shmid_ds": "mips_o32", **_mips.SIGINFO_LAYOUTS},
          quirks=("time32",))
UNAME_MACHINE = "mips"
INTERPRETERS = ("/lib/ld.so.1",)
# o32 user space is the low 2 GiB (the kernel's TASK_SIZE for 32-bit tasks). Unicorn's
# TLB: _mips.tlb_mode (its virtual TLB with the delay-slot flag mended after fills).
TASK_SIZE = 0x80000000
BASE_PLATFORM = "mips32r2"

UC_ARCH, UC_MODE = _UC.UC_ARCH_MIPS, _UC.UC_MODE_MIPS32 | _UC.UC_MODE_BIG_ENDIAN
CPU_MODELS = _mips.O32_CPU_MODELS
DEFAULT_CPU = "24Kf"

CONVENTION = _mips.o32_convention()
globals().update(_mips.common_names(ABI, o32=True))
GDB_ARCHITECTURE = "mips"
GDB_FEATURES = _mips.gdb_features(32, 32)

hwcaps, cpuinfo = _mips.o32_hwcaps, _mips.o32_cpuinfo
