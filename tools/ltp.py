"""LTP's syscalls tests under pyqemu and under qemu-user, side by side.

    ./dev ltp ARCH [--only PATTERN] [--timeout S] [--jobs N] [--rerun-qemu] [--build DIR]

Takes an LTP tree built for ARCH (statically, with Debian's cross compiler) from
~/.cache/pyqemu/ltp/ARCH (or --build / PYQEMU_LTP_BUILD), runs every entry of its
runtest/syscalls whose program was built under both emulators, and lists the
tests qemu-user passes and pyqemu does not, then the counts. LTP is not part of
the repository: the tree is built outside it (see the message when it is missing).

pyqemu runs from a virtualenv of the system's python3 that `nobody` can read
(/var/tmp/pyqemu-ltp/venv-*, made on first use, with the checkout on its path).

Each test runs as `nobody` in its own pid, mount, IPC and UTS namespaces: many
syscalls tests do privileged things when they are root (set the clock, the
host name, swap, reboot flags, kill(-1, ...)) and this machine is shared. So a
test that needs root is TCONF under both. qemu-user's results are kept in
<build>/results-qemu.json and reused until the build changes (--rerun-qemu).

A test's outcome is its exit status as LTP defines it: 0 passed, 32 TCONF
(not applicable), anything else failed; 'timeout' when it outlived --timeout.
Every run's output is in /var/tmp/pyqemu-ltp/ARCH/logs/{pyqemu,qemu}/NAME.log.
"""
import argparse
import concurrent.futures
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import time

STAGE = "/var/tmp/pyqemu-ltp"
NOBODY = "65534"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHELL_CHARS = re.compile(r"[;&|<>$`()*?\"']")


def parse_args(argv):
    p = argparse.ArgumentParser(prog="./dev ltp", description=__doc__.split("\n\n")[0])
    p.add_argument("arch", help="a guest architecture with an LTP build and a qemu-ARCH (riscv64, aarch64, ...)")
    p.add_argument("--only", help="fnmatch pattern(s) of test names, comma-separated (e.g. 'kill*,fork01')")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per test and emulator (60)")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--rerun-qemu", action="store_true", help="run qemu-user again instead of its saved results")
    p.add_argument("--build", help="the LTP build tree (default ~/.cache/pyqemu/ltp/ARCH)")
    p.add_argument("--checkout", default=REPO, help="the pyqemu checkout to run (default: this one)")
    p.add_argument("--json", help="write every result to this file")
    return p.parse_args(argv)


def build_dir(args):
    return args.build or os.environ.get("PYQEMU_LTP_BUILD") or \
        os.path.expanduser(f"~/.cache/pyqemu/ltp/{args.arch}")


def pyqemu_venv(checkout):
    """A venv of /usr/bin/python3 whose path has `checkout` in it: what `nobody` runs."""
    import hashlib
    import tomllib
    venv = os.path.join(STAGE, "venv-" + hashlib.sha1(os.path.abspath(checkout).encode()).hexdigest()[:10])
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(os.path.join(venv, ".ready")):
        os.makedirs(STAGE, exist_ok=True)
        os.chmod(STAGE, 0o755)
        subprocess.run(["/usr/bin/python3", "-m", "venv", "--clear", venv], check=True)
        with open(os.path.join(checkout, "pyproject.toml"), "rb") as f:
            deps = tomllib.load(f)["project"]["dependencies"]
        subprocess.run([python, "-m", "pip", "install", "-q"] + deps, check=True)
        site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()
        with open(os.path.join(site, "pyqemu-checkout.pth"), "w") as f:
            f.write(os.path.abspath(checkout) + "\n")
        open(os.path.join(venv, ".ready"), "w").close()
    return [python, "-m", "usermode"]


def stage(build, arch):
    """Copy the built programs and their data where `nobody` can read them; the entries."""
    src = os.path.join(build, "testcases", "kernel", "syscalls")
    runtest = os.path.join(build, "runtest", "syscalls")
    if not os.path.isdir(src) or not os.path.isfile(runtest):
        sys.exit(f"ltp: no LTP build at {build}: build LTP's testcases/kernel/syscalls for {arch} there "
                 f"(configure --host={arch}-linux-gnu LDFLAGS=-static; make -C lib; "
                 "make -C testcases/kernel/syscalls)")
    root = os.path.join(STAGE, arch)
    bindir = os.path.join(root, "bin")
    os.makedirs(bindir, exist_ok=True)
    for d, _, files in os.walk(src):
        for name in files:
            if name.endswith((".c", ".h", ".o", ".d", ".a")) or name in ("Makefile", ".gitignore"):
                continue
            path, dest = os.path.join(d, name), os.path.join(bindir, name)
            if not os.path.exists(dest) or os.path.getmtime(dest) < os.path.getmtime(path):
                shutil.copy2(path, dest)
    for d in (STAGE, root, bindir):
        os.chmod(d, 0o755)
    entries = []
    with open(runtest) as f:
        for line in f:
            parts = line.split()
            if not parts or parts[0].startswith("#") or len(parts) < 2:
                continue
            name, cmd = parts[0], parts[1:]
            if SHELL_CHARS.search(" ".join(cmd)) or not _is_elf(os.path.join(bindir, cmd[0])):
                continue
            entries.append((name, cmd))
    return root, entries


def _is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def run_one(root, emulator, kind, name, cmd, timeout):
    """One test under one emulator, confined (see the module's doc): (outcome, seconds)."""
    work = os.path.join(root, "tmp", f"{kind}-{name}")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.chmod(work, 0o777)
    logdir = os.path.join(root, "logs", kind)
    os.makedirs(logdir, exist_ok=True)
    bindir = os.path.join(root, "bin")
    env = ["env", "-i", f"PATH={bindir}:/usr/bin:/bin", f"TMPDIR={work}", f"HOME={work}",
           f"LTPROOT={root}", "LTP_TIMEOUT_MUL=2", "LANG=C"]
    argv = (["unshare", "--pid", "--fork", "--mount-proc", "--ipc", "--uts", "--",
             "setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--inh-caps=-all", "--"]
            + env + ["timeout", "-k", "5", str(timeout)] + emulator + [os.path.join(bindir, cmd[0])] + cmd[1:])
    start = time.monotonic()
    with open(os.path.join(logdir, name + ".log"), "wb") as log:
        try:
            rc = subprocess.run(argv, cwd=work, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                timeout=timeout + 30).returncode
        except subprocess.TimeoutExpired:
            rc = 124
    seconds = time.monotonic() - start
    shutil.rmtree(work, ignore_errors=True)
    if rc == 0:
        return "pass", seconds
    if rc == 32:
        return "conf", seconds
    if rc in (124, 137):
        return "timeout", seconds
    if rc > 128:
        return f"signal {rc - 128}", seconds
    return f"fail {rc}", seconds


def reason(root, kind, name):
    """The line of a test's output that says why it failed."""
    try:
        with open(os.path.join(root, "logs", kind, name + ".log"), errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return ""
    for tag in ("TBROK", "TFAIL", "pyqemu", "Traceback", "TWARN"):
        for line in lines:
            if tag in line:
                return line.strip()[:160]
    return lines[-1].strip()[:160] if lines else "(no output)"


def run_all(root, entries, emulator, kind, args):
    results = {}
    done = 0
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(run_one, root, emulator, kind, name, cmd, args.timeout): name
                   for name, cmd in entries}
        for fut in concurrent.futures.as_completed(futures):
            name = futures[fut]
            results[name] = fut.result()[0]
            done += 1
            if sys.stderr.isatty() or done % 50 == 0:
                print(f"\r{kind}: {done}/{len(entries)}", end="" if sys.stderr.isatty() else "\n",
                      file=sys.stderr, flush=True)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    return results


def main(argv=None):
    args = parse_args(argv)
    build = build_dir(args)
    root, entries = stage(build, args.arch)
    if args.only:
        patterns = args.only.split(",")
        entries = [e for e in entries if any(fnmatch.fnmatchcase(e[0], p) for p in patterns)]
    if not entries:
        sys.exit("ltp: no test matches")
    pyqemu = pyqemu_venv(args.checkout)
    qemu = [f"qemu-{args.arch}"]
    if shutil.which(qemu[0]) is None:
        sys.exit(f"ltp: {qemu[0]} is not installed (qemu-user)")

    saved_path = os.path.join(build, "results-qemu.json")
    stamp = os.path.getmtime(os.path.join(build, "runtest", "syscalls"))
    saved = {}
    if os.path.exists(saved_path) and not args.rerun_qemu:
        with open(saved_path) as f:
            data = json.load(f)
        if data.get("stamp") == stamp:
            saved = data["results"]
    todo = [e for e in entries if e[0] not in saved]
    if todo:
        saved.update(run_all(root, todo, qemu, "qemu", args))
        with open(saved_path, "w") as f:
            json.dump({"stamp": stamp, "results": saved}, f, indent=0, sort_keys=True)
    q = {name: saved[name] for name, _ in entries}
    p = run_all(root, entries, pyqemu, "pyqemu", args)

    behind = sorted(n for n in q if q[n] == "pass" and p[n] != "pass")
    ahead = sorted(n for n in q if p[n] == "pass" and q[n] != "pass")
    for name in behind:
        print(f"{name:24} {p[name]:10} {reason(root, 'pyqemu', name)}")
    if ahead:
        print(f"pyqemu passes, qemu-user does not: {' '.join(ahead)}")
    count = lambda res, what: sum(1 for v in res.values() if v == what)  # noqa: E731
    print(f"{args.arch}: {len(entries)} tests; qemu-user passes {count(q, 'pass')} (TCONF {count(q, 'conf')}), "
          f"pyqemu passes {count(p, 'pass')} (TCONF {count(p, 'conf')}); "
          f"qemu passes and pyqemu does not: {len(behind)}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"qemu": q, "pyqemu": p}, f, indent=1, sort_keys=True)
    return 1 if behind else 0


if __name__ == "__main__":
    sys.exit(main())
