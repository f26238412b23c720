"""Cost of one getpid round trip under pyqemu and qemu-user, measured in one run.

    python -m benchmarks.syscall_cost [--calls N] [--runs R] [--arch riscv64,aarch64]

Each emulator runs the same static guest (benchmarks/guest/getpid_loop.c)
with 0 and with N calls, alternately (A B A B ...); the cost of one call is the
difference of the median wall times divided by N, so start-up cancels out.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, ".build")
CROSS = {"riscv64": "riscv64-linux-gnu-gcc", "aarch64": "aarch64-linux-gnu-gcc"}


def build(arch):
    os.makedirs(BUILD, exist_ok=True)
    src = os.path.join(HERE, "guest", "getpid_loop.c")
    out = os.path.join(BUILD, f"getpid_loop-{arch}")
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
        subprocess.run([CROSS[arch], "-O2", "-static", "-o", out, src], check=True)
    return out


def emulators(arch):
    pyqemu = shutil.which(f"pyqemu-{arch}") or sys.exit(f"pyqemu-{arch} not installed: pip install -e .")
    found = {"pyqemu": [pyqemu]}
    qemu = shutil.which(f"qemu-{arch}")
    if qemu:
        found["qemu-user"] = [qemu]
    return found


def wall(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(arch, calls, runs):
    prog = build(arch)
    emus = emulators(arch)
    times = {(name, n): [] for name in emus for n in (0, calls)}
    for name, cmd in emus.items():  # warm-up: page cache, Python bytecode
        wall(cmd + [prog, "1000"])
    for _ in range(runs):
        for n in (0, calls):
            for name, cmd in emus.items():
                times[(name, n)].append(wall(cmd + [prog, str(n)]))
    return {name: (statistics.median(times[(name, calls)]) - statistics.median(times[(name, 0)])) / calls * 1e6
            for name in emus}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=300000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--arch", default="riscv64,aarch64")
    args = ap.parse_args(argv)
    print(f"getpid round trip, {args.calls} calls, median of {args.runs} alternating runs")
    print(f"{'arch':<10}{'pyqemu us':>12}{'qemu-user us':>14}{'ratio':>8}")
    for arch in args.arch.split(","):
        cost = measure(arch, args.calls, args.runs)
        q = cost.get("qemu-user")
        ratio = f"{cost['pyqemu'] / q:8.1f}" if q else "       -"
        print(f"{arch:<10}{cost['pyqemu']:12.2f}{q if q is not None else float('nan'):14.2f}{ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
