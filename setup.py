"""The console scripts, derived from the architectures in usermode/cpu (the rest of
the project's metadata is in pyproject.toml): pyqemu-<arch> for each of them."""
import os
import sys

from setuptools import setup

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "usermode", "cpu"))
import registry  # noqa: E402  (read without importing the package: no Unicorn at build time)

setup(entry_points={"console_scripts": [
    "pyqemu = usermode.cli:main_auto",
    "pyqemu-sysroot = sysroots.tool:main",
    "pyqemu-binfmt = usermode.binfmt:main",
] + [f"pyqemu-{name} = usermode.cli:main_{name}" for name in registry.NAMES]})
