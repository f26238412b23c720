#!/usr/bin/env python3
"""pyqemu's own fuzzers: random syscalls from a guest program, and mutated ELF files.

    tools/fuzz.py syscalls [--arch A] [--seeds 1-8] [--calls 50000] [--timeout 600] [--jobs 1]
    tools/fuzz.py elf [--arch A] [--count 1000] [--seed 1] [--timeout 10] [--jobs 2]
    ./dev fuzz ...                      (the same, after set-up)

Every architecture in usermode.cpu.ARCH_NAMES by default. The guest programs are
built with the architecture's cross compiler (usermode.cpu.cross_tools) into
tests/.build/fuzz/.

syscalls: tests/guest/fuzz_syscalls.c makes CALLS random system calls from each
seed (hostile pointers, bad descriptors, random flags and sizes, ~200 syscalls,
nothing that can harm the host: see its header) in a scratch directory of its
own. A run passes if it completes: no Python traceback, no internal error, no
hang, no emulator crash. Its peak RSS (the emulator's, from wait4) is printed.

elf: mutants of the static and dynamic test programs (header and program header
fields, PT_INTERP and PT_DYNAMIC contents, random bytes, truncation). A mutant
passes if pyqemu runs it, refuses it in one line, or dies of the guest's own
signal (each mutant runs under a 3 GiB address-space limit: some ask for gigabytes); it fails on a traceback, an internal error, or an emulator crash. A
mutant that does not end in time counts as the guest's own loop only if
qemu-user does not end it in time either; else it is a hang. Failing mutants
are kept in tests/.build/fuzz/failures/.

Exit status: 0 when everything passed, 1 otherwise.
"""
import argparse
import hashlib
import os
import random
import re
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GUEST = os.path.join(ROOT, "tests", "guest")
BUILD = os.path.join(ROOT, "tests", ".build", "fuzz")
sys.path.insert(0, ROOT)

from usermode import cpu  # noqa: E402

INTERNAL_ERROR_STATUS = 70


# ---- building and running ----------------------------------------------------------------

def missing_calls_header(source):
    """A header making every SYS_<name> the fuzzer's table names -1 where the
    architecture has no such call (its spec is then left out of the draw)."""
    with open(os.path.join(GUEST, source)) as f:
        names = re.findall(r"^    S\((\w+),", f.read(), re.M)
    os.makedirs(BUILD, exist_ok=True)
    path = os.path.join(BUILD, "fuzz_missing.h")
    text = "".join(f"#ifndef SYS_{n}\n#define SYS_{n} -1\n#endif\n" for n in names)
    if _read(path) != text:
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
    return path


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def build(arch, source, mode="static", flags=()):
    """tests/guest/<source> compiled for arch (cached by content)."""
    cc = cpu.cross_tools(arch)["cc"]
    if shutil.which(cc) is None:
        raise SystemExit(f"fuzz: cross compiler {cc} missing (./dev test installs it)")
    src = os.path.join(GUEST, source)
    with open(src, "rb") as f:
        key = hashlib.sha256(f.read() + repr((arch, mode, tuple(flags))).encode()).hexdigest()[:16]
    os.makedirs(BUILD, exist_ok=True)
    out = os.path.join(BUILD, f"{os.path.splitext(source)[0]}-{arch}-{mode}-{key}")
    if not os.path.exists(out):
        tmp = f"{out}.{os.getpid()}.{threading.get_ident()}.tmp"  # runs in parallel build it too
        cmd = [cc, "-O2", "-Wall", "-o", tmp, src] + (["-static"] if mode == "static" else []) + list(flags)
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode:
            raise SystemExit(f"fuzz: building {source} for {arch} failed:\n{res.stderr}")
        os.replace(tmp, out)
    return out


def pyqemu(arch):
    """The pyqemu-<arch> this checkout installed (the venv's), else the one on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), f"pyqemu-{arch}")
    found = here if os.path.exists(here) else shutil.which(f"pyqemu-{arch}")
    if found is None:
        raise SystemExit(f"fuzz: pyqemu-{arch} is not installed (./dev test sets it up)")
    return found


class Run:
    """One program run: status (wait status), stderr's last 64 KiB, whether it timed
    out, and the peak RSS of the process (KiB, wait4's ru_maxrss)."""

    def __init__(self, status, err, timed_out, maxrss, seconds):
        self.status, self.err, self.timed_out, self.maxrss, self.seconds = status, err, timed_out, maxrss, seconds

    @property
    def signal(self):
        return os.WTERMSIG(self.status) if not self.timed_out and os.WIFSIGNALED(self.status) else None

    @property
    def code(self):
        return os.WEXITSTATUS(self.status) if not self.timed_out and os.WIFEXITED(self.status) else None


def run(cmd, timeout, cwd=None, address_space=None):
    """Run cmd in a session of its own (its children too are killed on a timeout),
    stdin an empty pipe, stdout and stderr drained (only stderr's tail kept), under
    an address-space limit if given (bytes)."""
    start = time.monotonic()

    def limit():
        if address_space:
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, preexec_fn=limit)
    proc.stdin.close()
    tail = bytearray()

    def drain(stream, keep):
        while True:
            chunk = stream.read(65536)
            if not chunk:
                return
            if keep:
                tail.extend(chunk)
                del tail[:-65536]
    readers = [threading.Thread(target=drain, args=(proc.stdout, False), daemon=True),
               threading.Thread(target=drain, args=(proc.stderr, True), daemon=True)]
    for r in readers:
        r.start()
    timed_out = False
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            timed_out = True
            _kill_group(proc.pid)
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    _kill_group(proc.pid)  # what the run left behind (its forked children)
    proc.returncode = status
    for r in readers:
        r.join(5)
    return Run(status, tail.decode("utf-8", "replace"), timed_out, usage.ru_maxrss, time.monotonic() - start)


def _kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def emulator_failure(result, prog_name):
    """What went wrong in the emulator itself, or None: a traceback, an internal
    error, a message from Python or Unicorn, or death by a signal it did not report
    as the guest's. (A hang is judged by the caller.)"""
    err = result.err
    if "Traceback (most recent call last)" in err:
        return "traceback"
    if "internal error" in err or result.code == INTERNAL_ERROR_STATUS:
        return "internal error"
    for marker in ("Fatal Python error", "Could not allocate dynamic translator buffer", "core dumped"):
        if marker in err:
            return f"emulator crash ({marker})"
    return None


def reported_guest_signal(result, prog_name):
    return re.search(rf"^{re.escape(prog_name)}: guest SIG\w+", result.err, re.M) is not None


# ---- the syscall fuzzer ------------------------------------------------------------------

def fuzz_syscalls(arch, seed, calls, timeout):
    """One seed: (verdict, details dict). verdict is "ok" or what failed."""
    prog = build(arch, "fuzz_syscalls.c", flags=[f'-DFUZZ_MISSING="{missing_calls_header("fuzz_syscalls.c")}"'])
    scratch = tempfile.mkdtemp(prefix=f"pyqemu-fuzz-{arch}-{seed}-")
    os.chmod(scratch, 0o777)  # a call may change the fuzzer's uid: it keeps its directory
    try:
        result = run([pyqemu(arch), prog, str(seed), str(calls), scratch], timeout, cwd=scratch)
        words = _progress(scratch, arch)
    finally:
        _remove_tree(scratch)
    name = f"pyqemu-{arch}"
    done, last_nr, args = words[0], words[1], words[2:8]
    summary = (f"{words[9]} succeeded, {words[10]} failed, {words[11]} signals caught, "
               f"{words[12]} syscalls in the table") if words[8] == calls else ""
    details = {"arch": arch, "seed": seed, "calls": calls, "done": done, "last_syscall": last_nr,
               "last_args": [hex(a) for a in args], "maxrss_kib": result.maxrss,
               "seconds": round(result.seconds, 1), "summary": summary,
               "unsupported": sorted(set(re.findall(r"unsupported (?:syscall|ioctl|prctl option) (\S+)", result.err)))}
    failure = emulator_failure(result, name)
    if failure:
        return failure, dict(details, stderr=result.err[-3000:])
    if result.timed_out:
        return "hang", dict(details, stderr=result.err[-3000:])
    if result.signal is not None:
        kind = "guest fault" if reported_guest_signal(result, name) else "emulator crash (signal)"
        return f"{kind}: {signal.Signals(result.signal).name}", dict(details, stderr=result.err[-3000:])
    if result.code != 0 or not summary:
        return f"incomplete (status {result.code})", dict(details, stderr=result.err[-3000:])
    return "ok", details


def _progress(scratch, arch):
    """The fuzzer's PROGRESS words (guest longs, in the guest's byte order), 16 of them."""
    abi = cpu.get(arch).ABI
    size = abi.word_bytes
    try:
        with open(os.path.join(scratch, "PROGRESS"), "rb") as f:
            data = f.read(16 * size)
    except OSError:
        data = b""
    data = data.ljust(16 * size, b"\0")
    return [int.from_bytes(data[i:i + size], abi.endian, signed=True) for i in range(0, 16 * size, size)]


def _remove_tree(path):
    def writable(func, p, _):
        try:
            os.chmod(os.path.dirname(p), 0o777)
            os.chmod(p, 0o777)
        except OSError:
            pass
        try:
            func(p)
        except OSError:
            pass
    shutil.rmtree(path, onerror=writable)


# ---- the ELF mutator -----------------------------------------------------------------------

SPECIAL = [0, 1, 0x1000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFF000,
           1 << 63, 1 << 47, 1 << 40]


class Shape:
    """Where an ELF's fields are, for its class (32 or 64) and byte order, from its
    original bytes (the mutations may break the header they came from)."""

    def __init__(self, data):
        self.wide = data[4] == 2
        self.order = "little" if data[5] == 1 else "big"
        self.end = "<" if self.order == "little" else ">"
        w = 8 if self.wide else 4
        self.word = w
        # e_type, e_machine, e_entry, e_phoff, e_flags, e_phentsize, e_phnum, and e_ident bytes
        self.header = [(0x10, 2), (0x12, 2), (0x18, w), (0x18 + w, w), (0x18 + 3 * w, 4),
                       (0x18 + 3 * w + 6, 2), (0x18 + 3 * w + 8, 2), (0x04, 1), (0x05, 1), (0x06, 1), (0x07, 1)]
        self.phentsize = 56 if self.wide else 32
        # program header fields in file order: (name, offset, size)
        names = ("type", "flags", "offset", "vaddr", "paddr", "filesz", "memsz", "align") if self.wide else \
            ("type", "offset", "vaddr", "paddr", "filesz", "memsz", "flags", "align")
        sizes = {"type": 4, "flags": 4}
        self.fields, pos = [], 0
        for name in names:
            size = sizes.get(name, w)
            self.fields.append((name, pos, size))
            pos += size
        self.dyn_entry = 2 * w

    def put(self, m, where, size, value):
        m[where:where + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(size, self.order)

    def phdrs(self, data):
        """[(offset, {field: value})] of the program headers (none if they cannot be read)."""
        w = self.word
        try:
            phoff = int.from_bytes(data[0x18 + w:0x18 + 2 * w], self.order)
            phentsize, phnum = struct.unpack_from(self.end + "HH", data, 0x18 + 3 * w + 6)
        except struct.error:
            return []
        if phentsize != self.phentsize:
            return []
        out = []
        for i in range(min(phnum, 64)):
            off = phoff + i * phentsize
            if off + phentsize > len(data):
                break
            out.append((off, {name: int.from_bytes(data[off + at:off + at + size], self.order)
                              for name, at, size in self.fields}))
        return out


def mutate(data, rng):
    """One mutant of an ELF (either class, either byte order): 1 to 4 mutations."""
    shape = Shape(data)
    m = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.random()
        phdrs = shape.phdrs(m)
        if kind < 0.2:  # an ELF header field
            off, size = rng.choice(shape.header)
            shape.put(m, off, size, rng.choice(SPECIAL + [rng.getrandbits(8 * size)]))
        elif kind < 0.5 and phdrs:  # a program header field
            off, fields = rng.choice(phdrs)
            name, at, size = rng.choice(shape.fields)
            if name == "type":
                value = rng.choice([0, 1, 2, 3, 4, 6, 7, 0x6474e550, 0x6474e551, 0x6474e552, rng.getrandbits(32)])
            elif name == "flags":
                value = rng.getrandbits(3) | rng.choice([0, 0, rng.getrandbits(32)])
            else:
                value = rng.choice(SPECIAL + [fields[name] + rng.randint(-0x2000, 0x2000), rng.getrandbits(64)])
            shape.put(m, off + at, size, value)
        elif kind < 0.6 and phdrs:  # PT_INTERP's string
            interp = [f for o, f in phdrs if f["type"] == 3]
            if interp and interp[0]["offset"] < len(m):
                start, size = interp[0]["offset"], interp[0]["filesz"]
                choice = rng.choice([b"/", b"/etc/passwd", b"/dev/zero", b"/lib", b"", b"x" * 300,
                                     bytes(rng.getrandbits(8) for _ in range(8))])
                piece = (choice + b"\0")[:max(size, 1)]
                m[start:start + len(piece)] = piece
        elif kind < 0.7 and phdrs:  # a PT_DYNAMIC entry's tag or value
            dyn = [f for o, f in phdrs if f["type"] == 2]
            entry_size = shape.dyn_entry
            if dyn and dyn[0]["offset"] + entry_size <= len(m):
                start, size = dyn[0]["offset"], max(dyn[0]["filesz"], entry_size)
                entry = start + entry_size * rng.randrange(max(size // entry_size, 1))
                if entry + entry_size <= len(m):
                    value = rng.choice(SPECIAL + [rng.getrandbits(64), rng.randrange(40)])
                    shape.put(m, entry + shape.word * rng.randrange(2), shape.word, value)
        elif kind < 0.9:  # bytes anywhere in the first 64 KiB (code, data, tables)
            for _ in range(rng.randint(1, 16)):
                pos = rng.randrange(min(len(m), 65536))
                m[pos] = rng.getrandbits(8)
        elif kind < 0.95 and len(phdrs) >= 2:  # two program headers swapped
            (a, _), (b, _) = rng.sample(phdrs, 2)
            n = shape.phentsize
            m[a:a + n], m[b:b + n] = m[b:b + n], m[a:a + n]
        else:  # truncated
            del m[rng.randrange(1, len(m)):]
    return bytes(m)


def fuzz_elf(arch, count, seed, timeout, jobs, keep=None):
    """count mutants of the static and dynamic hello for arch: [(index, verdict, detail)]."""
    keep = keep or os.path.join(BUILD, "failures")
    sources = [build(arch, "hello.c", "static"), build(arch, "hello.c", "dynamic")]
    originals = [open(p, "rb").read() for p in sources]
    rng = random.Random(f"{arch}:{seed}")
    scratch = tempfile.mkdtemp(prefix=f"pyqemu-elf-{arch}-")
    outcomes = []
    lock = threading.Lock()
    todo = list(range(count))

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                i = todo.pop(0)
                data = mutate(originals[i % 2], rng)
            path = os.path.join(scratch, f"m{i}")
            with open(path, "wb") as f:
                f.write(data)
            os.chmod(path, 0o755)
            verdict, detail = judge_mutant(arch, path, timeout)
            if verdict not in FINE:
                os.makedirs(keep, exist_ok=True)
                shutil.copy(path, os.path.join(keep, f"{arch}-{seed}-{i}"))
            with lock:
                outcomes.append((i, verdict, detail))
            os.unlink(path)

    threads = [threading.Thread(target=worker) for _ in range(max(1, jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _remove_tree(scratch)
    return sorted(outcomes)


FINE = ("ran", "refused", "guest signal", "guest loop", "guest loop after a Unicorn no-op")
MUTANT_ROOM = 3 << 30  # a mutant may ask for gigabytes (a 4 GiB PT_TLS is copied): not of this machine


def mutant_address_space(arch):
    """The limit mutants run under: MUTANT_ROOM, beside a reservation the arch needs whole."""
    return MUTANT_ROOM + (cpu.get(arch).ADDRESS_SPACE_SIZE or 0)


def judge_mutant(arch, path, timeout):
    name = f"pyqemu-{arch}"
    result = run([pyqemu(arch), path], timeout, cwd=os.path.dirname(path), address_space=mutant_address_space(arch))
    failure = emulator_failure(result, name)
    if failure:
        return failure, result.err[-2000:]
    ours = [ln for ln in result.err.splitlines() if ln.startswith(name + ":") and "unsupported" not in ln]
    if result.timed_out or result.signal is not None and not reported_guest_signal(result, name):
        # the guest's own loop, or its own death by a signal, if qemu-user sees the same
        qemu = cpu.cross_tools(arch)["qemu"]
        theirs = run([qemu, "-L", cpu.cross_tools(arch)["sysroot"], path], timeout, cwd=os.path.dirname(path),
                     address_space=mutant_address_space(arch)) if shutil.which(qemu) else None
        if result.timed_out:
            if theirs is not None and theirs.timed_out:
                return "guest loop", ""
            if theirs is not None and theirs.signal == signal.SIGILL and _unicorn_nop(arch, path, timeout):
                return "guest loop after a Unicorn no-op", ""
            return "hang", result.err[-2000:]
        if theirs is not None and theirs.signal == result.signal:
            return "guest signal", ""
        return f"emulator crash (signal {signal.Signals(result.signal).name})", result.err[-2000:]
    if result.signal is not None:
        return "guest signal", ""
    if ours and "guest SIG" not in ours[0]:
        if len(ours) != 1:
            return "more than one line", result.err[-2000:]
        return "refused", ours[0]
    return "ran", ""


# Reserved encodings Unicorn 2.1.4 runs as no-ops where the hardware and qemu-user
# raise SIGILL (its QEMU 5.0 base decodes them in a legacy switch with no default):
# a program reaching one carries on, and may loop where qemu-user stops it.
UNICORN_NOPS = {
    # RVC quadrant 0 with funct3 100 (0x8000-0x9ffc, low bits 00): reserved before Zcb
    "riscv64": lambda insn: len(insn) == 2 and insn[0] & 3 == 0 and insn[1] >> 5 == 4,
}


def _unicorn_nop(arch, path, timeout):
    """Whether qemu-user's SIGILL on this program is at an instruction Unicorn runs as a no-op."""
    known = UNICORN_NOPS.get(arch)
    if known is None:
        return False
    log = path + ".qemu-log"
    qemu = cpu.cross_tools(arch)["qemu"]
    run([qemu, "-L", cpu.cross_tools(arch)["sysroot"], "-d", "in_asm", "-D", log, path], timeout,
        cwd=os.path.dirname(path), address_space=mutant_address_space(arch))
    try:
        with open(log, errors="replace") as f:
            lines = [ln for ln in f if "illegal" in ln]
        os.unlink(log)
    except OSError:
        return False
    if not lines:
        return False
    words = lines[-1].split()
    try:
        encoding = bytes.fromhex(words[1])[::-1]  # qemu prints the instruction as a number
    except (IndexError, ValueError):
        return False
    return known(encoding)


# ---- the command line ------------------------------------------------------------------------

def _seeds(text):
    out = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b) + 1)) if b else [int(a)]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(prog="fuzz", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    s = sub.add_parser("syscalls", help="the random-syscall fuzzer")
    s.add_argument("--arch", action="append", choices=cpu.ARCH_NAMES)
    s.add_argument("--seeds", default="1-8", help="e.g. 1-8 or 3,5")
    s.add_argument("--calls", type=int, default=50000)
    s.add_argument("--timeout", type=float, default=600, help="seconds per run before it counts as a hang")
    s.add_argument("--jobs", type=int, default=1)
    e = sub.add_parser("elf", help="the ELF mutator")
    e.add_argument("--arch", action="append", choices=cpu.ARCH_NAMES)
    e.add_argument("--count", type=int, default=1000)
    e.add_argument("--seed", type=int, default=1)
    e.add_argument("--timeout", type=float, default=10)
    e.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    arches = args.arch or list(cpu.ARCH_NAMES)
    failed = False
    if args.what == "syscalls":
        for arch in arches:  # here, not in a worker thread: a build failure is reported and ends the run
            build(arch, "fuzz_syscalls.c", flags=[f'-DFUZZ_MISSING="{missing_calls_header("fuzz_syscalls.c")}"'])
        runs = [(arch, seed) for arch in arches for seed in _seeds(args.seeds)]
        lock = threading.Lock()

        def worker():
            nonlocal failed
            while True:
                with lock:
                    if not runs:
                        return
                    arch, seed = runs.pop(0)
                verdict, d = fuzz_syscalls(arch, seed, args.calls, args.timeout)
                with lock:
                    failed |= verdict != "ok"
                    print(f"{arch} seed {seed}: {verdict}: {d['done']}/{d['calls']} calls in {d['seconds']} s, "
                          f"peak RSS {d['maxrss_kib'] / 1024:.0f} MiB; {d['summary']}", flush=True)
                    if verdict != "ok":
                        print(f"    last syscall {d['last_syscall']}{tuple(d['last_args'])}; stderr tail:\n"
                              f"{d.get('stderr', '')}", flush=True)
        threads = [threading.Thread(target=worker) for _ in range(max(1, args.jobs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    else:
        for arch in arches:
            start = time.monotonic()
            outcomes = fuzz_elf(arch, args.count, args.seed, args.timeout, args.jobs)
            counts = {}
            for i, verdict, detail in outcomes:
                counts[verdict] = counts.get(verdict, 0) + 1
                if verdict not in FINE:
                    failed = True
                    print(f"{arch} mutant {i}: {verdict}\n{detail}", flush=True)
            print(f"{arch}: {args.count} mutants in {time.monotonic() - start:.0f} s: " +
                  ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
