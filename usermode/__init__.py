"""pyqemu: run foreign-architecture Linux ELF programs on Unicorn."""

__version__ = "0.1.0"
