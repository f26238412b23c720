"""pyqemu-sysroot: make a sysroot for a guest architecture from Debian's packages.

    pyqemu-sysroot create aarch64                      # rootfs: minbase Debian 12 arm64 (debootstrap --foreign)
    pyqemu-sysroot create aarch64 --with python3,perl  # ... plus these packages and their dependencies
    pyqemu-sysroot create riscv64 --kind cross         # the cross glibc (libc6-riscv64-cross and friends)
    pyqemu-sysroot list                                # what exists
    pyqemu-sysroot path aarch64                        # where `create aarch64` puts it

Sysroots live in $PYQEMU_SYSROOTS (default ~/.cache/pyqemu), one directory each,
unless --dir says otherwise. `create` is idempotent: a sysroot that already
holds what was asked for is left alone; one that lacks packages is rebuilt
beside the old one and swapped in when complete, so an interrupted run never
leaves half a root. Progress goes to stderr, the sysroot's path to stdout.

Packages are unpacked, never configured: no foreign maintainer script runs.
"""
import argparse
import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from . import recipes

MARKER = ".pyqemu-sysroot.json"
EXIT_UNREACHABLE = 3  # the package archive cannot be reached (tests skip on this one)


class ToolError(Exception):
    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


def home():
    env = os.environ.get("PYQEMU_SYSROOTS")
    if env:
        return os.path.abspath(env)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "pyqemu")


def arch_name(text):
    name = recipes.ALIASES.get(text, text)
    if name not in recipes.ARCHES:
        raise ToolError(f"unknown architecture '{text}' (known: {', '.join(sorted(recipes.ARCHES))})")
    return name


def progress(message):
    sys.stderr.write(f"pyqemu-sysroot: {message}\n")
    sys.stderr.flush()


def read_marker(path):
    try:
        with open(os.path.join(path, MARKER)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


# ---- checks before any work --------------------------------------------------------

def check_reachable(mirror, suite):
    """The archive answers for the suite, or ToolError(EXIT_UNREACHABLE)."""
    url = f"{mirror.rstrip('/')}/dists/{suite}/Release"
    try:
        with urllib.request.urlopen(url, timeout=20) as reply:
            reply.read(64)
    except urllib.error.HTTPError as e:
        if e.code == 404:
            raise ToolError(f"the package archive {mirror} has no suite '{suite}' ({url}: 404)") from None
        raise ToolError(f"cannot reach the package archive: {url}: HTTP {e.code}", EXIT_UNREACHABLE) from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise ToolError(f"cannot reach the package archive: {url}: {reason}", EXIT_UNREACHABLE) from None


def check_space(parent, kind, packages):
    need = recipes.SPACE_NEEDED[kind] + 40 * len(packages)
    try:
        free = shutil.disk_usage(parent).free >> 20
    except OSError as e:
        raise ToolError(f"cannot use '{parent}': {e.strerror}") from None
    if free < need:
        raise ToolError(f"not enough space in {parent}: {free} MiB free, about {need} MiB needed")


def need_program(name, package):
    if shutil.which(name) is None and not os.path.exists(f"/usr/sbin/{name}"):
        raise ToolError(f"{name} is not installed (Debian: apt-get install {package})")
    return shutil.which(name) or f"/usr/sbin/{name}"


# ---- unpacking -----------------------------------------------------------------------

def unpack(deb, root):
    """The files of one .deb into root; directory symlinks (merged /usr) are kept."""
    dpkg = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    tar = subprocess.run(["tar", "-C", root, "--keep-directory-symlink", "--no-same-owner",
                          "-xf", "-"], stdin=dpkg.stdout, capture_output=True)
    dpkg.stdout.close()
    err = dpkg.stderr.read()
    dpkg.wait()
    if dpkg.returncode or tar.returncode:
        text = (err or tar.stderr).decode(errors="replace").strip().splitlines()
        detail = text[-1] if text else f"status {dpkg.returncode or tar.returncode}"
        if "No space left" in detail:
            raise ToolError(f"no space left on the device holding {root}")
        raise ToolError(f"cannot unpack {os.path.basename(deb)}: {detail}")


def run_streamed(cmd, on_line):
    """Run cmd, handing each output line (stdout and stderr merged) to on_line."""
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except OSError as e:
        raise ToolError(f"cannot run {cmd[0]}: {e.strerror}") from None
    lines = []
    for raw in proc.stdout:
        line = raw.decode(errors="replace").rstrip()
        lines.append(line)
        on_line(line)
    proc.wait()
    return proc.returncode, lines


def explain_failure(lines, what):
    """One line for a failed debootstrap or apt-get run."""
    text = "\n".join(lines)
    m = re.search(r"Couldn't find these debs: (.*)", text)
    if m:
        return ToolError(f"unknown package(s): {m.group(1).strip()}")
    m = re.findall(r"Unable to locate package (\S+)", text)
    if m:
        return ToolError(f"unknown package(s): {' '.join(m)} (if they exist, run apt-get update first)")
    if "No space left on device" in text:
        return ToolError(f"no space left on the device ({what})")
    if re.search(r"Failed getting release file|Failed to fetch|Temporary failure resolving|"
                 r"Could not resolve|Connection (refused|timed out)", text):
        last = [ln for ln in lines if ln.startswith(("E:", "W:"))]
        return ToolError(f"cannot reach the package archive ({last[-1] if last else what})", EXIT_UNREACHABLE)
    errors = [ln[3:] for ln in lines if ln.startswith("E: ")]
    return ToolError(f"{what} failed: {errors[-1] if errors else (lines[-1] if lines else 'no output')}")


# ---- the two kinds ---------------------------------------------------------------

def build_rootfs(arch, suite, mirror, packages, work):
    debootstrap = need_program("debootstrap", "debootstrap")
    need_program("dpkg-deb", "dpkg")
    debian = recipes.ARCHES[arch]["debian"]
    cmd = [debootstrap, "--foreign", "--variant=minbase", f"--arch={debian}", "--components=main"]
    if packages:
        cmd.append("--include=" + ",".join(packages))
    cmd += [suite, work, mirror]
    if os.geteuid() != 0:  # debootstrap insists on root; fakeroot is enough for --foreign
        if shutil.which("fakeroot") is None:
            raise ToolError("debootstrap needs root: run as root, or install fakeroot")
        cmd.insert(0, "fakeroot")
    progress(f"debootstrap --foreign --variant=minbase --arch={debian} {suite} "
             f"({len(packages)} extra package(s) and their dependencies)")
    counts = {"Retrieving": 0, "Extracting": 0}

    def show(line):
        m = re.match(r"I: (Retrieving|Extracting) (\S+)", line)
        if m:
            counts[m.group(1)] += 1
            if counts[m.group(1)] % 20 == 1:
                progress(f"  {m.group(1).lower()} {m.group(2)} ({counts[m.group(1)]} so far)")
        elif line.startswith("W:"):
            progress(f"  {line}")
    status, lines = run_streamed(cmd, show)
    if status:
        raise explain_failure(lines, "debootstrap")
    # debootstrap --foreign unpacked the required packages; the rest (its
    # "base" list: apt, and every --include package with its dependencies)
    # waits for a second stage we do not run. Unpack them too.
    meta = os.path.join(work, "debootstrap")
    with open(os.path.join(meta, "base")) as f:
        base = f.read().split()
    paths = {}
    with open(os.path.join(meta, "debpaths")) as f:
        for line in f:
            name, _, path = line.strip().partition(" ")
            paths[name] = path
    for i, name in enumerate(base, 1):
        if name not in paths:
            raise ToolError(f"debootstrap did not download {name}")
        if i % 10 == 1 or i == len(base):
            progress(f"  unpacking {name} ({i}/{len(base)})")
        unpack(work + paths[name], work)
    for path in paths.values():  # every package is unpacked now: the archives are spent
        with contextlib.suppress(OSError):
            os.unlink(work + path)
    fix_up(work)
    with open(os.path.join(meta, "required")) as f:
        required = f.read().split()
    return sorted(set(required) | set(base))


def fix_up(root):
    """What the skipped maintainer scripts would have left that programs look for."""
    share = os.path.join(root, "usr/share/base-passwd")
    for name in ("passwd", "group"):
        target = os.path.join(root, "etc", name)
        template = os.path.join(share, f"{name}.master")
        if not os.path.lexists(target) and os.path.exists(template):
            shutil.copyfile(template, target)
    for package, files in recipes.POSTINST_FILES.items():
        if not os.path.isdir(os.path.join(root, "usr/share/doc", package)):  # not unpacked
            continue
        for name, text in files.items():
            target = os.path.join(root, name)
            if not os.path.lexists(target):
                with open(target, "w") as f:
                    f.write(text)
    for link, candidates in recipes.ALTERNATIVES.items():
        path = os.path.join(root, link)
        if os.path.lexists(path):
            continue
        for candidate in candidates:
            if os.path.exists(os.path.join(os.path.dirname(path), candidate)):
                os.symlink(candidate, path)
                break


def build_cross(arch, suite, mirror, packages, work):
    apt_get = need_program("apt-get", "apt")
    need_program("dpkg-deb", "dpkg")
    debian, triple = recipes.ARCHES[arch]["debian"], recipes.ARCHES[arch]["triple"]
    wanted = [p.format(debian=debian) for p in recipes.CROSS_PACKAGES] + list(packages)
    debs = os.path.join(work, ".debs")
    os.makedirs(debs)
    progress(f"apt-get download {' '.join(wanted)}")
    status, lines = _apt_download(apt_get, wanted, debs)
    if status and any("Unable to locate package" in ln for ln in lines) and os.geteuid() == 0:
        progress("apt-get update (the package lists may be missing or old)")  # a fresh machine's state
        subprocess.run([apt_get, "update", "-q"], capture_output=True)
        status, lines = _apt_download(apt_get, wanted, debs)
    if status:
        raise explain_failure(lines, "apt-get download")
    staging = os.path.join(work, ".staging")
    os.makedirs(staging)
    files = sorted(os.listdir(debs))
    for i, name in enumerate(files, 1):
        progress(f"  unpacking {name} ({i}/{len(files)})")
        unpack(os.path.join(debs, name), staging)
    inner = os.path.join(staging, "usr", triple)
    if not os.path.isdir(inner):
        raise ToolError(f"the cross packages hold no usr/{triple}")
    for entry in os.listdir(inner):
        os.rename(os.path.join(inner, entry), os.path.join(work, entry))
    shutil.rmtree(debs)
    shutil.rmtree(staging)
    return wanted


def _apt_download(apt_get, wanted, into):
    try:
        proc = subprocess.run([apt_get, "download", "-q"] + wanted, cwd=into, capture_output=True)
    except OSError as e:
        raise ToolError(f"cannot run apt-get: {e.strerror}") from None
    return proc.returncode, (proc.stdout + proc.stderr).decode(errors="replace").splitlines()


BUILDERS = {"rootfs": build_rootfs, "cross": build_cross}


# ---- commands ----------------------------------------------------------------------

def default_dir(arch, kind, suite):
    return os.path.join(home(), recipes.default_name(kind, arch, suite))


def satisfied(marker, kind, arch, suite, packages):
    return (marker is not None and marker.get("kind") == kind and marker.get("arch") == arch
            and marker.get("suite") == suite and set(packages) <= set(marker.get("requested", [])))


def create(arch, kind, packages, dest, mirror, suite):
    dest = os.path.abspath(dest)
    parent = os.path.dirname(dest)
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as e:
        raise ToolError(f"cannot create '{parent}': {e.strerror}") from None
    if os.path.exists(dest) and not os.path.isdir(dest):
        raise ToolError(f"'{dest}' exists and is not a directory")
    with open(dest + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second create waits for the first, then finds it done
        marker = read_marker(dest)
        if satisfied(marker, kind, arch, suite, packages):
            progress(f"{dest} is already there ({kind}, {arch}, {len(marker.get('packages', []))} packages)")
            return dest
        if os.path.isdir(dest) and marker is None and os.listdir(dest):
            raise ToolError(f"'{dest}' exists, is not empty and was not made by pyqemu-sysroot: "
                            "name another directory with --dir")
        previous = sorted(set(marker.get("requested", [])) if marker else set())
        packages = sorted(set(packages) | set(previous))
        check_space(parent, kind, packages)
        check_reachable(mirror, suite)
        started = time.monotonic()
        work = tempfile.mkdtemp(prefix=os.path.basename(dest) + ".part-", dir=parent)
        try:
            installed = BUILDERS[kind](arch, suite, mirror, packages, work)
            info = {"kind": kind, "arch": arch, "suite": suite, "mirror": mirror,
                    "requested": packages, "packages": installed,
                    "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "seconds": round(time.monotonic() - started, 1)}
            with open(os.path.join(work, MARKER), "w") as f:
                json.dump(info, f, indent=1)
            os.chmod(work, 0o755)
            if os.path.isdir(dest):
                old = dest + f".old-{os.getpid()}"
                os.rename(dest, old)
                os.rename(work, dest)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(work, dest)
        except OSError as e:
            if e.errno == errno.ENOSPC:
                raise ToolError(f"no space left on the device holding {parent}") from None
            raise ToolError(f"building {dest}: {e.strerror or e}") from None
        finally:
            if os.path.isdir(work):
                shutil.rmtree(work, ignore_errors=True)
        progress(f"{dest} ready ({kind}, {arch}, {len(installed)} packages, {info['seconds']} s)")
        return dest


def list_sysroots():
    base = home()
    rows = []
    if os.path.isdir(base):
        for name in sorted(os.listdir(base)):
            marker = read_marker(os.path.join(base, name))
            if marker:
                rows.append((os.path.join(base, name), marker))
    if not rows:
        print(f"no sysroots in {base} (pyqemu-sysroot create ARCH makes one)")
    for path, m in rows:
        extra = ",".join(m.get("requested", [])) or "-"
        print(f"{path}  {m.get('kind')}  {m.get('arch')}  {m.get('suite')}  "
              f"{len(m.get('packages', []))} packages  extra: {extra}  made {m.get('created')}")
    return 0


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, as every error of this tool
        raise ToolError(f"{message} (pyqemu-sysroot -h shows the usage)", 2)


def parser():
    p = Parser(prog="pyqemu-sysroot", description=__doc__.split("\n\n")[0],
               formatter_class=argparse.RawDescriptionHelpFormatter,
               epilog="\n".join(__doc__.split("\n\n")[1:]))
    sub = p.add_subparsers(dest="command", metavar="{create,list,path}")
    for name, text in (("create", "make a sysroot (or check that it is there)"),
                       ("path", "print where `create` puts a sysroot")):
        c = sub.add_parser(name, help=text)
        c.add_argument("arch", help="guest architecture: " + ", ".join(sorted(recipes.ARCHES)))
        c.add_argument("--kind", choices=sorted(BUILDERS),
                       help="rootfs (debootstrap minbase; the default where Debian has the port) "
                            "or cross (the cross glibc)")
        c.add_argument("--with", dest="packages", default="", metavar="PKG[,PKG...]",
                       help="extra packages, with their dependencies")
        c.add_argument("--dir", help="where to put it (default: under $PYQEMU_SYSROOTS or ~/.cache/pyqemu)")
        c.add_argument("--suite", default=None, help=f"Debian suite (default {recipes.SUITE})")
        c.add_argument("--mirror", default=recipes.MIRROR, help=f"archive (default {recipes.MIRROR})")
    sub.add_parser("list", help="show the sysroots made so far")
    return p


def main(argv=None):
    try:
        args = parser().parse_args(argv)
        if args.command is None:
            parser().print_help()
            return 2
        if args.command == "list":
            return list_sysroots()
        arch = arch_name(args.arch)
        kind = args.kind or ("rootfs" if arch in recipes.ROOTFS_SUITES else "cross")
        if kind == "rootfs" and arch not in recipes.ROOTFS_SUITES:
            raise ToolError(f"Debian {recipes.SUITE} has no {arch} port: use --kind cross")
        suite = args.suite or recipes.ROOTFS_SUITES.get(arch, recipes.SUITE)
        packages = [p for p in args.packages.replace(" ", ",").split(",") if p]
        for p in packages:
            if not re.fullmatch(r"[a-z0-9][a-z0-9+.-]+(:[a-z0-9]+)?", p):
                raise ToolError(f"'{p}' is not a Debian package name")
        dest = args.dir or default_dir(arch, kind, suite)
        if args.command == "path":
            print(dest)
            return 0
        print(create(arch, kind, packages, dest, args.mirror, suite))
        return 0
    except ToolError as e:
        sys.stderr.write(f"pyqemu-sysroot: {e}\n")
        return e.status
    except KeyboardInterrupt:
        sys.stderr.write("pyqemu-sysroot: interrupted\n")
        return 130
    except BrokenPipeError:
        return 141
    except Exception as e:  # one line, never a traceback
        sys.stderr.write(f"pyqemu-sysroot: internal error: {type(e).__name__}: {e}\n")
        return 70


if __name__ == "__main__":
    sys.exit(main())
