"""Start-up: what a program does not use is not loaded (issue 15). The handler
modules are imported at their syscall's first lookup through an index of which
module declares which call; these tests check that the index is the registry's
own, that it is rebuilt when a handler file changes, and that a run imports
only what its calls need."""
import os
import subprocess
import sys

import pytest

from conftest import assert_same_as_qemu, build, run_pyqemu

HANDLERS = "usermode.syscalls.handlers"


@pytest.fixture(autouse=True, scope="module")
def index_written():
    """The handler index as `./dev` leaves it (written even where PYTHONDONTWRITEBYTECODE
    is set): without it every start imports every module, which is what is tested here."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-c", "import usermode.syscalls.handlers"], env=env, check=True, timeout=120)


def _python(code, env=None):
    """Run code in a fresh interpreter (nothing imported yet); its stdout."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env=env or os.environ)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_index_is_the_registry():
    """After every module is imported, each declaration's module is the one the index
    names for it, and the index names nothing the registry lacks."""
    from usermode.syscalls import handler_index, handlers, registry
    handlers.load_all()
    built = handler_index.build()
    assert set(built) == set(registry.REGISTRY)
    for name, variants in registry.REGISTRY.items():
        for decl in variants:
            assert decl.module and decl.module.startswith(HANDLERS + "."), (name, decl.module)
            assert decl.module in built[name]
    # registered under another name by another statement of the same module (fs.py's
    # syscall(truncate, name="truncate64")), and a twin (clock_gettime64)
    assert built["truncate64"] == (f"{HANDLERS}.fs",)
    assert built["clock_gettime64"] == built["clock_gettime"]
    # mmap's variants (old_mmap) all come from the modules named
    assert len(registry.REGISTRY["mmap"]) >= 2


def test_index_cache_is_rebuilt_when_a_handler_changes(tmp_path, monkeypatch):
    from usermode.syscalls import handler_index
    folder = tmp_path / "handlers"
    folder.mkdir()
    (folder / "one.py").write_text("x = 1\n")
    loads = []
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    first = handler_index.load("pkg", str(folder), lambda: loads.append(1))
    assert loads == [1] and first == handler_index.build()
    assert handler_index.load("pkg", str(folder), lambda: loads.append(2)) == first
    assert loads == [1], "a valid cache is used as it is"
    (folder / "one.py").write_text("x = 22\n")  # another size: another stamp
    handler_index.load("pkg", str(folder), lambda: loads.append(3))
    assert loads == [1, 3]
    (folder / "two.py").write_text("")  # a new module
    handler_index.load("pkg", str(folder), lambda: loads.append(4))
    assert loads == [1, 3, 4]
    # without the right to write bytecode, nothing is written and every load imports all
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    (folder / "one.py").write_text("x = 333\n")
    handler_index.load("pkg", str(folder), lambda: loads.append(5))
    handler_index.load("pkg", str(folder), lambda: loads.append(6))
    assert loads == [1, 3, 4, 5, 6]


_LAZY = """
import sys
from usermode import cpu
from usermode.syscalls.dispatch import SyscallTable
from usermode.syscalls import registry
loaded = lambda: sorted(m.rsplit(".", 1)[1] for m in sys.modules if m.startswith("usermode.syscalls.handlers."))
arches = [cpu.get(name) for name in cpu.ARCH_NAMES]  # (MIPS' cpu module imports fds for its own use)
before = loaded()
tables = {arch.NAME: SyscallTable(arch) for arch in arches}
print(before == loaded(), ",".join(before))
table = tables["riscv64"]
index = table.number("openat") - table.base
print(table.entry(index)[0], table.entry(index)[1].fn.__module__, "fs" in loaded(), "ipc" in loaded())
"""


def test_tables_import_no_handler_until_a_call_is_looked_up():
    made, lookups = _python(_LAZY).splitlines()
    same, helpers = made.split(" ", 1)
    assert same == "True", "building every arch's syscall table imported handler modules"
    assert "ipc" not in helpers.split(",")
    assert lookups == f"openat {HANDLERS}.fs True False"


def test_lazy_lookups_equal_full_ones():
    """Every arch's every syscall name: the declaration a lazy lookup finds is the one
    found with every module imported first."""
    code = """
import sys
from usermode import cpu
from usermode.syscalls import registry, handlers
if sys.argv[1] == "all":
    handlers.load_all()
for name in cpu.ARCH_NAMES:
    arch = cpu.get(name)
    for call in sorted(arch.ABI.tables.SYSCALLS):
        d = registry.lookup(call, arch.ABI, getattr(arch, "SYSCALLS", None))
        fn = d and getattr(d.fn, "func", d.fn)  # a twin: a partial binding keywords
        print(name, call, d and (fn.__module__, fn.__qualname__, getattr(d.fn, "keywords", None), d.when))
"""
    def run(mode):
        out = subprocess.run([sys.executable, "-c", code, mode], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout
    lazy, full = run("lazy"), run("all")
    assert lazy.count("\n") > 3000
    assert lazy == full


def test_ioctl_requests_of_other_modules_are_there_when_asked_for():
    code = """
from usermode import cpu
from usermode.syscalls.handlers import tty
abi = cpu.get("riscv64").ABI
tcgets = tty._request(abi, abi.tables.IOCTL["TCGETS"])  # tty's own: devices.py not needed yet
alone = "usermode.syscalls.handlers.devices" not in sys.modules
blk = tty._request(abi, abi.tables.IOCTL["BLKGETSIZE64"])  # devices.py's, imported for it
first = sorted(tty.REQUESTS)
from usermode.syscalls import handlers
handlers.load_all()
print(tcgets[0], alone, blk[0], first == sorted(tty.REQUESTS))
"""
    assert _python("import sys\n" + code).split() == ["TCGETS", "True", "BLKGETSIZE64", "True"]


def test_hello_imports_only_the_handlers_it_calls(arch):
    """A static hello's run imports the handler modules of its calls, not the
    socket, IPC, timer or inotify ones."""
    prog = build(arch, "hello.c")
    code = f"""
import os, sys
from usermode import cli
real_exit = os._exit
def report(status):
    sys.stdout.flush()
    names = sorted(m.rsplit(".", 1)[1] for m in sys.modules if m.startswith("{HANDLERS}."))
    os.write(2, ("MODULES " + " ".join(names) + "\\n").encode())
    real_exit(status)
os._exit = report
cli.main([{prog!r}], arch_name={arch!r})
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 42, out.stderr
    assert "hello from" in out.stdout  # (its status is 42)
    line = [l for l in out.stderr.splitlines() if l.startswith("MODULES ")][-1]
    modules = set(line.split()[1:])
    assert {"io", "mm"} <= modules  # write, brk
    assert not modules & {"net", "ipc", "timers", "inotify", "mqueue", "poll", "mmsg", "devices"}, modules
    # and the run itself is the same as with the whole registry
    assert run_pyqemu(arch, prog).stdout.decode() == out.stdout


def test_calls_work_after_the_process_limits_its_descriptors(arch):
    """RLIMIT_NOFILE at the three open descriptors: the modules of later calls were
    imported before the limit took effect (proc.py), so they do not fail for want of one."""
    prog = build(arch, "narrowed.c")
    result = assert_same_as_qemu(arch, prog, "nofile")
    assert b"open: -1 Too many open files" in result.stdout
    assert b"semget: ok" in result.stdout and b"warning" not in result.stderr.lower()


@pytest.mark.skipif(os.getuid() != 0, reason="dropping rights needs root")
def test_calls_work_after_the_process_drops_its_rights(arch):
    """setuid to nobody: the Python in /root may be unreadable then; every handler
    module was imported before the first setuid-family call (registry.NARROWING)."""
    prog = build(arch, "narrowed.c")
    os.chmod(prog, 0o755)
    result = assert_same_as_qemu(arch, prog, "setuid")
    assert b"uid 65534" in result.stdout and b"semget: ok" in result.stdout
    assert b"internal error" not in result.stderr


def test_a_handler_module_that_cannot_be_imported_is_enosys(arch):
    """Where a call's module cannot be imported at its first call (a case the imports
    ahead of narrowing calls do not foresee), the guest gets ENOSYS with one warning,
    never another call's errno or a traceback, and the other calls work."""
    prog = build(arch, "narrowed.c")
    code = f"""
import sys
from usermode import cli
from usermode.syscalls import handlers, registry
registry._pending["getitimer"] = ("{HANDLERS}.no_such_module",)
sys.argv = ["pyqemu-{arch}", {prog!r}]
cli.entry({arch!r})
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "getitimer: -1" in out.stdout and "semget: ok" in out.stdout
    warnings = [line for line in out.stderr.splitlines() if "could not be imported" in line]
    assert len(warnings) == 1 and "syscall getitimer" in warnings[0] and "Traceback" not in out.stderr


def test_every_declaring_module_is_listed():
    """A handler module that declares syscalls (or ioctl requests) is in handlers.MODULES,
    and one adding ioctl requests in tty.REQUEST_MODULES: else the index never names it
    and its calls are ENOSYS."""
    from usermode.syscalls import handlers
    from usermode.syscalls.handlers import tty
    folder = os.path.dirname(handlers.__file__)
    declaring, requesting = set(), set()
    for entry in sorted(os.listdir(folder)):
        if not entry.endswith(".py") or entry == "__init__.py":
            continue
        with open(os.path.join(folder, entry)) as f:
            text = f.read()
        if "@syscall" in text or "\nsyscall(" in text:
            declaring.add(entry[:-3])
        if "\nioctl_request(" in text and entry != "tty.py":
            requesting.add(entry[:-3])
    assert declaring and requesting
    assert declaring | requesting <= set(handlers.MODULES)
    assert requesting <= set(tty.REQUEST_MODULES)
