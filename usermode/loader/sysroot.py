"""Finding a dynamic program's interpreter: in -L's sysroot, or in the cross
sysroot Debian's packages install at /usr/<triple>, or on the host itself."""
import os

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


def find_interpreter(interp, arch, sysroot, paths=None):
    """(host path of the interpreter, sysroot now in use or None). Under --rootfs
    (`paths` in rootfs mode) the interpreter is the root's own."""
    if paths is not None and paths.is_rootfs:
        path = paths.interpreter(os.fsencode(interp))
        if path is None:
            raise UserError(f"interpreter '{interp}' not found in the root '{os.fsdecode(paths.root)}' "
                            f"(--rootfs): is it a {arch.NAME} root?")
        return os.fsdecode(path), None
    if sysroot:  # cli.run already checked it is a directory; this is for other callers
        if not os.path.isdir(sysroot):
            raise UserError(f"sysroot '{sysroot}' (-L) is not a directory")
        path = resolve_in_root(sysroot, interp)
        if os.path.isfile(path):
            return path, sysroot
        raise UserError(f"interpreter '{interp}' not found in sysroot '{sysroot}' "
                        f"(looked for {path}): -L must name the {arch.NAME} sysroot, "
                        f"e.g. -L /usr/{arch.TRIPLE}")
    cross = f"/usr/{arch.TRIPLE}"
    path = resolve_in_root(cross, interp)
    if os.path.isfile(path):
        return path, cross
    if os.path.isfile(interp):
        return interp, None
    raise UserError(f"interpreter '{interp}' not found in {cross} nor on the host: "
                    f"give the {arch.NAME} sysroot with -L DIR (Debian: apt-get install "
                    f"libc6-{arch.ABI.name.replace('aarch64', 'arm64')}-cross)")
