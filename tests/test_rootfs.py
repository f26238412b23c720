"""Real Debian programs, none written here: an arm64 Debian 12 root built once by
pyqemu-sysroot (cached outside the repository), its programs run under
`pyqemu-aarch64 --rootfs R` and under `qemu-aarch64 -L R`, stdout and exit
status compared. Programs that start others (bash pipelines, python3's
subprocess) need qemu-user registered with binfmt_misc to run under qemu; where
that cannot be done (not root), pyqemu's output is checked against the expected
text alone.

The root: $PYQEMU_TEST_ROOTFS, or the default of `pyqemu-sysroot create aarch64`
(~/.cache/pyqemu/rootfs-arm64-bookworm). Building it takes about 40 s; it is
skipped, with the reason, only when the package archive cannot be reached.
"""
import hashlib
import os
import random
import shutil
import subprocess
import sys
import time

import pytest

from conftest import ARCHES, installed_script, pyqemu_command, run, runs_natively
from usermode import cpu
from usermode.binfmt import kernel
from usermode.cpu import registry
from usermode.paths import PathResolver
from sysroots.tool import MARKER

PACKAGES = "python3,perl,sqlite3,lua5.4,gawk,xz-utils,bzip2"
BINFMT = "/proc/sys/fs/binfmt_misc"


def sysroot_tool():
    return installed_script("pyqemu-sysroot")


# every architecture under test that Debian 12 has a port of
ROOT_ARCHES = [a for a in sorted(ARCHES) if registry.facts(a)["DEBIAN_ROOTFS"]]


class Root:
    """A Debian root of one architecture and how to run its programs under each emulator."""

    def __init__(self, arch, path):
        self.arch, self.path = arch, path
        self.qemu = ARCHES[arch]["qemu"]
        self.cpu = cpu.get(arch)
        self.qemu_prefix = self._qemu_prefix()

    def _qemu_prefix(self):
        """What qemu-user's -L takes for this root. qemu looks a path up under the prefix
        but follows a symlink found there on the host: mips64el's /lib64/ld.so.1 is
        /lib/mips64el-linux-gnuabi64/ld.so.1, absolute, and qemu-mips64el -L cannot start a
        single dynamic program. There a shadow prefix gives it the interpreter as a host
        path into the root, and every other top-level entry of the root as it is."""
        interp = self.path + self.cpu.INTERPRETERS[0]
        target = os.readlink(interp) if os.path.islink(interp) else ""
        if not target.startswith("/"):
            return self.path
        shadow = os.path.join(os.path.dirname(self.path), f".qemu-prefix-{os.path.basename(self.path)}")
        if not os.path.isdir(shadow):
            building = f"{shadow}.{os.getpid()}"
            os.makedirs(building)
            for entry in os.listdir(self.path):
                # (not the root's marker: pyqemu-sysroot list would show the shadow as a root)
                if f"/{entry}" != os.path.dirname(self.cpu.INTERPRETERS[0]) and entry != MARKER:
                    os.symlink(os.path.join(self.path, entry), os.path.join(building, entry))
            interp_dir = building + os.path.dirname(self.cpu.INTERPRETERS[0])
            os.makedirs(interp_dir)
            for entry in os.listdir(os.path.dirname(interp)):
                link = os.path.join(os.path.dirname(interp), entry)
                real = self.path + os.readlink(link) if os.path.islink(link) and \
                    os.readlink(link).startswith("/") else link
                os.symlink(real, os.path.join(interp_dir, entry))
            os.rename(building, shadow)
        return shadow

    def cmd(self, *argv):
        return pyqemu_command(self.arch) + ["--rootfs", self.path] + list(argv)

    def __str__(self):
        return self.path


@pytest.fixture(scope="module", params=ROOT_ARCHES)
def rootfs(request):
    """The root, made by pyqemu-sysroot once (later runs find it in ~/.cache/pyqemu);
    $PYQEMU_TEST_ROOTFS_<ARCH> puts it elsewhere."""
    arch = request.param
    where = os.environ.get(f"PYQEMU_TEST_ROOTFS_{arch.upper()}")
    cmd = [sysroot_tool(), "create", arch, "--with", PACKAGES] + (["--dir", where] if where else [])
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if res.returncode == 3:  # the tool's status for an unreachable archive, and only that one
        pytest.skip(f"the Debian package archive is unreachable: {res.stderr.strip().splitlines()[-1]}")
    assert res.returncode == 0, f"pyqemu-sysroot failed: {res.stderr}"
    return Root(arch, res.stdout.strip())


@pytest.fixture(scope="module")
def binfmt(rootfs):
    """qemu-user registered for the root's ELF files while these tests run (so
    programs started by a program run under qemu too); False when not possible.
    An architecture this host runs itself needs none (the reference is the native
    run): registering qemu for it would take every program of the host."""
    if native_reference(rootfs):
        yield True
        return
    qemu = shutil.which(rootfs.qemu)
    if os.geteuid() != 0 or qemu is None:
        yield False
        return
    if not os.path.exists(os.path.join(BINFMT, "register")):
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", BINFMT], capture_output=True)
    name = f"pyqemu-test-{rootfs.arch}-{os.getpid()}"
    magic, mask = kernel.elf_magic_and_mask(rootfs.cpu)
    try:
        with open(os.path.join(BINFMT, "register"), "w") as f:
            f.write(kernel.register_line(name, magic, mask, os.path.realpath(qemu), ""))
    except OSError:
        yield False
        return
    try:
        yield True
    finally:
        try:
            with open(os.path.join(BINFMT, name), "w") as f:
                f.write("-1")
        except OSError:
            pass


@pytest.fixture
def work(tmp_path):
    """The test's directory, with inputs; it is the current directory of both runs
    (pyqemu shows it to the guest at its own name)."""
    rnd = random.Random(1234)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]
    lines = [f"{rnd.choice(words)} {rnd.randint(0, 999)} {rnd.choice(words)}" for _ in range(2000)]
    (tmp_path / "words.txt").write_text("\n".join(lines) + "\n")
    (tmp_path / "csv.txt").write_text("".join(f"{i},{i * i},{words[i % 10]}\n" for i in range(50)))
    big = "".join(f"{i:08d} {rnd.choice(words)} {rnd.random():.6f}\n" for i in range(110_000))
    (tmp_path / "big.txt").write_text(big)  # about 3 MB, compressible like text
    os.makedirs(tmp_path / "tree" / "sub")
    for i in range(5):
        (tmp_path / "tree" / f"f{i}").write_text(f"file {i}\n" * (i + 1))
    (tmp_path / "tree" / "sub" / "deep").write_text("deep\n")
    return tmp_path


TIMES = {}  # arch -> seconds spent in each emulator by both(), and the count


@pytest.fixture(scope="module", autouse=True)
def report_times(request):
    """The time the compared runs took under each emulator, at the end of the module."""
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    for arch, t in sorted(TIMES.items()):
        line = (f"test_rootfs: {t['runs']} compared runs: pyqemu-{arch} {t['pyqemu']:.1f} s, "
                f"{'native' if runs_natively(arch) else ARCHES[arch]['qemu']} {t['qemu']:.1f} s")
        if reporter is not None and capture is not None:
            with capture.global_and_fixture_disabled():
                reporter.write_line(line)


ENV = {"LC_ALL": "C", "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/root", "TZ": "UTC"}


# What qemu-user 7.2 gets wrong in a root, by (arch, program): the words of its failure
# on stderr. There the output is checked against `expected` only.
QEMU_WRONG = {
    # armhf perl finds List::Util through /usr/lib/arm-linux-gnueabihf/perl/5.36, a relative
    # symlink to 5.36.0 inside the root: qemu-arm -L does not see through it (ENOENT)
    ("arm", "perl"): "Can't locate",
    # and so do mipsel's and mips64el's (/usr/lib/<triple>/perl/5.36 -> 5.36.0 alike)
    ("mipsel", "perl"): "Can't locate", ("mips64el", "perl"): "Can't locate",
}


def both(rootfs, binfmt, work, argv, expected=None, needs_exec=False, stdin=None, timeout=300, qemu_wrong=None):
    """Run argv (argv[0] a path inside the root) under pyqemu --rootfs and qemu -L;
    stdout and status must agree, and match `expected` when given (qemu_wrong: qemu's
    known failure, words of its stderr; then only `expected` counts)."""
    env = dict(ENV, QEMU_LD_PREFIX=rootfs.qemu_prefix)
    started = time.monotonic()
    ours = run(rootfs.cmd(*argv), cwd=work, env=env, input=stdin, timeout=timeout)
    ours_time = time.monotonic() - started
    if expected is not None:
        want = expected.encode() if isinstance(expected, str) else expected
        assert ours.stdout == want, f"pyqemu stderr: {ours.stderr[-3000:]!r}"
        assert ours.returncode == 0, f"pyqemu status {ours.returncode}: {ours.stderr[-3000:]!r}"
    if needs_exec and not binfmt:
        assert expected is not None
        return ours
    started = time.monotonic()
    if native_reference(rootfs):
        theirs = run(native_in_root(rootfs, argv), cwd=work, env=ENV, input=stdin, timeout=timeout)
    else:
        paths = PathResolver()
        paths.set_rootfs(rootfs.path, cwd=str(work))
        program = os.fsdecode(paths.to_host(os.fsencode(argv[0])))
        theirs = run([rootfs.qemu, "-L", rootfs.qemu_prefix, "-0", argv[0], program] + argv[1:], cwd=work, env=env,
                     input=stdin, timeout=timeout)
    if qemu_wrong is not None and qemu_wrong.encode() in theirs.stderr:
        assert expected is not None
        return ours
    times = TIMES.setdefault(rootfs.arch, {"pyqemu": 0.0, "qemu": 0.0, "runs": 0})
    times["qemu"] += time.monotonic() - started
    times["pyqemu"] += ours_time
    times["runs"] += 1
    who = "the native run's" if native_reference(rootfs) else "qemu's"
    assert ours.stdout == theirs.stdout, f"stdout differs from {who}\npyqemu stderr: {ours.stderr[-3000:]!r}\n" \
        f"reference stderr: {theirs.stderr[-1000:]!r}"
    assert ours.returncode == theirs.returncode, f"status {ours.returncode} != {who} {theirs.returncode}: " \
        f"{ours.stderr[-3000:]!r}"
    return ours


# ---- the reference for the architectures this host runs itself: the same root, natively ----

def native_reference(rootfs):
    """x86 roots: the programs run on this host's kernel inside the root (a chroot in a
    private mount namespace, /proc, /dev, /sys and /tmp bound in, as pyqemu --rootfs
    shows them), when root may do that; else qemu-user is the reference."""
    return runs_natively(rootfs.arch) and os.geteuid() == 0 and shutil.which("unshare") is not None


def native_in_root(rootfs, argv):
    """The command running argv (argv[0] a path inside the root) natively in the root."""
    import shlex
    root = shlex.quote(rootfs.path)
    binds = " && ".join(f"mount --rbind /{d} {root}/{d}" for d in ("proc", "dev", "sys", "tmp"))
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            f'{binds} && exec unshare --root={root} --wd="$PWD" "$@"', "in-root"] + list(argv)


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


# ---- the two-command promise ---------------------------------------------------------

def test_python_in_bash(rootfs, binfmt, work):
    both(rootfs, binfmt, work, ["/bin/bash", "-c", 'python3 -c "print(6*7)"'], "42\n", needs_exec=True)


# ---- bash -----------------------------------------------------------------------------

def test_bash_builtins(rootfs, binfmt, work):
    script = 'x=0; for i in $(seq 1 0) 1 2 3 4 5; do x=$((x + i * i)); done; echo "sum $x"; ' \
             'a=(one two three); echo "${#a[@]} ${a[1]^^}"; [[ abc == a* ]] && echo glob; ' \
             'printf "%05.1f|%-4s|\\n" 3.14159 ab; f() { local y=$1; echo "f:$y"; }; f arg; ' \
             'while read -r w n rest; do [ "$n" -gt 995 ] && echo "$w $n"; done < words.txt | head -3; exit 3'
    res = both(rootfs, binfmt, work, ["/bin/bash", "-c", script], needs_exec=True)
    assert res.returncode == 3 and res.stdout.startswith(b"sum 55\n3 TWO\nglob\n003.1|ab  |\nf:arg\n")


def test_bash_pipelines_subshells(rootfs, binfmt, work):
    script = 'for i in 3 1 2; do echo $i; done | sort -r | tr "\\n" " "; echo; ' \
             'n=$(grep -c alpha words.txt); echo "alpha lines: $(( n > 0 ))"; ' \
             '(cd /etc && pwd); pwd | grep -c "$PWD"; ' \
             'cut -d, -f2 csv.txt | paste -sd+ | bc 2>/dev/null || awk -F, "{s+=\\$2} END {print s}" csv.txt; ' \
             'echo "$(echo nested $(echo deeper))"; false | true; echo "status ${PIPESTATUS[*]}"'
    both(rootfs, binfmt, work, ["/bin/bash", "-c", script],
         "3 2 1 \nalpha lines: 1\n/etc\n1\n40425\nnested deeper\nstatus 1 0\n", needs_exec=True)


def test_bash_script_file(rootfs, binfmt, work):
    (work / "script.sh").write_text(
        "#!/bin/bash\nset -e\ncount=0\nwhile read -r line; do count=$((count + 1)); done < csv.txt\n"
        "echo \"lines $count\"\nfor f in tree/f*; do echo \"$f $(wc -l < $f)\"; done\n")
    os.chmod(work / "script.sh", 0o755)
    both(rootfs, binfmt, work, ["/bin/bash", "script.sh"],
         "lines 50\ntree/f0 1\ntree/f1 2\ntree/f2 3\ntree/f3 4\ntree/f4 5\n", needs_exec=True)


# ---- coreutils, run directly ------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["/usr/bin/sort", "-k2,2n", "-k1,1", "words.txt"],
    ["/usr/bin/sort", "-u", "-r", "words.txt"],
    ["/usr/bin/wc", "words.txt", "csv.txt", "big.txt"],
    ["/usr/bin/sha256sum", "words.txt", "big.txt"],
    ["/usr/bin/cut", "-d,", "-f1,3", "csv.txt"],
    ["/usr/bin/head", "-c", "300", "big.txt"],
    ["/usr/bin/date", "-u", "-d", "@0"],
    ["/usr/bin/date", "-u", "-d", "@1700000000", "+%Y-%m-%d %H:%M:%S %A %j"],
    ["/usr/bin/ls", "-lR", "--time-style=+", "tree"],
    ["/usr/bin/stat", "-c", "%n %s %F %a", "csv.txt", "tree"],
    ["/usr/bin/readlink", "-f", "/bin/sh", "/usr/bin/awk"],
    ["/usr/bin/id", "-u"],
    ["/usr/bin/printenv", "HOME", "TZ", "LC_ALL"],
    ["/usr/bin/expr", "6", "*", "7"],
    ["/usr/bin/seq", "-s", ",", "1", "3", "30"],
    ["/usr/bin/cat", "/etc/debian_version"],
    ["/usr/bin/ls", "/nonexistent"],
], ids=lambda a: " ".join(a)[:40])
def test_coreutils(rootfs, binfmt, work, argv):
    if argv[:2] == ["/usr/bin/readlink", "-f"] and rootfs.qemu_prefix != rootfs.path:
        # qemu -L does not resolve a root whose links are absolute (see Root; its readlink -f
        # prints nothing, or never ends under the shadow prefix): the links followed here
        res = run(rootfs.cmd(*argv), cwd=work, env=ENV)
        assert res.returncode == 0 and res.stdout.decode().split() == \
            [_resolve_in_root(rootfs.path, p) for p in argv[2:]], res.stderr
        return
    both(rootfs, binfmt, work, argv)


def _resolve_in_root(root, path):
    """realpath of path as the root sees itself as / (absolute links start again at root)."""
    parts, done, hops = path.strip("/").split("/"), "", 0
    while parts:
        part = parts.pop(0)
        candidate = f"{done}/{part}"
        if os.path.islink(root + candidate):
            hops += 1
            assert hops < 40
            target = os.readlink(root + candidate)
            parts = target.strip("/").split("/") + parts
            if target.startswith("/"):
                done = ""
        elif part == "..":
            done = done.rsplit("/", 1)[0]
        elif part not in ("", "."):
            done = candidate
    return done or "/"


def test_uniq_tr_stdin(rootfs, binfmt, work):
    data = open(work / "words.txt", "rb").read()
    words = b"\n".join(sorted(line.split()[0] for line in data.splitlines())) + b"\n"
    both(rootfs, binfmt, work, ["/usr/bin/uniq", "-c"], stdin=words)
    both(rootfs, binfmt, work, ["/usr/bin/tr", "a-z", "A-Z"], stdin=data[:5000])


def test_file_operations(rootfs, binfmt, work):
    """cp, mv, ln, readlink, rm: each a separate program; the files they leave are checked on the host."""
    steps = [["/usr/bin/cp", "-r", "tree", "copy"], ["/usr/bin/mv", "copy/f1", "copy/moved"],
             ["/usr/bin/ln", "-s", "moved", "copy/link"], ["/usr/bin/readlink", "copy/link"],
             ["/usr/bin/cat", "copy/link"], ["/usr/bin/rm", "-r", "copy/sub"], ["/usr/bin/ls", "copy"],
             ["/usr/bin/rm", "-rf", "copy"]]
    out = b""
    for argv in steps:
        res = run(rootfs.cmd(*argv), cwd=work, env=ENV)
        assert res.returncode == 0, (argv, res.stderr)
        out += res.stdout
    assert out == b"moved\nfile 1\nfile 1\nf0\nf2\nf3\nf4\nlink\nmoved\n"
    assert not os.path.exists(work / "copy")


# ---- text tools -----------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["/usr/bin/grep", "-c", "alpha", "words.txt"],
    ["/usr/bin/grep", "-E", "-n", "^(beta|eta) 9[0-9]{2} ", "words.txt"],
    ["/usr/bin/grep", "-r", "deep", "tree"],
    ["/usr/bin/sed", "-n", "s/^\\([a-z]*\\) \\([0-9]*\\) .*/\\2:\\1/p;10q", "words.txt"],
    ["/usr/bin/sed", "-E", "s/([0-9]+),([0-9]+)/\\2,\\1/", "csv.txt"],
    ["/usr/bin/gawk", "{c[$1]++; s[$1] += $2} END {n = asorti(c, k); for (i = 1; i <= n; i++) "
                      "printf \"%s %d %.2f\\n\", k[i], c[k[i]], s[k[i]] / c[k[i]]}", "words.txt"],
    ["/usr/bin/gawk", "-F,", "BEGIN {OFS=\";\"} NR % 7 == 0 {print NR, toupper($3), $2 ** 0.5, sprintf(\"%x\", $2)}",
     "csv.txt"],
], ids=lambda a: " ".join(a)[:40])
def test_text_tools(rootfs, binfmt, work, argv):
    both(rootfs, binfmt, work, argv)


# ---- compression and archives -----------------------------------------------------------

@pytest.mark.parametrize("tool, level", [("gzip", "-6"), ("xz", "-1"), ("bzip2", "-9")])
def test_compression_round_trip(rootfs, binfmt, work, tool, level):
    """A 3 MB file through the compressor and back: the same bytes as qemu's, the same checksum as the original."""
    packed = both(rootfs, binfmt, work, [f"/usr/bin/{tool}", level, "-c", "-n" if tool == "gzip" else "-k",
                                         "big.txt"], timeout=600).stdout
    assert len(packed) < os.path.getsize(work / "big.txt") // 2
    (work / "packed").write_bytes(packed)
    res = run(rootfs.cmd(f"/usr/bin/{tool}", "-d", "-c", "packed"),
              cwd=work, env=ENV, timeout=600)
    assert res.returncode == 0, res.stderr
    assert hashlib.sha256(res.stdout).hexdigest() == sha256(work / "big.txt")


def test_tar(rootfs, binfmt, work):
    res = run(rootfs.cmd("/usr/bin/tar", "--sort=name", "--mtime=@0",
                         "--owner=0", "--group=0", "-cf", "tree.tar", "tree"), cwd=work, env=ENV)
    assert res.returncode == 0, res.stderr
    native = subprocess.run(["tar", "-tvf", "tree.tar"], cwd=work, capture_output=True)
    assert native.returncode == 0 and native.stdout.count(b"\n") == 8
    both(rootfs, binfmt, work, ["/usr/bin/tar", "-tvf", "tree.tar"])
    os.makedirs(work / "out")
    both(rootfs, binfmt, work, ["/usr/bin/tar", "-xf", "tree.tar", "-C", "out"])
    assert (work / "out" / "tree" / "sub" / "deep").read_text() == "deep\n"


# ---- interpreters -----------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["/usr/bin/perl", "-e", 'print join(",", map { $_ * $_ } 1..10), "\\n"; printf("%.3f\\n", atan2(1, 1) * 4)'],
    ["/usr/bin/perl", "-ne", '$c{(split)[0]}++; END { print "$_ $c{$_}\\n" for sort keys %c }', "words.txt"],
    ["/usr/bin/perl", "-MList::Util=sum,max", "-MPOSIX=floor", "-e",
     'my @a = map { $_ ** 2 } 1..100; print sum(@a), " ", max(@a), " ", floor(7.9), "\\n"; '
     'my %h = (b => 2, a => 1); print join(";", map {"$_=$h{$_}"} sort keys %h), "\\n"; '
     '$_ = "Hello World"; s/(\\w+)/\\u\\L$1/g; tr/a-z/A-Z/; print "$_\\n"'],
    ["/usr/bin/perl", "-MDigest::SHA=sha256_hex", "-e", 'print sha256_hex("abc"), "\\n"'],
], ids=lambda a: " ".join(a)[:40])
def test_perl(rootfs, binfmt, work, argv):
    """The expected output is the host's perl's (the same Debian perl, computing the same
    thing), so a qemu-user that fails is told apart from us."""
    host = run(["perl"] + argv[1:], cwd=work, env=ENV)
    assert host.returncode == 0, host.stderr
    both(rootfs, binfmt, work, argv, host.stdout, qemu_wrong=QEMU_WRONG.get((rootfs.arch, "perl")))


PY_NO_FORK = r"""
import json, re, hashlib, zlib, os, sys
data = {"a": [1, 2, {"b": None}], "c": "\u00e9t\u00e9", "d": 1.5}
text = json.dumps(data, sort_keys=True)
print(text, json.loads(text) == data)
print(re.findall(r"(\w+) (\d+)", "x 1 yy 22 zzz 333"), re.sub(r"(?P<w>[a-z]+)", r"<\g<w>>", "ab cd"))
print(hashlib.sha256(b"abc").hexdigest(), hashlib.md5(b"").hexdigest())
blob = open("big.txt", "rb").read(600_000)
packed = zlib.compress(blob, 6)
print(len(blob), zlib.decompress(packed) == blob, zlib.crc32(blob))
print(sorted(os.listdir("tree")), os.getcwd() == os.environ.get("PWD", os.getcwd()))
print(sys.platform, sys.byteorder, sys.maxsize, sys.version_info[:2])
"""


def test_python3(rootfs, binfmt, work):
    res = both(rootfs, binfmt, work, ["/usr/bin/python3", "-c", PY_NO_FORK])
    a = rootfs.cpu
    assert b"True" in res.stdout and \
        f"linux {a.ABI.endian} {(1 << (a.ELF_CLASS - 1)) - 1} (3, 11)".encode() in res.stdout


def test_python3_threading(rootfs, binfmt, work):
    script = ("import threading, queue\nq = queue.Queue()\n"
              "def work(n): q.put(sum(i * i for i in range(n)))\n"
              "ts = [threading.Thread(target=work, args=(1000 * k,)) for k in range(1, 5)]\n"
              "[t.start() for t in ts]; [t.join() for t in ts]\n"
              "print(sorted(q.get() for _ in ts))\n")
    expected = sorted(sum(i * i for i in range(1000 * k)) for k in range(1, 5))
    both(rootfs, binfmt, work, ["/usr/bin/python3", "-c", script], f"{expected}\n")


def test_python3_subprocess(rootfs, binfmt, work):
    script = ("import subprocess\n"
              "out = subprocess.run(['sort', '-r'], input=b'a\\nc\\nb\\n', capture_output=True).stdout\n"
              "print(out.decode().split(), subprocess.call(['sh', '-c', 'exit 7']))\n")
    both(rootfs, binfmt, work, ["/usr/bin/python3", "-c", script], "['c', 'b', 'a'] 7\n", needs_exec=True)


def test_sqlite3(rootfs, binfmt, work):
    sql = ("create table t(k text, v integer); "
           "insert into t values ('a', 1), ('b', 2), ('a', 3); "
           "create index ti on t(k); "
           "select k, sum(v), count(*) from t group by k order by k; "
           "with recursive n(x) as (select 1 union all select x + 1 from n where x < 100) select sum(x) from n;")
    both(rootfs, binfmt, work, ["/usr/bin/sqlite3", ":memory:", sql], "a|4|2\nb|2|1\n5050\n")
    # a database file written under pyqemu, read back under both
    res = run(rootfs.cmd("/usr/bin/sqlite3", "test.db", sql),
              cwd=work, env=ENV)
    assert res.returncode == 0 and res.stdout == b"a|4|2\nb|2|1\n5050\n", res.stderr
    both(rootfs, binfmt, work, ["/usr/bin/sqlite3", "test.db", "select k, v from t order by v desc;"],
         "a|3\nb|2\na|1\n")


def test_lua(rootfs, binfmt, work):
    script = ('local t = {} for i = 1, 10 do t[#t + 1] = i * i end print(table.concat(t, ",")) '
              'print(string.format("%.4f", math.pi), ("hello"):upper():rep(2, "-")) '
              'local n = 0 for line in io.lines("csv.txt") do n = n + 1 end print(n) '
              'print(select("#", 1, 2, 3), math.type(1), math.type(1.0), 7 // 2, 2^10)')
    both(rootfs, binfmt, work, ["/usr/bin/lua5.4", "-e", script],
         "1,4,9,16,25,36,49,64,81,100\n3.1416\tHELLO-HELLO\n50\n3\tinteger\tfloat\t3\t1024.0\n")


def test_proc_self_in_root(rootfs, binfmt, work):
    """The root's programs reading /proc about themselves see their own names inside the root."""
    res = run(rootfs.cmd("/usr/bin/readlink", "/proc/self/exe",
                         "/proc/self/cwd"), cwd=work, env=ENV)
    assert res.stdout == f"/usr/bin/readlink\n{work}\n".encode()
    res = run(rootfs.cmd("/usr/bin/grep", "-c", "libc.so.6",
                         "/proc/self/maps"), cwd=work, env=ENV)
    assert int(res.stdout) >= 3
    res = run(rootfs.cmd("/usr/bin/python3", "-c",
                         "import os; print(os.readlink('/proc/self/exe'), open('/proc/self/comm').read().strip())"),
              cwd=work, env=ENV)
    assert res.stdout == b"/usr/bin/python3.11 python3.11\n"
