"""CPython's regression tests on a Debian arm64 root, under pyqemu and under qemu-user.

    ./dev cpython [--only PATTERN] [--timeout S] [--jobs N] [--root DIR] [--json FILE]

The root is made once by pyqemu-sysroot (python3, libpython3.11-testsuite, the
package holding Lib/test, and netbase) in ~/.cache/pyqemu/cpython-arm64-bookworm, or given with
--root. Each test module runs on its own, `python3 -m test -q -W MODULE` (-W: a
failing test's output and traceback go to its log), as
`pyqemu-aarch64 --rootfs ROOT /usr/bin/python3.11 ...` and as
`qemu-aarch64 -L ROOT ROOT/usr/bin/python3.11 ...`; qemu-user's results are
kept in ROOT/../cpython-results-qemu.json and reused (--rerun-qemu).

An outcome is regrtest's exit status: 0 passed (skipped tests and modules count
as passed, as regrtest says SUCCESS), 3 passed but changed the environment
(counted as passed), 2 failed, 4 no tests ran; 'timeout' when the run outlived
--timeout. Tests that start a subprocess of sys.executable need qemu-user
registered with binfmt_misc (QEMU_LD_PREFIX is set to the root for it); without
that they fail under qemu-user and pass under pyqemu, which runs a guest's exec
itself: they show as 'pyqemu only'.
The whole suite is ~440 modules and takes hours under both: --only picks some.
Logs: ~/.cache/pyqemu/cpython-logs/{pyqemu,qemu}/MODULE.log.
"""
import argparse
import concurrent.futures
import fnmatch
import json
import os
import subprocess
import sys

import sidebyside  # tools/, beside this script

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.expanduser("~/.cache/pyqemu")
PYTHON = "/usr/bin/python3.11"
OUTCOMES = {0: "pass", 3: "pass", 2: "fail", 4: "no tests ran"}


# python3, the package holding Lib/test, and netbase: /etc/services, /etc/protocols and
# /etc/hosts, which qemu-user -L takes from the host when the root lacks them
PACKAGES = "python3,libpython3.11-testsuite,netbase"


def make_root(root):
    # idempotent: a root that has every package is left alone, one made before a
    # package was added here is rebuilt with it
    tool = os.path.join(REPO, ".venv", "bin", "pyqemu-sysroot")
    subprocess.run([tool, "create", "aarch64", "--with", PACKAGES, "--dir", root], check=True,
                   stdout=subprocess.DEVNULL)


def modules(root, only):
    test_dir = os.path.join(root, "usr", "lib", "python3.11", "test")
    names = sorted({n[:-3] if n.endswith(".py") else n for n in os.listdir(test_dir)
                    if n.startswith("test_") and (n.endswith(".py") or os.path.isdir(os.path.join(test_dir, n)))})
    if only:
        names = [n for n in names if any(fnmatch.fnmatch(n, p) for p in only)]
    return names


def run(cmd, timeout, log, root):
    # QEMU_LD_PREFIX: a subprocess of sys.executable that binfmt_misc hands to qemu-user
    # finds the root's libraries too (pyqemu runs a guest's exec itself, in the root)
    # The host's PYTHON* variables are not the guest's: PYTHONUNBUFFERED=1 in the runner's
    # environment made test_cmd_line's test_non_interactive_output_buffering fail
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(LANG="C.UTF-8", PYTHONHASHSEED="0", QEMU_LD_PREFIX=root)
    try:
        proc = subprocess.run(["nice"] + cmd, capture_output=True, timeout=timeout, env=env,
                              stdin=subprocess.DEVNULL)
        status, out = proc.returncode, proc.stdout + proc.stderr
        outcome = OUTCOMES.get(status, f"exit {status}")
    except subprocess.TimeoutExpired as e:
        out, outcome = (e.stdout or b"") + (e.stderr or b""), "timeout"
    os.makedirs(os.path.dirname(log), exist_ok=True)
    with open(log, "wb") as f:
        f.write(out + f"\n--- {outcome} ---\n".encode())
    return outcome


def main(argv=None):
    p = argparse.ArgumentParser(prog="./dev cpython", description=__doc__.split("\n\n")[0])
    p.add_argument("--root", default=os.path.join(CACHE, "cpython-arm64-bookworm"))
    p.add_argument("--only", help="fnmatch patterns of test modules, comma-separated (e.g. 'test_os,test_str*')")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds per module and emulator (900)")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--rerun-qemu", action="store_true")
    p.add_argument("--json", help="write every result to this file")
    args = p.parse_args(argv)
    root = os.path.abspath(args.root)
    make_root(root)
    names = modules(root, args.only.split(",") if args.only else None)
    if not names:
        sys.exit("cpython: no test module matches")
    logs = os.path.join(CACHE, "cpython-logs")
    saved_path = os.path.join(os.path.dirname(root), "cpython-results-qemu.json")
    saved = {}
    if os.path.exists(saved_path) and not args.rerun_qemu:
        with open(saved_path) as f:
            saved = json.load(f)
    pyqemu = [os.path.join(REPO, ".venv", "bin", "pyqemu-aarch64"), "--rootfs", root, PYTHON]
    qemu = ["qemu-aarch64", "-L", root, root + PYTHON]
    test_args = ["-m", "test", "-q", "-W", "--timeout", str(int(args.timeout) - 30)]
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        q = {n: pool.submit(run, qemu + test_args + [n], args.timeout, os.path.join(logs, "qemu", n + ".log"), root)
             for n in names if n not in saved}
        y = {n: pool.submit(run, pyqemu + test_args + [n], args.timeout, os.path.join(logs, "pyqemu", n + ".log"), root)
             for n in names}
        results = {n: {"qemu": saved[n] if n in saved else q[n].result(), "pyqemu": y[n].result()} for n in names}
    # a run killed from outside (SIGKILL: the OOM killer on a loaded machine) is not kept
    saved.update({n: r["qemu"] for n, r in results.items() if r["qemu"] != "exit -9"})
    with open(saved_path, "w") as f:
        json.dump(saved, f, indent=1, sort_keys=True)
    return sidebyside.report(results, "aarch64 CPython 3.11", "modules", args.json)


if __name__ == "__main__":
    sys.exit(main())
