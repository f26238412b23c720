"""Where the host finds a path the guest names, and what the guest calls a host path.

Three modes, one resolver per process:

- host: no sysroot; guest paths are host paths.
- overlay (-L DIR, and the cross sysroot pyqemu finds by itself), as qemu-user:
  an absolute path is looked up in DIR first, then on the host. /proc is
  always the host's: a Debian root's /proc is at best a link to it, and the
  guest's own /proc/self files are emulated (procfs.py) by their guest names.
- rootfs (--rootfs DIR), like a chroot or proot: the guest sees DIR as /. Every
  path is resolved here, component by component: symlinks are followed inside
  the root (an absolute target starts again at DIR), `..` stops at DIR, and a
  relative path starts from the guest's view of the current directory or of
  its dirfd. A few host trees are bound into the guest's view at their own
  names (/proc, /dev, /sys, /tmp and the directory pyqemu started in). Links
  under a bind are followed here too, as in a chroot with bind mounts (a link
  in /tmp to /usr/bin/python3 is the root's python, not the host's), but for
  /proc: its links are the kernel's magic ones (/proc/self/fd/N, exe, cwd),
  so under /proc the host kernel resolves the rest.

Back the other way (getcwd, /proc/self/cwd and fd links, socket names,
/proc/self/maps), `to_guest` turns a host path into the guest's name for it:
the longest matching prefix among the root and the binds wins.
"""
import errno
import os
import stat

from .errors import GuestError

AT_FDCWD = -100
MAXSYMLINKS = 40  # the kernel's limit on links followed in one lookup
DEFAULT_BINDS = ("/proc", "/dev", "/sys", "/tmp")
KERNEL_WALKED = ((b"proc",),)  # binds whose links only the host kernel can follow (magic links)


def _lexists(path):
    """os.path.lexists, without its stat result or its exception for a path that is not
    there (most paths a dynamic program names are not in its sysroot): faccessat's
    F_OK with AT_EACCESS (the lookup with the same ids as lstat's) and AT_SYMLINK_NOFOLLOW.
    1.6 -> 0.8 us, on the path of every open and stat under -L."""
    return os.access(path, os.F_OK, effective_ids=True, follow_symlinks=False)


def _components(path):
    return [c for c in path.split(b"/") if c and c != b"."]


class PathResolver:
    def __init__(self):
        self.mode = "host"
        self.root = None  # bytes, no trailing slash
        self.binds = {}  # guest components (tuple) -> host path (bytes)
        self._back = []  # (host prefix, guest prefix), longest host prefix first

    # ---- set-up -----------------------------------------------------------------

    def set_overlay(self, sysroot):
        self.mode = "overlay"
        self.root = os.fsencode(os.path.abspath(sysroot)).rstrip(b"/")

    def set_rootfs(self, root, binds=None, cwd=None):
        """root: the guest's /. binds: host directories shown at their own names
        (DEFAULT_BINDS and the current directory when none are given)."""
        self.mode = "rootfs"
        self.root = os.fsencode(os.path.realpath(root)).rstrip(b"/")
        if binds is None:
            binds = list(DEFAULT_BINDS)
            here = os.path.realpath(cwd or os.getcwd())
            root_s = os.fsdecode(self.root)
            # the starting directory, unless it is the root itself or inside it
            if here != "/" and here != root_s and not here.startswith(root_s + "/"):
                binds.append(here)
        self.binds = {}
        for b in binds:
            host = os.fsencode(os.path.realpath(b))
            comps = tuple(_components(os.fsencode(os.path.normpath(b))))
            if comps:
                self.binds[comps] = host
        back = [(self.root, b"")] + [(host, b"/" + b"/".join(c)) for c, host in self.binds.items()]
        self._back = sorted(back, key=lambda hg: len(hg[0]), reverse=True)

    @property
    def is_rootfs(self):
        return self.mode == "rootfs"

    # ---- guest -> host --------------------------------------------------------------

    def to_host(self, path, dirfd=AT_FDCWD, nofollow=False):
        """The host path for `path` (bytes) as the guest means it."""
        mode = self.mode
        if mode == "host" or not path:
            return path
        if mode == "overlay":
            if path[:1] == b"/" and path[:6] != b"/proc/" and path != b"/proc":
                candidate = self.root + path
                if _lexists(candidate):
                    return candidate
            return path
        if path[:1] != b"/":
            base = self._base(dirfd)
            if base is None:  # a directory the guest cannot name: the host resolves from it
                return path
            path = base + b"/" + path
        return self.resolve(path, nofollow)

    def _base(self, dirfd):
        """The guest's name for the directory a relative path starts from."""
        if dirfd == AT_FDCWD:
            return self.to_guest(os.getcwdb())
        try:
            st = os.fstat(dirfd)
        except OSError:
            raise GuestError(errno.EBADF) from None
        if not stat.S_ISDIR(st.st_mode):
            raise GuestError(errno.ENOTDIR)
        try:
            return self.to_guest(os.fsencode(os.readlink(f"/proc/self/fd/{dirfd}")))
        except OSError:
            return None

    def resolve(self, guest, nofollow=False):
        """Rootfs mode: the host path of an absolute guest path, symlinks resolved inside the root."""
        trailing = guest.endswith(b"/")
        follow_last = trailing or not nofollow
        todo = _components(guest)
        todo.reverse()  # a stack: the next component is todo[-1]
        done = []
        bind_depth, bind_host = 0, None  # the innermost bind `done` is in, and its host path
        kernel_walks = False  # inside /proc: the host kernel resolves the rest
        binds = self.binds
        root = self.root
        links = 0
        missing = False  # a component does not exist: nothing below it can be a link
        while todo:
            name = todo.pop()
            if name == b"..":
                if done:
                    done.pop()
                    if bind_host is not None and len(done) < bind_depth:
                        bind_depth, bind_host, kernel_walks = self._bind_of(done)
                continue
            done.append(name)
            if kernel_walks:
                continue
            if binds:
                host = binds.get(tuple(done))
                if host is not None:  # (its parents need not exist in the root)
                    bind_depth, bind_host, missing = len(done), host, False
                    kernel_walks = tuple(done) in KERNEL_WALKED
                    continue
            if missing:
                continue
            if not todo and not follow_last:
                break
            if bind_host is None:
                host = root + b"/" + b"/".join(done)
            else:
                host = bind_host + b"/" + b"/".join(done[bind_depth:])
            try:
                target = os.readlink(host)
            except OSError as e:
                if e.errno != errno.EINVAL:  # ENOENT, ENOTDIR...: the host call will say so
                    missing = True
                continue
            links += 1
            if links > MAXSYMLINKS:
                raise GuestError(errno.ELOOP)
            done.pop()
            if target[:1] == b"/":
                done = []
                bind_depth, bind_host, kernel_walks = 0, None, False
            more = _components(target)
            more.reverse()
            todo.extend(more)
        if bind_host is not None:
            rest = done[bind_depth:]
            out = bind_host + (b"/" + b"/".join(rest) if rest else b"")
        else:
            out = root + b"/" + b"/".join(done) if done else root + b"/"
        if trailing and not out.endswith(b"/"):
            out += b"/"
        return out

    def _bind_of(self, done):
        """(depth, host path, kernel walks) of the innermost bind holding the guest path `done`."""
        for depth in range(len(done), 0, -1):
            host = self.binds.get(tuple(done[:depth]))
            if host is not None:
                return depth, host, tuple(done[:depth]) in KERNEL_WALKED
        return 0, None, False

    # ---- host -> guest --------------------------------------------------------------

    def to_guest(self, host):
        """The guest's name for a host path (bytes); None where the guest cannot see it.
        Outside rootfs mode host paths are the guest's own."""
        if self.mode != "rootfs":
            return host
        for prefix, guest in self._back:
            if host == prefix:
                return guest or b"/"
            if host.startswith(prefix) and host[len(prefix):len(prefix) + 1] == b"/":
                return guest + host[len(prefix):]
        return None

    def guest_name(self, host):
        """to_guest, or the host path itself where the guest has no name for it."""
        name = self.to_guest(host)
        return host if name is None else name

    def guest_cwd(self):
        return self.guest_name(os.getcwdb())
