"""The report tools/tcg.py and tools/cpython.py end with: which runs passed under
qemu-user, under pyqemu, under both, under neither."""
import json


def report(results, what, unit, json_path=None):
    """results: name -> {"qemu": outcome, "pyqemu": outcome[, "why": [reason, ...]]},
    an outcome "pass" or what happened. Prints the groups and the counts, writes the
    results to json_path; returns the exit status: 1 when qemu-user passes something
    pyqemu does not."""
    passed = lambda r, emu: r[emu] == "pass"
    regressions = sorted(n for n, r in results.items() if passed(r, "qemu") and not passed(r, "pyqemu"))
    better = sorted(n for n, r in results.items() if passed(r, "pyqemu") and not passed(r, "qemu"))
    neither = sorted(n for n, r in results.items() if not passed(r, "qemu") and not passed(r, "pyqemu"))
    both = sum(1 for r in results.values() if passed(r, "qemu") and passed(r, "pyqemu"))
    for title, names in (("qemu-user passes, pyqemu does not", regressions),
                         ("pyqemu passes, qemu-user does not", better), ("neither passes", neither)):
        print(f"{title}: {len(names)}")
        for n in names:
            r = results[n]
            print(f"  {n}: qemu {r['qemu']}, pyqemu {r['pyqemu']}" + (f" ({r['why'][0]})" if "why" in r else ""))
    print(f"{what}: {len(results)} {unit}, {both} pass under both, {len(regressions)} under qemu-user only, "
          f"{len(better)} under pyqemu only, {len(neither)} under neither")
    if json_path:
        with open(json_path, "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)
    return 1 if regressions else 0
