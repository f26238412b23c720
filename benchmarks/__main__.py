"""pyqemu beside qemu-user: one command, one run, side by side.

    python -m benchmarks [--arch riscv64,aarch64,...] [--runs N] [--only name,...]
                         [--json] [--quick] [--metric wall|cpu] [--rootfs PATH] [--pyqemu CMD]

Builds the guest programs from benchmarks/guest/*.c with the cross compilers
(cached in benchmarks/.build/), then runs every workload alternately under
pyqemu and qemu-user (A B A B ...) after a short warm-up run of each, and
prints the median of each, the pyqemu/qemu-user ratio, the peak memory of each
(the child's ru_maxrss from os.wait4), the geometric mean of the ratios, and
the targets of issue 6 beside each ratio (met / missed).

Kinds of measurement:
  wall      the median wall time of the whole program (compute, real programs);
  per-call  start-up subtracted: the program runs with 0 and with N operations,
            and the cost of one is the difference of the medians divided by N
            (getpid, pipe round trip, stat, 1 MiB read);
  startup   the median wall time of a program that does almost nothing.

The machine is shared and has 2 cores, so timings are noisy: the alternation
and the medians are there for that; --metric cpu takes the medians of the
children's user+system CPU time instead of wall time, and --json gives every
sample of both.

A workload pyqemu cannot run yet (threads before clone lands) is reported as
"needs threads" (or "failed: <its last line of stderr>"), never a crash.
Real programs (aarch64 python3, bash, gzip) run when a Debian arm64 root file
system is given with --rootfs or PYQEMU_BENCH_ROOTFS, or exists where
`./dev sysroot create aarch64 --with python3` puts it.
"""
import argparse
import hashlib
import json
import math
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from usermode import cpu

HERE = os.path.dirname(os.path.abspath(__file__))
GUEST = os.path.join(HERE, "guest")
BUILD = os.path.join(HERE, ".build")
ARCHES = {name: cpu.cross_tools(name) for name in cpu.ARCH_NAMES}
EMUS = ("pyqemu", "qemu-user")
TIMEOUT = 600  # seconds for one run of one program


class Target:
    """One line of the issue's targets: `metric` of this workload compared with `bound`.
    metric: ratio (pyqemu/qemu-user), value (pyqemu's own median, in the workload's
    unit) or rss (pyqemu's peak memory, MB)."""

    def __init__(self, metric, bound, text):
        self.metric, self.bound, self.text = metric, bound, text

    def check(self, result):
        value = {"ratio": result.get("ratio"), "value": result["pyqemu"].get("value"),
                 "rss": result["pyqemu"].get("rss_mb")}[self.metric]
        return None if value is None else value <= self.bound


RATIO_2_5 = [Target("ratio", 2.5, "<=2.5x")]


class Workload:
    def __init__(self, name, group, source, args, quick_args, kind="wall", targets=(), unit=None,
                 needs_threads=False, link="static", note="", facts=()):
        self.name, self.group, self.source = name, group, source
        self.args, self.quick_args = list(args), list(quick_args)
        self.kind = kind
        self.unit = unit or {"wall": "s", "per-call": "us", "startup": "ms"}[kind]
        self.targets = list(targets)
        self.needs_threads = needs_threads
        self.link = link
        self.note = note
        self.facts = tuple(facts)  # the cpu module's TEST_C facts the program is built with (-D)

    # For per-call workloads the first argument is the operation count.
    def count(self, quick):
        return int((self.quick_args if quick else self.args)[0])


# Sizes chosen for 1-3 s under qemu-user on the development machine (the quick
# sizes for about 0.1 s). qsort: the issue says 10 million ints *and* 1-3 s; 10M
# takes 8-10 s under qemu-user 7.2 here, so the default is 3M (pass a count to
# the program by hand for the 10M case).
WORKLOADS = [
    Workload("hash", "compute", "hash.c", ["600000000"], ["20000000"],
             targets=[Target("ratio", 1.1, "<=1.1x")], note="register-bound"),
    Workload("coremark", "compute", "coremark.c", ["600"], ["20"], targets=RATIO_2_5),
    Workload("float", "compute", "float.c", ["600000"], ["20000"]),
    Workload("sha512", "compute", "sha512.c", ["64"], ["2"], targets=RATIO_2_5, note="64 MiB"),
    Workload("qsort", "compute", "qsort.c", ["3000000"], ["100000"], targets=RATIO_2_5, note="3M ints"),
    Workload("random", "compute", "random_access.c", ["100000000"], ["3000000"], targets=RATIO_2_5,
             note="reads over 16 MiB"),
    Workload("getpid", "syscalls", "getpid_loop.c", ["300000"], ["20000"], kind="per-call",
             targets=[Target("value", 2.0, "<=2us"), Target("ratio", 5.0, "<=5x")]),
    Workload("pipe", "syscalls", "pipe_rt.c", ["100000"], ["5000"], kind="per-call",
             targets=[Target("ratio", 4.0, "<=4x")], note="4 KiB write+read"),
    Workload("stat", "syscalls", "stat_loop.c", ["100000"], ["5000"], kind="per-call"),
    Workload("fork", "syscalls", "fork_wait.c", ["1000"], ["50"], kind="per-call",
             note="fork, _exit, waitpid (LTP fcntl14: 5,000)"),
    Workload("tls", "syscalls", "tls_loop.c", ["1000000"], ["50000"], kind="per-call",
             note="a TLS access: m68k's get_thread_area"),
    Workload("read1m", "syscalls", "read_file.c", ["3000", "{data1m}"], ["100", "{data1m}"],
             kind="per-call", note="pread of a cached 1 MiB file"),
    Workload("hello-static", "startup", "hello.c", [], [], kind="startup",
             targets=[Target("value", 80, "<=80ms"), Target("rss", 60, "<=60MB")]),
    Workload("hello-dynamic", "startup", "hello.c", [], [], kind="startup", link="dynamic"),
    Workload("mutex", "threads", "mutex_pingpong.c", ["50000"], ["2000"], needs_threads=True,
             note="4 threads, mutex ring"),
    Workload("thread-churn", "threads", "thread_churn.c", ["1000"], ["50"], needs_threads=True,
             note="create+join beside a busy thread"),
    Workload("thread-start", "threads", "thread_start.c", ["200"], ["20"], kind="per-call", needs_threads=True,
             note="create+join beside 2 busy threads"),
    Workload("threads-compute", "threads", "threads_compute.c", ["150000000"], ["5000000"],
             targets=RATIO_2_5, needs_threads=True, note="4 threads"),
    Workload("vma-churn", "threads", "vma_churn.c", ["10000"], ["300"], needs_threads=True,
             note="2x N mprotects beside 3 threads", facts=("ARCH_CODE_RETURN(w, n)", "ARCH_CALL_CODE(p)")),
]

# Real programs from a Debian arm64 root file system: (name, argv inside the root, the sizes
# {name: (full, quick)}). Both emulators get -L ROOT and the same argv; {root} is the root's
# host path, so "exec" runs the root's own (foreign) /bin/true: under qemu-user that takes
# binfmt_misc, registered for the run (root only; else the workload says so).
REAL = [
    ("python3", ["/usr/bin/python3", "-S", "-c",
                 "import json\nd=[{'k': i, 'v': str(i)*3} for i in range({n})]\n"
                 "s=json.dumps(d)\nprint(len(s), sum(x['k'] for x in json.loads(s)))"],
     {"n": ("200000", "2000")}),
    ("bash", ["/bin/bash", "-c", "i=0; s=0; while [ $i -lt {n} ]; do i=$((i+1)); s=$((s+i%7)); done; echo $s"],
     {"n": ("100000", "2000")}),
    ("gzip", ["/bin/gzip", "-c", "{input}"], {"input": ("{data20m}", "{data2m}")}),
    ("exec", ["/bin/bash", "-c", "i=0; while [ $i -lt {n} ]; do {root}/bin/true; i=$((i+1)); done"],
     {"n": ("1000", "20")}),
]
NEEDS_BINFMT = {"exec"}  # qemu-user runs a foreign program a program execs only through binfmt_misc


DEFAULT_ROOTFS = "~/.cache/pyqemu/rootfs-arm64-bookworm"  # where pyqemu-sysroot creates it


def default_rootfs():
    path = os.path.expanduser(DEFAULT_ROOTFS)
    return path if os.path.isfile(os.path.join(path, "bin", "bash")) else None


def geomean(values):
    values = [v for v in values if v and v > 0]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


# ---- building ----------------------------------------------------------------

def build(arch, source, link="static", facts=()):
    """facts: names of the cpu module's TEST_C facts (the machine code a test writes)
    to define for the program, where the arch has them."""
    cc = ARCHES[arch]["cc"]
    src = os.path.join(GUEST, source)
    test_c = cpu.get(arch).TEST_C
    flags = ["-O2"] + (["-static"] if link == "static" else []) + ["-pthread", "-lm"]
    flags += [f"-D{name.replace(' ', '')}={test_c[name]}" for name in facts if name in test_c]
    with open(src, "rb") as f:
        key = hashlib.sha256(f.read() + repr((arch, flags)).encode()).hexdigest()[:12]
    os.makedirs(BUILD, exist_ok=True)
    out = os.path.join(BUILD, f"{os.path.splitext(source)[0]}-{arch}-{link}-{key}")
    if not os.path.exists(out):
        if shutil.which(cc) is None:
            raise RuntimeError(f"cross compiler {cc} missing (./dev installs it)")
        tmp = f"{out}.{os.getpid()}.tmp"
        res = subprocess.run([cc, "-o", tmp, src] + flags, capture_output=True, text=True)
        if res.returncode:
            raise RuntimeError(f"building {source} for {arch} failed:\n{res.stderr}")
        os.rename(tmp, out)
    return out


def data_file(name, size, compressible):
    """A host file the guests read: made once, then read once so it is in the page cache."""
    os.makedirs(BUILD, exist_ok=True)
    path = os.path.join(BUILD, name)
    if not os.path.exists(path) or os.path.getsize(path) != size:
        import random
        rnd = random.Random(6)
        words = [bytes(rnd.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 9)))
                 for _ in range(5000)]
        chunks, total = [], 0
        while total < size:
            if compressible:
                piece = b" ".join(rnd.choice(words) for _ in range(200)) + b"\n"
            else:
                piece = rnd.randbytes(65536)
            chunks.append(piece)
            total += len(piece)
        with open(path + ".tmp", "wb") as f:
            f.write(b"".join(chunks)[:size])
        os.rename(path + ".tmp", path)
    with open(path, "rb") as f:
        while f.read(1 << 20):
            pass
    return path


# ---- running -----------------------------------------------------------------

# The children run with Python's bytecode cache on, as users have it: with
# PYTHONDONTWRITEBYTECODE set (as in some CI shells) every pyqemu start-up would
# compile its sources again, about 90 ms here.
def child_env():
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(cmd, timeout=TIMEOUT, env=None):
    """Run cmd; return (wall s, user+sys s, peak RSS MB, exit code, last stderr line)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                env=dict(child_env(), **(env or {})))
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, ru = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        lines = err.read().decode(errors="replace").strip().splitlines()
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "user": ru.ru_utime,
            "rss_mb": ru.ru_maxrss / 1024, "code": proc.returncode, "err": lines[-1] if lines else ""}


class Suite:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.runs = args.runs if args.runs is not None else (1 if args.quick else 3)
        self.rootfs = args.rootfs
        self.metric = args.metric

    def emulators(self, arch, sysroot=None):
        pyqemu = (shlex.split(self.args.pyqemu.format(arch=arch)) if self.args.pyqemu
                  else [shutil.which(f"pyqemu-{arch}", path=os.path.dirname(sys.executable) + os.pathsep
                                     + os.environ.get("PATH", "")) or f"pyqemu-{arch}"])
        qemu = [shutil.which(ARCHES[arch]["qemu"]) or ARCHES[arch]["qemu"]]
        if sysroot:
            return {"pyqemu": pyqemu + ["-L", sysroot], "qemu-user": qemu + ["-L", sysroot]}
        return {"pyqemu": pyqemu, "qemu-user": qemu}

    def substitute(self, argv):
        out = []
        for a in argv:
            if "{data1m}" in a:
                a = a.replace("{data1m}", data_file("data-1m", 1 << 20, False))
            if "{data2m}" in a:
                a = a.replace("{data2m}", data_file("data-2m", 2 << 20, True))
            if "{data20m}" in a:
                a = a.replace("{data20m}", data_file("data-20m", 20 << 20, True))
            out.append(a)
        return out

    def measure(self, arch, name, group, kind, commands, unit, count=None, env=None):
        """commands: emu -> argv list (for per-call: emu -> (argv with 0, argv with N)).
        Returns the result dict (without targets)."""
        samples = {e: [] for e in EMUS}
        zero = {e: [] for e in EMUS}
        failed = {}

        def go(emu, cmd, into):
            if emu in failed:
                return
            r = run_once(cmd, env=env)
            if r["code"] != 0:
                failed[emu] = r
            else:
                into.append(r)

        # warm-up: page cache, Python bytecode; with the quick size where there is one
        for emu in EMUS:
            warm = commands[emu][2] if kind == "per-call" else commands[emu][1]
            go(emu, warm, [])
        for _ in range(self.runs):
            for emu in EMUS:  # A B A B ...
                if kind == "per-call":
                    go(emu, commands[emu][0], zero[emu])
                go(emu, commands[emu][0 if kind != "per-call" else 1], samples[emu])
        result = {"arch": arch, "workload": name, "group": group, "kind": kind, "unit": unit,
                  "status": "ok"}
        for emu in EMUS:
            s = samples[emu]
            entry = {"samples_wall": [round(r["wall"], 4) for r in s],
                     "samples_cpu": [round(r["cpu"], 4) for r in s]}
            if emu in failed:
                entry["error"] = failed[emu]["err"] or f"exit status {failed[emu]['code']}"
                entry["exit_status"] = failed[emu]["code"]
            elif s:
                key = self.metric
                med = statistics.median(r[key] for r in s)
                entry["wall_s"] = round(med, 4)
                entry["cpu_s"] = round(statistics.median(r["cpu"] for r in s), 4)
                entry["rss_mb"] = round(max(r["rss_mb"] for r in s), 1)
                if kind == "per-call":
                    med0 = statistics.median(r[key] for r in zero[emu])
                    entry["startup_s"] = round(med0, 4)
                    entry["value"] = round(max(med - med0, 0.0) / count * 1e6, 3)
                elif kind == "startup":
                    entry["value"] = round(med * 1e3, 2)
                else:
                    entry["value"] = round(med, 4)
            result[emu] = entry
        p, q = result["pyqemu"].get("value"), result["qemu-user"].get("value")
        result["ratio"] = round(p / q, 3) if p is not None and q else None
        if "error" in result["pyqemu"]:
            result["status"] = "failed"
        elif "error" in result["qemu-user"]:
            result["status"] = "qemu-user failed"
        return result

    def run_workload(self, arch, w):
        try:
            prog = build(arch, w.source, w.link, w.facts)
        except RuntimeError as e:
            return {"arch": arch, "workload": w.name, "group": w.group, "kind": w.kind, "unit": w.unit,
                    "status": "build failed", "detail": str(e).splitlines()[0], "ratio": None,
                    "pyqemu": {}, "qemu-user": {}}
        emus = self.emulators(arch, ARCHES[arch]["sysroot"] if w.link == "dynamic" else None)
        args = self.substitute(w.quick_args if self.quick else w.args)
        quick_args = self.substitute(w.quick_args)
        commands = {}
        for emu, pre in emus.items():
            if w.kind == "per-call":
                commands[emu] = (pre + [prog, "0"] + args[1:], pre + [prog] + args, pre + [prog] + quick_args)
            else:
                commands[emu] = (pre + [prog] + args, pre + [prog] + quick_args)
        result = self.measure(arch, w.name, w.group, w.kind, commands, w.unit,
                              w.count(self.quick) if w.kind == "per-call" else None)
        if result["status"] == "failed" and w.needs_threads:
            result["status"] = "needs threads"
        result["note"] = w.note
        result["targets"] = [{"target": t.text, "met": t.check(result) if result["status"] == "ok" else None}
                             for t in w.targets]
        return result

    def run_real(self, arch, name, argv, params):
        root = self.rootfs
        subst = {k: v[1 if self.quick else 0] for k, v in params.items()}
        quick = {k: v[1] for k, v in params.items()}

        def fill(values):
            out = []
            for i, a in enumerate(argv):
                for k, v in dict(values, root=root).items():
                    a = a.replace("{" + k + "}", v)
                a = self.substitute([a])[0]
                out.append(os.path.join(root, a.lstrip("/")) if i == 0 else a)
            return out
        emus = self.emulators(arch, root)
        commands = {emu: (pre + fill(subst), pre + fill(quick)) for emu, pre in emus.items()}
        with (qemu_binfmt(arch) if name in NEEDS_BINFMT else _nothing()) as registered:
            if registered is False:
                return {"arch": arch, "workload": name, "group": "real", "kind": "wall", "unit": "s",
                        "status": "needs binfmt_misc", "detail": registered_why(arch), "ratio": None,
                        "pyqemu": {}, "qemu-user": {}, "targets": []}
            # qemu-user's children find their interpreter in the root (pyqemu's use -L)
            result = self.measure(arch, name, "real", "wall", commands, "s", env={"QEMU_LD_PREFIX": root})
        result["targets"] = []
        result["note"] = "rootfs " + root
        return result

    def all(self, progress):
        wanted = set(self.args.only.split(",")) if self.args.only else None
        results = []
        for arch in self.args.arch.split(","):
            for w in WORKLOADS:
                if wanted is None or w.name in wanted or w.group in wanted:
                    progress(f"{arch} {w.name}")
                    results.append(self.run_workload(arch, w))
            if self.rootfs and arch == "aarch64":
                for name, argv, params in REAL:
                    if wanted is None or name in wanted or "real" in wanted:
                        progress(f"{arch} {name}")
                        results.append(self.run_real(arch, name, argv, params))
        return results


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


BINFMT = "/proc/sys/fs/binfmt_misc"


def registered_why(arch):
    if os.geteuid() != 0:
        return "qemu-user needs binfmt_misc to run the programs it execs: run as root"
    return f"could not register {ARCHES[arch]['qemu']} with binfmt_misc at {BINFMT}"


class qemu_binfmt:
    """qemu-user registered with binfmt_misc for arch's ELF files while the block runs
    (a name of our own, removed after); the value is False when that is not possible."""

    def __init__(self, arch):
        self.arch = arch
        self.name = f"pyqemu-bench-{arch}-{os.getpid()}"
        self.done = False

    def __enter__(self):
        from usermode.binfmt import kernel
        qemu = shutil.which(ARCHES[self.arch]["qemu"])
        if os.geteuid() != 0 or qemu is None:
            return False
        if not os.path.exists(os.path.join(BINFMT, "register")):
            subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", BINFMT], capture_output=True)
        magic, mask = kernel.elf_magic_and_mask(cpu.get(self.arch))
        try:
            with open(os.path.join(BINFMT, "register"), "w") as f:
                f.write(kernel.register_line(self.name, magic, mask, os.path.realpath(qemu), ""))
        except OSError:
            return False
        self.done = True
        return True

    def __exit__(self, *exc):
        if self.done:
            try:
                with open(os.path.join(BINFMT, self.name), "w") as f:
                    f.write("-1")
            except OSError:
                pass
        return False


# ---- reporting ---------------------------------------------------------------

def summary(results):
    ok = [r for r in results if r["status"] == "ok" and r.get("ratio")]
    out = {"geomean_ratio": geomean([r["ratio"] for r in ok])}
    for arch in sorted({r["arch"] for r in ok}):
        out[f"geomean_ratio_{arch}"] = geomean([r["ratio"] for r in ok if r["arch"] == arch])
    real = [r["ratio"] for r in ok if r["group"] == "real"]
    if real:
        g = geomean(real)
        out["geomean_ratio_real"] = g
        out["target_real"] = {"target": "<=1.5x", "met": g <= 1.5}
    return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in out.items()}


def fmt_value(v, unit):
    if v is None:
        return "-"
    if unit == "s":
        return f"{v:.3f} s"
    if unit == "us":
        return f"{v:.2f} us"
    return f"{v:.1f} ms"


def table(results, summ, runs, quick, metric="wall"):
    lines = [f"pyqemu vs qemu-user: median {metric} time of {runs} alternating run(s) after a warm-up"
             + (" (--quick sizes)" if quick else "")
             + "; per-call = start-up subtracted cost of one operation; MB = peak RSS"]
    head = f"{'arch':<8} {'workload':<16}{'pyqemu':>11}{'qemu-user':>12}{'ratio':>8}  {'target':<22}{'py MB':>7}{'qemu MB':>8}  note"
    lines += [head, "-" * len(head)]
    for r in results:
        p, q = r.get("pyqemu", {}), r.get("qemu-user", {})
        if r["status"] != "ok":
            why = r["status"]
            if r["status"] == "failed":
                why += ": " + p.get("error", "")[:60]
            elif r["status"] == "qemu-user failed":
                why += ": " + q.get("error", "")[:60]
            elif "detail" in r:
                why += ": " + r["detail"][:60]
            lines.append(f"{r['arch']:<8} {r['workload']:<16}{'':>11}{'':>12}{'':>8}  {why}")
            continue
        tg = " ".join(f"{t['target']} {'met' if t['met'] else 'MISSED'}" for t in r.get("targets", []))
        ratio = f"{r['ratio']:.2f}" if r.get("ratio") else "-"
        lines.append(f"{r['arch']:<8} {r['workload']:<16}{fmt_value(p.get('value'), r['unit']):>11}"
                     f"{fmt_value(q.get('value'), r['unit']):>12}{ratio:>8}  {tg:<22}"
                     f"{p.get('rss_mb', 0):>7.0f}{q.get('rss_mb', 0):>8.0f}  {r.get('note', '')}")
    lines.append("")
    for k, v in summ.items():
        if k.startswith("geomean") and v is not None:
            lines.append(f"{k.replace('_', ' ')}: {v:.2f}"
                         + (f"  (target {summ['target_real']['target']} "
                            f"{'met' if summ['target_real']['met'] else 'MISSED'})" if k == "geomean_ratio_real" else ""))
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    ap.add_argument("--arch", default=",".join(ARCHES), help=f"comma separated (default {','.join(ARCHES)})")
    ap.add_argument("--runs", type=int, default=None, help="measured runs of each emulator (default 3, quick 1)")
    ap.add_argument("--only", default="", help="workload or group names, comma separated: "
                    + ",".join(w.name for w in WORKLOADS) + "," + ",".join(n for n, _, _ in REAL)
                    + "; groups compute,syscalls,startup,threads,real")
    ap.add_argument("--metric", choices=("wall", "cpu"), default="wall",
                    help="what the medians are of: wall time (default, what the issue's targets mean) or "
                    "the child's user+system CPU time (steadier on a shared machine; meaningless for "
                    "qemu-user's parallel threads)")
    ap.add_argument("--json", action="store_true", help="print JSON instead of the table")
    ap.add_argument("--quick", action="store_true", help="small sizes, one run: a smoke test, not a measurement")
    ap.add_argument("--rootfs", default=os.environ.get("PYQEMU_BENCH_ROOTFS") or default_rootfs(),
                    help="Debian arm64 root file system for the real programs (env PYQEMU_BENCH_ROOTFS; "
                    f"default {DEFAULT_ROOTFS} when it exists: ./dev sysroot create aarch64 --with python3)")
    ap.add_argument("--pyqemu", default=os.environ.get("PYQEMU_BENCH_CMD"),
                    help="command to run instead of pyqemu-ARCH ({arch} is replaced; env PYQEMU_BENCH_CMD)")
    args = ap.parse_args(argv)
    for arch in args.arch.split(","):
        if arch not in ARCHES:
            ap.error(f"unknown arch {arch!r} ({', '.join(ARCHES)})")
    known = {w.name for w in WORKLOADS} | {w.group for w in WORKLOADS} | {n for n, _, _ in REAL} | {"real"}
    for name in filter(None, args.only.split(",")):
        if name not in known:
            ap.error(f"unknown workload {name!r}")
    if args.rootfs and not os.path.isdir(args.rootfs):
        ap.error(f"--rootfs {args.rootfs}: not a directory")

    suite = Suite(args)

    def progress(text):
        if sys.stderr.isatty() or not args.json:
            sys.stderr.write(f"  running {text} ...\n")
            sys.stderr.flush()
    results = suite.all(progress)
    summ = summary(results)
    if args.json:
        json.dump({"runs": suite.runs, "quick": args.quick, "metric": args.metric, "rootfs": args.rootfs,
                   "host": {"machine": platform.machine(), "cpus": os.cpu_count(),
                            "python": platform.python_version()},
                   "results": results, "summary": summ}, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print(table(results, summ, suite.runs, args.quick, args.metric))
        if not args.rootfs:
            print("real programs: skipped (no --rootfs / PYQEMU_BENCH_ROOTFS)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
