"""Cost of one getpid and one 4 KiB pipe round trip under pyqemu and qemu-user.

    python -m benchmarks.syscall_cost [suite options]

Now part of the suite (python -m benchmarks): this is `--only getpid,pipe`.
Each emulator runs the same static guest with 0 and with N operations,
alternately (A B A B ...); the cost of one is the difference of the median
wall times divided by N, so start-up cancels out.
"""
import sys

from .__main__ import main as suite_main


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    return suite_main(["--only", "getpid,pipe"] + argv)


if __name__ == "__main__":
    sys.exit(main())
