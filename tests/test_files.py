"""File, directory and descriptor syscalls on both architectures, static and
dynamic, against qemu-user and against the lines a correct kernel prints."""
import signal

import pytest

from conftest import ARCHES, assert_same_as_qemu, build, run_pyqemu

MODES = ["static", "dynamic"]


def _options(arch, mode):
    return ["-L", ARCHES[arch]["sysroot"]] if mode == "dynamic" else []


def _sections(text):
    """{section title: [lines]} of a program printing '== title' headers."""
    out, current = {}, None
    for line in text.splitlines():
        if line.startswith("== "):
            current = out.setdefault(line[3:], [])
        elif current is not None:
            current.append(line)
    return out


# lines files.c must print, section by section (a subset: every line is also compared with qemu-user)
EXPECTED = {
    "basic": ["open excl again: -1 EEXIST", "read data: world", "pread data: World",
              "size 13 mode 600 reg 1", "open missing: -1 ENOENT", "open through file: -1 ENOTDIR",
              "data: hello"],
    "open flags": ["O_NOFOLLOW on symlink: -1 ELOOP", "O_DIRECTORY on file: -1 ENOTDIR",
                   "O_DIRECTORY on symlink->file: -1 ENOTDIR", "O_DIRECTORY|O_NOFOLLOW on dir: 1",
                   "raw openat O_LARGEFILE on symlink: 1",
                   "read O_PATH: -1 EBADF",
                   "tmpfile nlink 0 reg 1"],
    "directories": ["seekdir back to telldir: 1", "entries 304 regular 300 dirs 3 links 1",
                    "first . .. file-000-with-a-longish-name last lnk sub",
                    "rmdir non-empty: -1 ENOTEMPTY", "unlinkat dir without AT_REMOVEDIR: -1 EISDIR",
                    "unlinkat AT_REMOVEDIR: 0", "unlink again: -1 ENOENT", "mkdirat mode 700 dir 1",
                    "getdents64 tiny buffer: -1 EINVAL", "getdents64 records fit 1 aligned 1",
                    "getdents64 on a file: -1 ENOTDIR"],
    "links": ["renameat2 noreplace: -1 EEXIST", "renameat2 exchange: 0", "b size after exchange 4",
              "nlink 2", "readlink -> some/where/else", "readlink short -> some",
              "readlink not a link: -1 EINVAL", "lstat link 1 size 15", "stat dangling: -1 ENOENT",
              "readlink /proc/self/exe ok: 1"],
    "modes and times": ["mode 604", "mode 640", "mode 711", "chmod missing: -1 ENOENT",
                        "atime 1000000000.123456789 mtime 1234567890.987654321",
                        "atime 1000000000.123456789 mtime 42.000000007", "atime recent 1 mtime 42",
                        "mtime recent 1", "utimensat bad nsec: -1 EINVAL", "link mtime 1234567890",
                        "mtime 6", "created with umask 027: 640", "umask now 27"],
    "sizes": ["size 4", "size 100", "ftruncate negative: -1 EINVAL", "size 8192", "size 10000",
              "posix_fadvise bad: 22", "fsync closed: -1 EBADF", "truncate dir: -1 EISDIR"],
    "fcntl and dup": ["F_GETFD: 0", "F_GETFD: 1", "O_CLOEXEC F_GETFD: 1", "F_DUPFD >= 50: 50",
                      "F_GETFD of dup: 0", "F_DUPFD_CLOEXEC >= 60: 60", "F_GETFD of cloexec dup: 1",
                      "dup not cloexec: 0", "dup3 cloexec: 70", "F_GETFD 70: 1", "F_GETFD 71: 0",
                      "dup3 same fd: -1 EINVAL", "dup3 bad flags: -1 EINVAL", "fcntl bad cmd: -1 EINVAL",
                      "owner type pid 1 is us 1", "F_GETOWN: 1", "F_GETOWN_EX bad pointer: -1 EFAULT",
                      "plain open F_GETFD: 0", "closed by close_range: -1 EBADF",
                      "F_GETFD after cloexec range: 1", "close_range bad: -1 EINVAL"],
    "locks": ["getlk type unlck 1", "ofd conflict type rd 1 start 3 len 4 pid -1",
              "F_OFD_SETLK conflict: -1 EAGAIN", "F_OFD_SETLKW now free: 0", "F_SETLK bad type: -1 EINVAL",
              "F_SETLK bad pointer: -1 EFAULT", "flock other nb: -1 EAGAIN", "flock other now: 0",
              "flock bad op: -1 EINVAL"],
    "pipes and copies": ["pipe cloexec: 1", "pipe nonblock 1", "read empty nonblocking: -1 EAGAIN",
                         "available 16", "F_GETPIPE_SZ: 131072", "pipe nonblock 0", "pipe cloexec: 0",
                         "pipe2 bad flags: -1 EINVAL", "pipe2 bad pointer: -1 EFAULT",
                         "packet pipe direct 1", "offset now 11 file pos 0", "file pos 3",
                         "offsets 14 104", "copy_file_range bad flags: -1 EINVAL", "dst: 56789a01234",
                         "dst tail: abcd"],
    "statx and statfs": ["statx size 6 mode 644 nlink 1 basic 1",
                         "statx agrees with stat: ino 1 size 1 blocks 1", "size 6",
                         "statx missing: -1 ENOENT", "statx bad buf: -1 EFAULT", "statx bad flags: -1 EINVAL",
                         "fstat bad buf: -1 EFAULT", "statfs missing: -1 ENOENT", "fifo 1",
                         "node reg 1 mode 600", "mknodat exists: -1 EEXIST"],
    "access": ["access X_OK: -1 EACCES", "access missing: -1 ENOENT", "access through file: -1 ENOTDIR",
               "faccessat dangling: -1 ENOENT", "faccessat nofollow: 0",
               "faccessat2 raw bad flags: -1 EINVAL", "access bad mode: -1 EINVAL",
               "access bad pointer: -1 EFAULT"],
    "cwd": ["getcwd matches 1", "raw getcwd returns length+1 1", "getcwd small: -1 ERANGE",
            "getcwd bad pointer: -1 EFAULT", "in sub 1", "back 1", "chdir file: -1 ENOTDIR"],
    "not a tty": ["isatty file: 0", "isatty errno ENOTTY", "tcgetattr file: -1 ENOTTY",
                  "TIOCGWINSZ file: -1 ENOTTY", "unknown ioctl fails 1"],
    "done": [],
}

# the F_GETFL bits are the ABI's own O_* values: they differ between the ABIs (aarch64, arm, mips)
def flag_lines(arch):
    from usermode import cpu
    o = cpu.get(arch).ABI.tables.OPEN
    return [f"dir F_GETFL: {o['O_DIRECTORY'] | o['O_NOFOLLOW']:#x} directory 1 nofollow 1",
            f"file F_GETFL: {o['O_APPEND'] | o['O_NONBLOCK'] | o['O_WRONLY']:#x} append 1 nonblock 1 accmode 1",
            f"after F_SETFL: {o['O_NONBLOCK'] | o['O_WRONLY']:#x} append 0 nonblock 1"]


def _check_expected(text, arch):
    sections = _sections(text)
    assert list(sections) == list(EXPECTED), f"sections: {list(sections)}\n{text[-3000:]}"
    for title, lines in EXPECTED.items():
        missing = [line for line in lines if line not in sections[title]]
        assert not missing, f"section {title!r} lacks {missing}; has {sections[title]}"
    missing = [line for line in flag_lines(arch) if line not in sections["open flags"]]
    assert not missing, f"open flags lacks {missing}; has {sections['open flags']}"


# qemu-user 7.2 hands a 32-bit guest the 64-bit host's directory offsets, which glibc's
# readdir in a 32-bit program refuses (EOVERFLOW: no entries at all); the kernel gives a
# 32-bit process 32-bit ones, and so do we (the expected lines below check it)
QEMU_WRONG_32 = ("entries ", "first ", "seekdir back")
# and it aligns getdents64 records to the guest's alignment of a 64-bit integer (m68k: 2)
# where the kernel's filldir64 aligns them to 8 on every ABI (the expected lines check it)
QEMU_WRONG_ALIGN = ("getdents64 records ",)


@pytest.mark.parametrize("mode", MODES)
def test_files(arch, mode, tmp_path):
    from usermode import cpu
    prog = build(arch, "files.c", mode)
    res = assert_same_as_qemu(arch, prog, str(tmp_path), options=_options(arch, mode),
                              qemu_wrong=(QEMU_WRONG_32 if cpu.get(arch).ELF_CLASS == 32 else ())
                              + (QEMU_WRONG_ALIGN if cpu.get(arch).ABI.max_align < 8 else ()))
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    _check_expected(res.stdout.decode(), arch)


TTY_EXPECTED = [
    "posix_openpt: 1", "grantpt: 0", "unlockpt: 0", "ptsname: 1", "open slave: 1", "isatty slave: 1",
    "isatty master: 1", "ttyname matches 1", "tcgetattr: 0",
    "default: icanon 1 echo 1 isig 1 icrnl 1 opost 1 vmin 1 veof 4", "tcsetattr TCSANOW: 0",
    "raw: icanon 0 echo 0 isig 0 opost 0 cs8 1 vmin 1 speed9600 1", "tcsetattr TCSADRAIN: 0",
    "tcsetattr TCSAFLUSH: 0", "tcsetattr bad action: -1 EINVAL", "TIOCSWINSZ: 0", "TIOCGWINSZ: 0",
    "winsize 24x80 640x480", "available 3", "got abc", "got xyz", "tcgetpgrp: -1 ENOTTY",
    "tcgetsid: -1 ENOTTY", "tcflush: 0", "tcdrain: 0", "tcflow: 0", "tcgetattr bad pointer: -1 EFAULT",
    "done",
]


# glibc's ioctl() on PowerPC does TCGETS itself, through tcgetattr (its struct termios
# is not the kernel's): a bad pointer is its own SIGSEGV, never the kernel's EFAULT
TERMIOS_IN_LIBC = {"ppc", "ppc64"}


@pytest.mark.parametrize("mode", MODES)
def test_terminal_ioctls_on_a_pty(arch, mode):
    prog = build(arch, "files_tty.c", mode)
    res = assert_same_as_qemu(arch, prog, options=_options(arch, mode))
    expected = TTY_EXPECTED
    if arch in TERMIOS_IN_LIBC:  # the bad pointer faults in glibc, as natively: the last two lines never come
        assert res.returncode == -signal.SIGSEGV, res.stderr.decode()[-2000:]
        expected = TTY_EXPECTED[:-2]
    else:
        assert res.returncode == 0, res.stderr.decode()[-2000:]
    lines = res.stdout.decode().splitlines()
    missing = [line for line in expected if line not in lines]
    assert not missing, f"missing {missing} in {lines}"


def test_unknown_ioctl_warns_once_and_says_enotty(arch, tmp_path):
    prog = build(arch, "files.c", "static")
    res = run_pyqemu(arch, prog, str(tmp_path))
    assert res.returncode == 0
    assert res.stderr.decode().count("unsupported ioctl 0x12345678: returning ENOTTY") == 1
