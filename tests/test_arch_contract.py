"""One checked contract for an architecture (usermode/cpu/__init__.py), and one
registry from which everything else is derived (usermode/cpu/registry.py)."""
import os
import shutil
import sys
import types

import pytest

from conftest import ARCHES, installed_script, run
from usermode import cpu
from usermode.cpu import registry


def test_every_registered_arch_meets_the_contract(arch):
    module = cpu.get(arch)
    for name in cpu.REQUIRED:
        assert hasattr(module, name), name
    assert module.NAME == arch and registry.facts(arch)["TRIPLE"] == module.TRIPLE
    assert module.DEFAULT_CPU in module.CPU_MODELS
    conv = module.CONVENTION
    assert all(reg in module.GPR_IDS for reg in conv.registers())


def test_a_module_missing_a_name_is_refused_naming_it():
    fake = types.ModuleType("usermode.cpu.fake")
    for name in cpu.REQUIRED:
        setattr(fake, name, None)
    del fake.setup_frame
    with pytest.raises(ImportError, match="setup_frame"):
        cpu._complete(fake)


def test_facts_are_read_without_importing_unicorn(tmp_path):
    """setup.py and ./dev read the registry with the system Python and no packages."""
    script = os.path.join(os.path.dirname(cpu.__file__), "registry.py")
    res = run([sys.executable, "-S", "-I", script, "names"])
    assert res.returncode == 0 and res.stdout.decode().split() == list(registry.NAMES)
    res = run([sys.executable, "-S", "-I", script, "packages"])
    assert res.returncode == 0 and "gcc-arm-linux-gnueabihf" in res.stdout.decode().split()


def test_each_arch_has_its_console_script_and_table(arch):
    assert installed_script(f"pyqemu-{arch}")
    assert os.path.isfile(os.path.join(os.path.dirname(cpu.__file__), "..", "tables", f"{arch}.py"))


def test_the_table_generator_targets_every_arch():
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
    import gen_tables
    assert set(registry.NAMES) <= set(gen_tables.TARGETS)


def test_aliases_name_one_arch_each():
    seen = {}
    for name in registry.NAMES:
        for alias in registry.facts(name)["ALIASES"]:
            assert alias not in seen and alias not in registry.NAMES, alias
            seen[alias] = name
            assert registry.canonical(alias) == name


def test_facts_cache_follows_the_modules(tmp_path):
    """The facts are kept in __pycache__ (parsing every module cost 12 ms of each
    start-up): an edited module is read again, a damaged cache is ignored, and -B
    writes none."""
    folder = os.path.dirname(cpu.__file__)
    for name in ("registry.py", "riscv64.py"):
        shutil.copy(os.path.join(folder, name), tmp_path / name)
    probe = [sys.executable, "-S", "-I", "-c",
             f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import registry; "
             "print(registry.facts('riscv64')['DEBIAN_ARCH'])"]
    cache = tmp_path / "__pycache__" / f"registry-facts.{sys.implementation.cache_tag}.marshal"
    assert run(probe).stdout.decode().split() == ["riscv64"]
    assert cache.exists()
    source = (tmp_path / "riscv64.py").read_text()
    (tmp_path / "riscv64.py").write_text(source.replace('DEBIAN_ARCH = "riscv64"', 'DEBIAN_ARCH = "changed"'))
    assert run(probe).stdout.decode().split() == ["changed"]
    cache.write_bytes(b"not marshal data")
    assert run(probe).stdout.decode().split() == ["changed"]
    cache.unlink()
    res = run(probe[:1] + ["-B"] + probe[1:])
    assert res.stdout.decode().split() == ["changed"] and not cache.exists()
