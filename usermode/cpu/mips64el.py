"""MIPS n64, little-endian (Debian's mips64el: MIPS64 release 2, FR=1 hard-float)."""
from ..abi import Abi
from ..uclib import constants
from . import _mips

M = constants("mips_const")
_UC = constants("unicorn_const")

NAME = "mips64el"
TRIPLE = "mips64el-linux-gnuabi64"
DEBIAN_ARCH = "mips64el"
DEBIAN_ROOTFS = True
ALIASES = ("mips64le",)
GO_ENV = {"GOARCH": "mips64le"}
ABI = Abi("mips64el", 64, "little",
          layouts={"sigaction": "mips", "stack_t": "mips", "siginfo": "mips", "stat": "mips_n64",
                   "statfs": "mips", "statfs64": "mips_n64", "termios": "mips", **_mips.SIGINFO_LAYOUTS})
UNAME_MACHINE = "mips64"
INTERPRETERS = ("/lib64/ld.so.1",)
# n64 user space: the kernel's TASK_SIZE64 is 1 TiB; ours is the 16 GiB the CPU's own
# TLB can hold for ll/lld (_mips.XUSEG_MAPPED). Static programs live at 0x120000000:
# Unicorn's CPU TLB mode maps only the low 2 GiB as the guest's own, so this takes its
# virtual TLB, with the delay-slot flag mended after fills (_mips.tlb_mode).
TASK_SIZE = 16 << 30
BASE_PLATFORM = "mips64r2"

UC_ARCH, UC_MODE = _UC.UC_ARCH_MIPS, _UC.UC_MODE_MIPS64 | _UC.UC_MODE_LITTLE_ENDIAN
# qemu-mips64el's default is the 5KEf; Unicorn's own default (R4000, MIPS III) has
# no rdhwr, which every n64 glibc program runs
CPU_MODELS = {"5KEf": M.UC_CPU_MIPS64_5KEF, "MIPS64R2-generic": M.UC_CPU_MIPS64_MIPS64R2_GENERIC,
              "mips64dspr2": M.UC_CPU_MIPS64_MIPS64DSPR2}
DEFAULT_CPU = "5KEf"

CONVENTION = _mips.n64_convention()
globals().update(_mips.common_names(ABI, o32=False))
GDB_ARCHITECTURE = "mips:isa64r2"
GDB_FEATURES = _mips.gdb_features(64, 64)


def hwcaps(uc):
    return _mips.hwcaps_for(uc, False)  # none of these cores has MIPS16e


def cpuinfo(hwcap, hwcap2, ncpus):
    return _mips.cpuinfo_for("MIPS 5KE", "mips1 mips2 mips3 mips4 mips5 mips32r1 mips32r2 mips64r1 mips64r2",
                             hwcap, ncpus)
