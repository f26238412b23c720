"""QEMU's tests/tcg user-mode programs under pyqemu and under qemu-user, side by side.

    ./dev tcg ARCH [--src DIR] [--only PATTERN] [--timeout S] [--json FILE]

Takes a QEMU source tree (--src, or PYQEMU_TCG_SRC, default the newest
~/.cache/pyqemu/tcg/qemu-*), builds the programs its tests/tcg Makefiles build for
ARCH-linux-user (multiarch/ and multiarch/linux/, then the arch's own directory)
with Debian's cross compiler as those Makefiles do (static, -O0 -g -Wall), and
runs each under qemu-ARCH and pyqemu-ARCH with the options the Makefiles give.
QEMU is not part of the repository: get its source outside it, e.g. the Debian
source package of the installed qemu-user (`apt-get source --download-only qemu`,
then `tar -xJf qemu_*.orig.tar.xz --wildcards '*/tests/tcg/*'` there).

A run passes as in the Makefiles: exit status 0 within the timeout (90 s there),
and where the tree has a reference output for ARCH (the float_* and fcvt .ref
files) stdout equal to it; sha1-vector's output must equal sha1's. The programs
that need what a compiler flag gives (SVE, MTE, BTI notes) are built only when
the compiler takes the flag, as config-cc.mak decides. Semihosting and the gdb
scripts are left out (pyqemu has no semihosting; tests/test_gdb.py drives gdb).
Outputs go to ~/.cache/pyqemu/tcg/build-ARCH/{pyqemu,qemu}/NAME.out.
"""
import argparse
import concurrent.futures
import fnmatch
import glob
import os
import shutil
import subprocess
import sys

import sidebyside  # tools/, beside this script

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.expanduser("~/.cache/pyqemu/tcg")
TRIPLES = {"aarch64": "aarch64-linux-gnu", "riscv64": "riscv64-linux-gnu", "arm": "arm-linux-gnueabihf"}
BASE_CFLAGS = ["-Wall", "-Werror", "-O0", "-g", "-fno-strict-aliasing"]

# Per program: extra compile flags, link flags, emulator options (tests/tcg/*/Makefile.target).
MULTIARCH_FLAGS = {
    "float_": ([], ["-lm"]),  # a prefix: float_convs, float_convd, float_madds (+ libs/float_helpers.c)
    "testthread": ([], ["-lpthread"]),
    "threadcount": ([], ["-lpthread"]),
    "signals": ([], ["-lrt", "-lpthread"]),
    "munmap-pthread": (["-pthread"], ["-pthread"]),
    "vma-pthread": (["-pthread"], ["-pthread"]),
}


def arch_programs(arch, tcg, probe):
    """(name, sources, cflags, ldflags, emulator options, stdout reference) for ARCH."""
    progs = []
    multi = os.path.join(tcg, "multiarch")
    for src in sorted(glob.glob(os.path.join(multi, "*.c")) + glob.glob(os.path.join(multi, "linux", "*.c"))):
        name = os.path.basename(src)[:-2]
        cflags, ldflags = next((v for k, v in MULTIARCH_FLAGS.items() if name == k or
                                (k.endswith("_") and name.startswith(k))), ([], []))
        sources = [src] + ([os.path.join(multi, "libs", "float_helpers.c")] if name.startswith("float_") else [])
        if name == "float_madds" and arch == "arm":
            cflags = cflags + ["-mfpu=neon-vfpv4"]
        ref = os.path.join(tcg, arch, name + ".ref")
        progs.append((name, sources, cflags, ldflags, [], ref if os.path.exists(ref) else None))
    own = os.path.join(tcg, arch)
    if arch == "riscv64":
        progs += [("test-div", [os.path.join(own, "test-div.c")], [], [], [], None),
                  ("noexec", [os.path.join(own, "noexec.c")], [], [], [], None)]
    if arch in ("aarch64", "arm"):
        arm_src = os.path.join(tcg, "arm")
        progs.append(("sha1-vector", [os.path.join(multi, "sha1.c")], ["-O3"], [], [], "sha1"))
        progs.append(("sha512-vector", [os.path.join(multi, "sha512.c")], ["-O3"], [], [], None))
    if arch == "aarch64":
        progs.append(("fcvt", [os.path.join(arm_src, "fcvt.c")], [], ["-lm"], [], os.path.join(own, "fcvt.ref")))
        progs.append(("pcalign-a64", [os.path.join(own, "pcalign-a64.c")], [], [], [], None))
        if probe("-march=armv8.3-a"):
            for n in ("pauth-1", "pauth-2", "pauth-4", "pauth-5"):
                progs.append((n, [os.path.join(own, n + ".c")], ["-march=armv8.3-a"], [], ["-cpu", "max"], None))
        if probe("-mbranch-protection=standard"):
            for n in ("bti-1", "bti-3"):
                progs.append((n, [os.path.join(own, n + ".c")], ["-mbranch-protection=standard"], ["-nostdlib"],
                              [], None))
        progs.append(("bti-2", [os.path.join(own, "bti-2.c")], [], [], [], None))
        if probe("-march=armv8.5-a+memtag"):
            for n in range(1, 8):
                progs.append((f"mte-{n}", [os.path.join(own, f"mte-{n}.c")], ["-march=armv8.5-a+memtag"], [], [], None))
        if probe("-march=armv8.1-a+sve"):
            for n in ("sysregs", "sve-ioctls"):
                progs.append((n, [os.path.join(own, n + ".c")], ["-march=armv8.1-a+sve"], [], [], None))
        if probe("-march=armv8.1-a+sve2"):
            progs.append(("test-826", [os.path.join(own, "test-826.c")], ["-march=armv8.1-a+sve2"], [], [], None))
    if arch == "arm":
        progs.append(("hello-arm", [os.path.join(own, "hello-arm.c")], ["-marm", "-ffreestanding"], ["-nostdlib"],
                      [], None))
        progs.append(("test-arm-iwmmxt", [os.path.join(own, "test-arm-iwmmxt.S")],
                      ["-marm", "-march=iwmmxt", "-mabi=aapcs", "-mfpu=fpv4-sp-d16"], [], [], None))
        progs.append(("fcvt", [os.path.join(own, "fcvt.c")], [], ["-lm"], [], os.path.join(own, "fcvt.ref")))
        progs.append(("pcalign-a32", [os.path.join(own, "pcalign-a32.c")], ["-marm"], [], [], None))
        progs.append(("commpage", [os.path.join(own, "commpage.c")], [], [], [], None))
    return progs


def build(arch, tcg, out_dir, only):
    cc = TRIPLES[arch] + "-gcc"
    if shutil.which(cc) is None:
        sys.exit(f"tcg: {cc} is not installed")

    def probe(flag):
        return subprocess.run([cc, flag, "-x", "c", "-c", "-o", os.devnull, "-"], input=b"int x;",
                              capture_output=True).returncode == 0

    built, failed = [], {}
    os.makedirs(out_dir, exist_ok=True)
    for name, sources, cflags, ldflags, opts, ref in arch_programs(arch, tcg, probe):
        if only and not any(fnmatch.fnmatch(name, p) for p in only):
            continue
        exe = os.path.join(out_dir, name)
        newest = max(os.path.getmtime(s) for s in sources)
        if not (os.path.exists(exe) and os.path.getmtime(exe) >= newest):
            flags = [] if "-O3" in cflags else BASE_CFLAGS  # the -vector builds set CFLAGS=-O3 alone
            cmd = [cc] + flags + cflags + [f"-I{os.path.join(tcg, arch)}"] + sources + ["-o", exe, "-static"] + ldflags
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                failed[name] = proc.stderr.strip().splitlines()[-1:] or ["?"]
                continue
        built.append((name, exe, opts, ref))
    return built, failed


def run_one(cmd, timeout):
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        return proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as e:
        return "timeout", e.stdout or b"", e.stderr or b""


def judge(status, stdout, ref, outputs, name):
    if status == "timeout":
        return "timeout"
    if status != 0:
        return f"exit {status}"
    if ref is not None:
        want = outputs.get(ref) if not os.path.isabs(ref) else open(ref, "rb").read()
        if want is not None and stdout != want:
            return "output differs from " + (os.path.basename(ref) if os.path.isabs(ref) else ref + "'s")
    return "pass"


def main(argv=None):
    p = argparse.ArgumentParser(prog="./dev tcg", description=__doc__.split("\n\n")[0])
    p.add_argument("arch", choices=sorted(TRIPLES))
    p.add_argument("--src", help="a QEMU source tree (default: newest ~/.cache/pyqemu/tcg/qemu-*)")
    p.add_argument("--only", help="fnmatch patterns of program names, comma-separated")
    p.add_argument("--timeout", type=float, default=90.0, help="seconds per program and emulator (90, as QEMU's)")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--json", help="write every result to this file")
    args = p.parse_args(argv)
    src = args.src or os.environ.get("PYQEMU_TCG_SRC") or (sorted(glob.glob(os.path.join(CACHE, "qemu-*/")))
                                                             or [None])[-1]
    tcg = os.path.join(src or "", "tests", "tcg")
    if not src or not os.path.isdir(tcg):
        sys.exit(f"tcg: no QEMU source tree with tests/tcg (--src); see `{sys.argv[0]} --help`")
    out_dir = os.path.join(CACHE, f"build-{args.arch}")
    only = args.only.split(",") if args.only else None
    built, build_failed = build(args.arch, tcg, out_dir, only)
    pyqemu = os.path.join(REPO, ".venv", "bin", f"pyqemu-{args.arch}")
    emulators = {"qemu": [f"qemu-{args.arch}"], "pyqemu": [pyqemu]}
    results = {}
    for emu, prefix in emulators.items():
        os.makedirs(os.path.join(out_dir, emu), exist_ok=True)
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            runs = {name: pool.submit(run_one, ["nice"] + prefix + opts + [exe], args.timeout)
                    for name, exe, opts, ref in built}
        outputs = {}
        for name, fut in runs.items():
            status, out, err = fut.result()
            outputs[name] = out if status == 0 else None
            with open(os.path.join(out_dir, emu, name + ".out"), "wb") as f:
                f.write(out + b"\n--- stderr ---\n" + err + f"\n--- status {status} ---\n".encode())
            results.setdefault(name, {})[emu + "_raw"] = (status, out)
        for name, exe, opts, ref in built:
            status, out = results[name].pop(emu + "_raw")
            results[name][emu] = judge(status, out, ref, outputs, name)
    for name, why in build_failed.items():
        results[name] = {"qemu": "not built", "pyqemu": "not built", "why": why}
    return sidebyside.report(results, args.arch, "programs", args.json)


if __name__ == "__main__":
    sys.exit(main())
