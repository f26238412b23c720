"""Finding a dynamic program's interpreter: in -L's sysroot, or in the cross
sysroot Debian's packages install at /usr/<triple>, or on the host itself."""
import os
import stat

from ..errors import UserError


def resolve_in_root(root, path, max_links=40):
    """`path` (absolute) as seen with `root` as /: absolute symlinks stay inside root."""
    parts = [p for p in path.split("/") if p]
    resolved = []
    links = 0
    while parts:
        name = parts.pop(0)
        if name == ".":
            continue
        if name == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = os.path.join(root, *resolved, name)
        if os.path.islink(candidate) and links < max_links:
            links += 1
            target = os.readlink(candidate)
            if target.startswith("/"):
                resolved = []
            parts = [p for p in target.split("/") if p] + parts
            continue
        resolved.append(name)
    return os.path.join(root, *resolved)


def _usable(interp, path):
    """True if `path` (where PT_INTERP's `interp` was found) exists and is a regular file;
    False if nothing is there; a one-line error for anything else that is there."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as e:
        raise UserError(f"interpreter '{interp}' (PT_INTERP) at {path}: cannot open: {e.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise UserError(f"interpreter '{interp}' (PT_INTERP) is a directory ({path}), not an ELF interpreter")
    if not stat.S_ISREG(st.st_mode):
        raise UserError(f"interpreter '{interp}' (PT_INTERP) at {path}: not a regular file")
    return True


def find_interpreter(interp, arch, sysroot, paths=None):
    """(host path of the interpreter, sysroot now in use or None). Under --rootfs
    (`paths` in rootfs mode) the interpreter is the root's own. Something that is
    there but is no file (a directory) is said to be so, not "not found"; what is
    not an ELF file is said so by the ElfFile that reads it."""
    if paths is not None and paths.is_rootfs:
        path = os.fsdecode(paths.resolve(os.fsencode(interp)))
        if not _usable(interp, path):
            raise UserError(f"interpreter '{interp}' not found in the root '{os.fsdecode(paths.root)}' "
                            f"(--rootfs): is it a {arch.NAME} root?")
        return path, None
    if sysroot:  # cli.run already checked it is a directory; this is for other callers
        if not os.path.isdir(sysroot):
            raise UserError(f"sysroot '{sysroot}' (-L) is not a directory")
        path = resolve_in_root(sysroot, interp)
        if _usable(interp, path):
            return path, sysroot
        raise UserError(f"interpreter '{interp}' not found in sysroot '{sysroot}' "
                        f"(looked for {path}): -L must name the {arch.NAME} sysroot, "
                        f"e.g. -L /usr/{arch.TRIPLE}")
    cross = f"/usr/{arch.TRIPLE}"
    path = resolve_in_root(cross, interp)
    if _usable(interp, path):
        return path, cross
    if _usable(interp, interp):
        return interp, None
    raise UserError(f"interpreter '{interp}' not found in {cross} nor on the host: "
                    f"give the {arch.NAME} sysroot with -L DIR (Debian: apt-get install "
                    f"libc6-{arch.ABI.name.replace('aarch64', 'arm64')}-cross)")
