"""Build pyqemu's patched Unicorn core: Unicorn 2.1.4's source release with
the patches in tools/core/patches, for the guest targets pyqemu runs.

    python tools/core/build.py build [--prefix VENV]   build (unless cached), then use it in VENV
    python tools/core/build.py build --ci --no-activate  only the riscv and aarch64 targets, for CI
    python tools/core/build.py off [--prefix VENV]     go back to the stock PyPI wheel in VENV
    python tools/core/build.py refresh [--prefix VENV] the venv's core follows the current patch set
    python tools/core/build.py path                    where the current patch set's core is (or would be)

`./dev core` runs `build` for .venv. The source is the PyPI sdist of
unicorn==2.1.4 (pip download), checked against its sha256, fetched at build
time and never committed. A build is cached under ~/.cache/pyqemu/core/<key>
($PYQEMU_CACHE instead of ~/.cache/pyqemu), where key is a hash of the patch
set and the build configuration, so editing a patch rebuilds and nothing else
does. A venv uses a core through the link VENV/pyqemu-core (usermode/uclib.py
looks there; PYQEMU_CORE=stock ignores it). The default install has no link:
the PyPI wheel's library.

Patches are applied with `patch -p1` from the sdist's top folder; each one
starts with a few lines saying what it changes and why.
"""
import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PATCHES = os.path.join(HERE, "patches")

UNICORN_VERSION = "2.1.4"
SDIST = f"unicorn-{UNICORN_VERSION}.tar.gz"
SDIST_SHA256 = "00567a70e323f749b419cd86bee4f9115beab7ebba32194581c090cbb7c59cff"

# Unicorn's CMake option UNICORN_ARCH names target families; each builds one
# or more QEMU targets (x86: one for i386 and x86_64; mips: mips, mipsel, mips64,
# mips64el; ppc: ppc and ppc64; riscv: riscv32 and riscv64). These are the
# guests pyqemu runs or is being taught to run; sparc and tricore are left out.
ARCHES = ("x86", "arm", "aarch64", "riscv", "mips", "ppc", "s390x", "m68k")
# What CI builds so that tests/test_core.py runs there: the arches pyqemu runs
# today, a quarter of the full build's time (riscv builds riscv32 too).
CI_ARCHES = ("aarch64", "riscv")
CMAKE_OPTIONS = ("-DCMAKE_BUILD_TYPE=Release", "-DUNICORN_BUILD_TESTS=OFF", "-DUNICORN_INSTALL=OFF",
                 "-DUNICORN_LEGACY_STATIC_ARCHIVE=OFF", "-DBUILD_SHARED_LIBS=ON")
LIBRARY = "libunicorn.so.2"
LINK_NAME = "pyqemu-core"
UNREACHABLE = 3  # exit status when the source release cannot be downloaded (.ci/run tolerates it)


def cache_root():
    base = os.environ.get("PYQEMU_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "pyqemu")
    return os.path.join(base, "core")


def patch_files():
    return sorted(os.path.join(PATCHES, name) for name in os.listdir(PATCHES) if name.endswith(".patch"))


def build_key(arches=ARCHES):
    """Hash of everything that decides the library's content: source, patches, configuration."""
    digest = hashlib.sha256()
    digest.update(f"unicorn {UNICORN_VERSION} {SDIST_SHA256}\n".encode())
    digest.update(f"arches {';'.join(arches)}\noptions {' '.join(CMAKE_OPTIONS)}\n".encode())
    for path in patch_files():
        with open(path, "rb") as f:
            content = f.read()
        digest.update(f"patch {os.path.basename(path)} {len(content)}\n".encode() + content)
    return digest.hexdigest()[:16]


def core_dir(arches=ARCHES):
    return os.path.join(cache_root(), build_key(arches))


def is_built(folder):
    return os.path.isfile(os.path.join(folder, LIBRARY)) and os.path.isfile(os.path.join(folder, "core.json"))


def find_built():
    """The folder of a core built from the current patch set (the full one first,
    else the CI one), or None."""
    for arches in (ARCHES, CI_ARCHES):
        if is_built(core_dir(arches)):
            return core_dir(arches)
    return None


def _say(message):
    print(f"core: {message}", file=sys.stderr, flush=True)


def _sdist():
    """The source release, downloaded once and checked."""
    folder = os.path.join(cache_root(), "src")
    path = os.path.join(folder, SDIST)
    if not os.path.isfile(path):
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            _say(f"downloading the unicorn=={UNICORN_VERSION} source release")
            fetched = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary",
                                      ":all:", f"unicorn=={UNICORN_VERSION}", "-d", tmp])
            if fetched.returncode or not os.path.isfile(os.path.join(tmp, SDIST)):
                _say(f"cannot download {SDIST} (is the package index reachable?): not built")
                sys.exit(UNREACHABLE)
            os.replace(os.path.join(tmp, SDIST), path)
    with open(path, "rb") as f:
        actual = hashlib.sha256(f.read()).hexdigest()
    if actual != SDIST_SHA256:
        os.unlink(path)
        raise SystemExit(f"core: {SDIST} has sha256 {actual}, expected {SDIST_SHA256}: removed, not built")
    return path


def _run(cmd, cwd):
    result = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode:
        sys.stderr.write(result.stdout[-6000:])
        raise SystemExit(f"core: {' '.join(cmd[:3])} ... failed (status {result.returncode})")
    return result.stdout


def build(arches=ARCHES, jobs=None):
    """Build the core for the current patch set unless it is cached; its folder."""
    out = core_dir(arches)
    if is_built(out):
        return out
    for tool in ("cmake", "ninja", "patch", "cc"):
        if shutil.which(tool) is None:
            raise SystemExit(f"core: {tool} is missing (apt-get install cmake ninja-build patch gcc)")
    sdist = _sdist()
    os.makedirs(cache_root(), exist_ok=True)
    work = tempfile.mkdtemp(prefix="build-", dir=cache_root())
    try:
        wall, cpu = time.monotonic(), _children_cpu()
        with tarfile.open(sdist) as tar:
            tar.extractall(work)
        top = os.path.join(work, f"unicorn-{UNICORN_VERSION}")
        for path in patch_files():
            _say(f"applying {os.path.basename(path)}")
            _run(["patch", "-p1", "--forward", "--batch", "-i", path], top)
        _say(f"building for {', '.join(arches)} (several minutes of CPU)")
        _run(["cmake", "-S", os.path.join(top, "src"), "-B", os.path.join(work, "build"), "-G", "Ninja",
              f"-DUNICORN_ARCH={';'.join(arches)}", *CMAKE_OPTIONS], top)
        _run(["ninja", "-C", os.path.join(work, "build"), f"-j{jobs or os.cpu_count() or 1}", "unicorn"], top)
        wall, cpu = time.monotonic() - wall, _children_cpu() - cpu
        staging = os.path.join(work, "out")
        os.makedirs(staging)
        shutil.copy2(os.path.join(work, "build", LIBRARY), os.path.join(staging, LIBRARY))
        info = {"unicorn": UNICORN_VERSION, "key": build_key(arches), "arches": list(arches),
                "patches": [os.path.basename(p) for p in patch_files()],
                "build_seconds": {"wall": round(wall, 1), "cpu": round(cpu, 1), "jobs": jobs or os.cpu_count()}}
        with open(os.path.join(staging, "core.json"), "w") as f:
            json.dump(info, f, indent=1)
        if os.path.isdir(out):
            shutil.rmtree(out)
        os.replace(staging, out)
        _say(f"built in {wall:.0f} s ({cpu:.0f} s of CPU): {out}")
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def activate(prefix, folder):
    """VENV/pyqemu-core -> folder: the venv's pyqemu uses that core."""
    link = os.path.join(prefix, LINK_NAME)
    tmp = f"{link}.{os.getpid()}"
    os.symlink(folder, tmp)
    os.replace(tmp, link)
    _say(f"{link} -> {folder}")


def deactivate(prefix):
    link = os.path.join(prefix, LINK_NAME)
    if os.path.lexists(link):
        os.unlink(link)
        _say(f"{link} removed: the stock PyPI wheel's library")


def refresh(prefix):
    """A venv whose core was built from other patches: point it at the current
    build if there is one, else drop it (never run an outdated patch set)."""
    link = os.path.join(prefix, LINK_NAME)
    if not os.path.lexists(link):
        return
    current = core_dir()
    if os.path.realpath(link) == os.path.realpath(current) and is_built(current):
        return
    if is_built(current):
        activate(prefix, current)
    else:
        os.unlink(link)
        _say("the patched core is out of date with tools/core/patches: back to the stock wheel; "
             "`./dev core` rebuilds it")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="tools/core/build.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("build", "off", "refresh", "path"))
    parser.add_argument("--prefix", default=sys.prefix, help="the virtualenv to use the core in")
    parser.add_argument("--no-activate", action="store_true", help="build only")
    parser.add_argument("--ci", action="store_true", help=f"only {', '.join(CI_ARCHES)}")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args(argv)
    arches = CI_ARCHES if args.ci else ARCHES
    if args.action == "path":
        print(core_dir(arches))
    elif args.action == "off":
        deactivate(args.prefix)
    elif args.action == "refresh":
        refresh(args.prefix)
    else:
        folder = build(arches, jobs=args.jobs)
        if not args.no_activate:
            activate(args.prefix, folder)


if __name__ == "__main__":
    main()
