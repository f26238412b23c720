"""The interpreter binfmt_misc runs: a small native program, built per
registration, that turns the kernel's call into a pyqemu command line.

Why native and not a `#!` script: a script works for plain and P entries, but
with flag O (and C, which implies it) the kernel refuses (ENOEXEC) to pass the
program's descriptor on through a second interpreter, and binfmt_misc's
interpreter field takes no arguments, so the sysroot and the arch have to live
in the interpreter itself. Beside each launcher, `<launcher>.json` records what
it runs; pyqemu-binfmt deletes only launchers that have one.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import usermode

from ..errors import UserError

DEFAULT_DIR = "/usr/local/lib/pyqemu-binfmt"
MADE_BY = "pyqemu-binfmt"

# The kernel starts the launcher as   LAUNCHER PROGRAM [ARGV0] ARGS...
# (ARGV0 only with flag P), and with flag O or C leaves PROGRAM open on the
# descriptor AT_EXECFD names. The launcher runs
#     COMMAND... [--execfd N] [-0 ARGV0] -- PROGRAM ARGS...
C_SOURCE = r"""/* pyqemu's binfmt_misc interpreter, built by pyqemu-binfmt. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

static char *const command[] = { @COMMAND@ };
enum { PRESERVE_ARGV0 = @PRESERVE_ARGV0@ };

int main(int argc, char **argv)
{
    size_t fixed = sizeof(command) / sizeof(command[0]);
    int first_arg = PRESERVE_ARGV0 ? 3 : 2;
    char fd_text[24];
    char **args;
    size_t n = 0;
    unsigned long exec_fd;

    if (argc < first_arg) {
        fprintf(stderr, "%s: binfmt_misc runs this for foreign programs; it is not meant to be run by hand\n",
                argv[0]);
        return 2;
    }
    args = calloc(fixed + (size_t)argc + 6, sizeof(char *));
    if (args == NULL) {
        perror(argv[0]);
        return 127;
    }
    for (size_t i = 0; i < fixed; i++)
        args[n++] = command[i];
    /* Present only with flag O; it may be 0 (the caller had closed stdin), so ask errno. */
    errno = 0;
    exec_fd = getauxval(AT_EXECFD);
    if (errno == 0) {
        snprintf(fd_text, sizeof(fd_text), "%lu", exec_fd);
        args[n++] = "--execfd";
        args[n++] = fd_text;
    }
    if (PRESERVE_ARGV0) {
        args[n++] = "-0";
        args[n++] = argv[2];
    }
    args[n++] = "--";
    args[n++] = argv[1];
    for (int i = first_arg; i < argc; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    execv(args[0], args);
    fprintf(stderr, "%s: cannot run %s: %s\n", argv[0], args[0], strerror(errno));
    return 127;
}
"""


def c_string(text):
    """A C string literal for any path: plain ASCII kept, every other byte octal-escaped."""
    plain = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 /._-+=,:@()'[];")
    return '"' + "".join(chr(b) if b in plain else f"\\{b:03o}" for b in os.fsencode(text)) + '"'


def emulator_command(arch_name, sysroot=None):
    """The command the launcher runs before its own arguments: this Python, isolated
    (-I: no PYTHONPATH or user site from whoever runs a foreign program, which
    matters for set-uid programs under flag C), importing this very pyqemu."""
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(usermode.__file__)))
    code = (f"import sys; sys.path.insert(0, {package_parent!r}); "
            f"from usermode.cli import entry; entry({arch_name!r})")
    command = [sys.executable, "-I", "-c", code]
    if sysroot is not None:
        command += ["-L", sysroot]
    return command


def check_command(command):
    """Run the emulator command once (-version), so a broken installation shows now, not at
    the first foreign program."""
    try:
        res = subprocess.run(command + ["-version"], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise UserError(f"cannot run pyqemu as the launcher would ({command[0]}): {e}") from None
    if res.returncode != 0:
        why = (res.stderr.strip().splitlines() or [f"status {res.returncode}"])[-1]
        raise UserError(f"pyqemu does not start as the launcher would run it ({command[0]} -I): {why}")


def c_compiler():
    for name in (os.environ.get("CC"), "cc", "gcc", "clang"):
        found = name and shutil.which(name)
        if found:
            return found
    raise UserError("building the binfmt_misc launcher needs a C compiler: install one (apt-get install gcc)")


def build(path, command, preserve_argv0, description):
    """Compile the launcher to `path`, replacing any old one atomically (an F entry
    keeps the old file open, so it is never rewritten in place)."""
    cc = c_compiler()
    directory = os.path.dirname(path)
    try:
        os.makedirs(directory, mode=0o755, exist_ok=True)
    except OSError as e:
        raise UserError(f"cannot create the launcher directory '{directory}': {e.strerror}") from None
    if not os.access(directory, os.W_OK):
        raise UserError(f"cannot write launchers into '{directory}' (run as root, or give --launcher-dir DIR)")
    source = C_SOURCE.replace("@COMMAND@", ", ".join(c_string(word) for word in command)) \
                     .replace("@PRESERVE_ARGV0@", "1" if preserve_argv0 else "0")
    temporary = f"{path}.{os.getpid()}.tmp"
    with tempfile.TemporaryDirectory(prefix="pyqemu-binfmt-") as work:
        source_path = os.path.join(work, "launcher.c")
        with open(source_path, "w") as f:
            f.write(source)
        # static when the C library allows: nothing to find at exec time (chroots, containers with F)
        for link in (["-static"], []):
            res = subprocess.run([cc, "-O2", "-Wall", "-s", "-o", temporary, source_path] + link,
                                 capture_output=True, text=True)
            if res.returncode == 0:
                break
        else:
            why = (res.stderr.strip().splitlines() or [f"status {res.returncode}"])[-1]
            raise UserError(f"building the launcher {path} with {cc} failed: {why}")
    try:
        os.chmod(temporary, 0o755)
        os.replace(temporary, path)
        with open(description_path(path), "w") as f:
            json.dump(dict(description, made_by=MADE_BY, command=command), f, indent=1)
            f.write("\n")
    except OSError as e:
        raise UserError(f"cannot install the launcher {path}: {e.strerror}") from None


def description_path(path):
    return path + ".json"


def describe(path):
    """What pyqemu-binfmt recorded about the launcher at `path`, or None if it did not make it."""
    try:
        with open(description_path(path)) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("made_by") == MADE_BY else None


def delete(path):
    """Delete a launcher pyqemu-binfmt made (and its description); others are left alone."""
    if describe(path) is None:
        return False
    for name in (path, description_path(path)):
        try:
            os.unlink(name)
        except FileNotFoundError:
            pass
    return True
