"""pyqemu-sysroot: sysroots for the guest architectures, from Debian's packages
(recipes.py says what goes in, tool.py fetches and unpacks it)."""
