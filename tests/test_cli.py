"""The qemu-user compatible command line: options, their PYQEMU_* environment
variables, and what the guest sees -- against qemu-user wherever the option
is qemu's too."""
import os
import re
import subprocess

import pytest

from conftest import ARCHES, assert_same_as_qemu, build, pyqemu_command, run, run_pyqemu, run_qemu

ALL_OPTIONS = ["-h", "-help", "-L", "-s", "-cpu", "-E", "-U", "-0", "-strace", "-d", "-D", "-version"]
ENV_VARS = ["PYQEMU_LD_PREFIX", "PYQEMU_STACK_SIZE", "PYQEMU_CPU", "PYQEMU_SET_ENV", "PYQEMU_UNSET_ENV",
            "PYQEMU_ARGV0", "PYQEMU_STRACE", "PYQEMU_LOG", "PYQEMU_LOG_FILENAME"]


def env_prog(arch):
    return build(arch, "env.c", "static")


def with_env(**kw):
    env = dict(os.environ)
    for k in list(env):
        if k.startswith(("PYQEMU_", "QEMU_")):
            del env[k]
    for k, v in kw.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def lines(res):
    return res.stdout.decode().splitlines()


# ---- information -------------------------------------------------------------


@pytest.mark.parametrize("option", ["-h", "-help", "--help"])
def test_help_lists_options_and_env_vars(arch, option):
    res = run(pyqemu_command(arch) + [option])
    assert res.returncode == 0 and res.stderr == b""
    out = res.stdout.decode()
    assert out.startswith(f"usage: pyqemu-{arch} [options] program [arguments...]")
    for name in ALL_OPTIONS:
        assert re.search(rf"^\s+{re.escape(name)}\b", out, re.M), name
    for var in ENV_VARS:
        assert var in out, var


def test_help_of_plain_pyqemu():
    res = run(pyqemu_command() + ["-h"])
    assert res.returncode == 0
    assert "riscv64 or aarch64" in res.stdout.decode()


def test_help_stops_option_parsing(arch):
    """Like qemu: -h acts at once, even before a bad option or no program."""
    res = run(pyqemu_command(arch) + ["-h", "-bogus"])
    assert res.returncode == 0 and b"usage:" in res.stdout


def test_version(arch):
    res = run(pyqemu_command(arch) + ["-version"])
    assert res.returncode == 0 and res.stderr == b""
    assert re.match(rf"pyqemu-{arch} version \d+\.\d+", res.stdout.decode())


def test_cpu_help_lists_the_models_of_the_arch(arch):
    res = run(pyqemu_command(arch) + ["-cpu", "help"])
    assert res.returncode == 0 and res.stderr == b""
    out = lines(res)
    assert out[0] == f"Available CPUs for {arch}:"
    ours = [line.split()[0] for line in out[1:]]
    assert ours and sum("(default)" in line for line in out) == 1
    # every model we offer is one qemu-user knows by the same name
    theirs = run([ARCHES[arch]["qemu"], "-cpu", "help"])
    # any word of its list, quotes off (qemu-mips prints "MIPS '24Kf'")
    qemu_models = {word.strip("'") for word in theirs.stdout.decode().split()}
    assert set(ours) <= qemu_models, (ours, sorted(qemu_models))


def test_cpu_help_plain_pyqemu_lists_both():
    out = run(pyqemu_command() + ["-cpu", "help"]).stdout.decode()
    assert "Available CPUs for riscv64:" in out and "Available CPUs for aarch64:" in out


def test_cpu_model_is_accepted(arch):
    from usermode import cpu
    prog = build(arch, "hello.c", "static")
    for model in cpu.get(arch).CPU_MODELS:
        if model.startswith("sifive-e"):
            continue  # an embedded core without the FPU/MMU a glibc program needs
        res = run_pyqemu(arch, prog, options=["-cpu", model])
        if res.returncode != 42:  # a core older than the program's ISA (ARMv6 for armhf's ARMv7)
            assert res.returncode == run_qemu(arch, prog, options=["-cpu", model]).returncode, (model, res.stderr)


def test_debug_help(arch):
    res = run(pyqemu_command(arch) + ["-d", "help"])
    assert res.returncode == 0 and res.stderr == b""
    out = res.stdout.decode()
    for item in ["in_asm", "exec", "strace", "page", "unimp", "guest_errors"]:
        assert re.search(rf"^\s+{item}\s", out, re.M), item


# ---- the guest's environment and arguments -------------------------------------


def test_set_and_unset_env(arch):
    env = with_env(PQ_KEEP="kept", PQ_DROP="dropped")
    res = assert_same_as_qemu(arch, env_prog(arch), "@PQ_KEEP", "@PQ_DROP", "@PQ_NEW", "@PQ_EMPTY",
                              options=["-E", "PQ_NEW=new value", "-U", "PQ_DROP", "-E", "PQ_EMPTY="], env=env)
    out = lines(res)
    assert "PQ_KEEP=kept" in out and "PQ_DROP unset" in out
    assert "PQ_NEW=new value" in out and "PQ_EMPTY=" in out


def test_set_env_comma_separated(arch):
    res = assert_same_as_qemu(arch, env_prog(arch), "@PQ_A", "@PQ_B", "@PQ_C",
                              options=["-E", "PQ_A=1,PQ_B=2", "-E", "PQ_C=3"], env=with_env())
    assert lines(res)[-3:] == ["PQ_A=1", "PQ_B=2", "PQ_C=3"]


def test_unset_env_comma_separated(arch):
    res = assert_same_as_qemu(arch, env_prog(arch), "@PQ_A", "@PQ_B",
                              options=["-U", "PQ_A,PQ_B"], env=with_env(PQ_A="1", PQ_B="2"))
    assert lines(res)[-2:] == ["PQ_A unset", "PQ_B unset"]


def test_set_then_unset_in_order(arch):
    res = run_pyqemu(arch, env_prog(arch), "@PQ_A", "@PQ_B",
                     options=["-E", "PQ_A=1", "-U", "PQ_A", "-U", "PQ_B", "-E", "PQ_B=2"], env=with_env())
    assert lines(res)[-2:] == ["PQ_A unset", "PQ_B=2"]


def test_argv0(arch):
    res = assert_same_as_qemu(arch, env_prog(arch), "x", options=["-0", "my name"])
    assert lines(res)[:3] == ["argc=2", "argv[0]=my name", "argv[1]=x"]


def test_argv_intact(arch):
    args = ["", "two words", "-h", "--", "ünïcödé", "a" * 5000, "*"]
    res = assert_same_as_qemu(arch, env_prog(arch), *args)
    out = lines(res)
    assert out[0] == f"argc={len(args) + 1}"
    assert out[2:2 + len(args)] == [f"argv[{i + 1}]={a}" for i, a in enumerate(args)]


def test_stack_size_option(arch):
    """40 MiB on the stack: too much for the default 8M, fine with -s 64M (as qemu)."""
    prog = env_prog(arch)
    res = assert_same_as_qemu(arch, prog, "stack=40", options=["-s", "64M"])
    assert "used 40 MiB of stack (0)" in lines(res)
    res = run_pyqemu(arch, prog, "stack=40")
    assert res.returncode == -11, res.stderr
    assert b"guest SIGSEGV" in res.stderr


@pytest.mark.parametrize("size", ["67108864", "65536k", "64M", "1G", "0x4000000"])
def test_stack_size_spellings(arch, size):
    res = run_pyqemu(arch, env_prog(arch), "stack=40", options=["-s", size])
    assert res.returncode == 0, res.stderr


# ---- option syntax ------------------------------------------------------------


def test_double_dash_ends_options(arch):
    res = assert_same_as_qemu(arch, env_prog(arch), "-h", "-L", "x", options=["-0", "zero", "--"])
    assert lines(res)[:5] == ["argc=4", "argv[0]=zero", "argv[1]=-h", "argv[2]=-L", "argv[3]=x"]


def test_options_after_the_program_go_to_the_guest(arch):
    res = assert_same_as_qemu(arch, env_prog(arch), "-h", "-strace", "-E", "A=B", "-version")
    assert lines(res)[1:6] == [f"argv[0]={env_prog(arch)}", "argv[1]=-h", "argv[2]=-strace",
                               "argv[3]=-E", "argv[4]=A=B"]
    assert res.stderr == b""


def test_double_dash_spelling_of_options(arch):
    """qemu accepts --opt for -opt; so do we."""
    res = assert_same_as_qemu(arch, env_prog(arch), options=["--0", "dd"])
    assert lines(res)[1] == "argv[0]=dd"


# ---- environment variables: the same meaning, the command line wins ----------------


def test_env_var_set_env(arch):
    prog = env_prog(arch)
    ours = run_pyqemu(arch, prog, "@PQ_A", "@PQ_B", "@PQ_C",
                      env=with_env(PYQEMU_SET_ENV="PQ_A=1,PQ_B=2", PQ_C="host"))
    theirs = run_qemu(arch, prog, "@PQ_A", "@PQ_B", "@PQ_C",
                      env=with_env(QEMU_SET_ENV="PQ_A=1,PQ_B=2", PQ_C="host"))
    assert ours.returncode == theirs.returncode == 0
    assert lines(ours)[-3:] == ["PQ_A=1", "PQ_B=2", "PQ_C=host"]
    assert [line for line in lines(ours) if line.startswith("PQ_")] == \
        [line for line in lines(theirs) if line.startswith("PQ_")]


def test_env_var_unset_env(arch):
    res = run_pyqemu(arch, env_prog(arch), "@PQ_A", "@PQ_B",
                     env=with_env(PYQEMU_UNSET_ENV="PQ_A", PQ_A="1", PQ_B="2"))
    assert lines(res)[-2:] == ["PQ_A unset", "PQ_B=2"]


def test_command_line_env_ops_come_after_the_env_vars(arch):
    res = run_pyqemu(arch, env_prog(arch), "@PQ_A", "@PQ_B",
                     options=["-U", "PQ_A", "-E", "PQ_B=cmd"],
                     env=with_env(PYQEMU_SET_ENV="PQ_A=env,PQ_B=env"))
    assert lines(res)[-2:] == ["PQ_A unset", "PQ_B=cmd"]


def test_env_var_argv0_and_command_line_wins(arch):
    prog = env_prog(arch)
    res = run_pyqemu(arch, prog, env=with_env(PYQEMU_ARGV0="from env"))
    assert lines(res)[1] == "argv[0]=from env"
    theirs = run_qemu(arch, prog, env=with_env(QEMU_ARGV0="from env"))
    assert lines(theirs)[1] == "argv[0]=from env"
    res = run_pyqemu(arch, prog, options=["-0", "from cmd"], env=with_env(PYQEMU_ARGV0="from env"))
    assert lines(res)[1] == "argv[0]=from cmd"


def test_env_var_stack_size_and_command_line_wins(arch):
    prog = env_prog(arch)
    res = run_pyqemu(arch, prog, "stack=40", env=with_env(PYQEMU_STACK_SIZE="64M"))
    assert res.returncode == 0, res.stderr
    res = run_pyqemu(arch, prog, "stack=40", options=["-s", "8M"], env=with_env(PYQEMU_STACK_SIZE="64M"))
    assert res.returncode == -11
    res = run_pyqemu(arch, prog, "stack=40", options=["-s", "64M"], env=with_env(PYQEMU_STACK_SIZE="8M"))
    assert res.returncode == 0, res.stderr


def test_env_var_ld_prefix_and_command_line_wins(arch, tmp_path):
    prog = build(arch, "hello.c", "dynamic")
    sysroot = ARCHES[arch]["sysroot"]
    res = run_pyqemu(arch, prog, env=with_env(PYQEMU_LD_PREFIX=sysroot))
    assert res.returncode == 42, res.stderr
    theirs = run_qemu(arch, prog, env=with_env(QEMU_LD_PREFIX=sysroot))
    assert res.stdout == theirs.stdout and theirs.returncode == 42
    res = run_pyqemu(arch, prog, options=["-L", str(tmp_path)], env=with_env(PYQEMU_LD_PREFIX=sysroot))
    assert res.returncode != 0 and str(tmp_path).encode() in res.stderr
    res = run_pyqemu(arch, prog, options=["-L", sysroot], env=with_env(PYQEMU_LD_PREFIX=str(tmp_path)))
    assert res.returncode == 42, res.stderr


def test_strace_option_and_env_var(arch, tmp_path):
    prog = build(arch, "hello.c", "static")
    for how in (dict(options=["-strace"]), dict(env=with_env(PYQEMU_STRACE="1"))):
        res = run_pyqemu(arch, prog, "x", **how)
        assert res.returncode == 42
        assert b"hello from" in res.stdout
        assert re.search(rb"^\d+ write\(1,", res.stderr, re.M) or b"write(1" in res.stderr, res.stderr
        assert b"exit_group(42" in res.stderr
    plain = run_pyqemu(arch, prog, "x", env=with_env())
    assert b"exit_group" not in plain.stderr


def test_strace_to_log_file(arch, tmp_path):
    log = tmp_path / "log"
    prog = build(arch, "hello.c", "static")
    res = run_pyqemu(arch, prog, options=["-strace", "-D", str(log)])
    assert res.returncode == 42 and b"exit_group" not in res.stderr
    assert "exit_group(42" in log.read_text()
    log2 = tmp_path / "log2"
    res = run_pyqemu(arch, prog, env=with_env(PYQEMU_STRACE="1", PYQEMU_LOG_FILENAME=str(log2)))
    assert res.returncode == 42 and "exit_group(42" in log2.read_text()


def test_env_var_log_items(arch, tmp_path):
    log = tmp_path / "log"
    res = run_pyqemu(arch, build(arch, "hello.c", "static"),
                     env=with_env(PYQEMU_LOG="page", PYQEMU_LOG_FILENAME=str(log)))
    assert res.returncode == 42
    assert "[stack]" in log.read_text()


def test_env_var_cpu_and_command_line_wins(arch):
    prog = build(arch, "hello.c", "static")
    res = run_pyqemu(arch, prog, env=with_env(PYQEMU_CPU="no-such-cpu"))
    assert res.returncode == 1 and b"no-such-cpu" in res.stderr
    from usermode import cpu
    good = cpu.get(arch).DEFAULT_CPU
    res = run_pyqemu(arch, prog, options=["-cpu", good], env=with_env(PYQEMU_CPU="no-such-cpu"))
    assert res.returncode == 42, res.stderr


def test_qemu_env_vars_are_not_ours(arch):
    """QEMU_* belong to qemu-user (they may be set for it); pyqemu reads only PYQEMU_*."""
    res = run_pyqemu(arch, env_prog(arch), "@PQ_A", env=with_env(QEMU_SET_ENV="PQ_A=1"))
    assert lines(res)[-1] == "PQ_A unset"


def test_plain_pyqemu_takes_the_same_options(arch):
    res = run(pyqemu_command() + ["-0", "auto", "-E", "PQ_A=1", env_prog(arch), "@PQ_A"])
    assert res.returncode == 0
    assert lines(res)[1] == "argv[0]=auto" and lines(res)[-1] == "PQ_A=1"


def test_no_qemu_needed_for_help():
    """Information options never look at a program."""
    for args in (["-version"], ["-h"], ["-d", "help"], ["-cpu", "help"]):
        assert subprocess.run(pyqemu_command("riscv64") + args, capture_output=True).returncode == 0



# ---- odd standard descriptors ------------------------------------------------------


def test_help_into_a_closed_pipe(arch):
    """`pyqemu -h | head -0`: no traceback, the SIGPIPE status."""
    p = subprocess.Popen(pyqemu_command(arch) + ["-h"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()
    err = p.stderr.read()
    assert p.wait(timeout=60) in (0, 141)
    assert b"Traceback" not in err and err == b""


@pytest.mark.parametrize("closed", ["stdout", "stderr"])
def test_closed_standard_descriptor(arch, closed):
    prog = build(arch, "hello.c", "static")
    cmd = pyqemu_command(arch) + [prog]
    shell = " ".join(f"'{c}'" for c in cmd) + (" >&-" if closed == "stdout" else " 2>&-")
    res = subprocess.run(["sh", "-c", shell + "; echo status=$?"], capture_output=True, timeout=60)
    assert b"Traceback" not in res.stderr + res.stdout
    assert b"status=42" in res.stdout


def test_closed_stderr_with_bad_input(arch, tmp_path):
    res = subprocess.run(["sh", "-c", " ".join(pyqemu_command(arch)) + f" '{tmp_path}/nope' 2>&-; echo status=$?"],
                         capture_output=True, timeout=60)
    assert res.stdout.strip().endswith(b"status=1")
