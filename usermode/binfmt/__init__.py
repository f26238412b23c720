"""binfmt_misc support: pyqemu-binfmt (tool.py) registers pyqemu with the kernel
for riscv64 and aarch64 programs, through a launcher (launcher.py) built per
registration; kernel.py and persistent.py speak the kernel's and systemd's formats."""
from .tool import main

__all__ = ["main"]
