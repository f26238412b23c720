"""-d logging that needs hooks or a disassembler: in_asm, exec, page."""
from .uc import UC_HOOK_BLOCK


def _disassembler(arch, mode=None):
    import capstone
    return capstone.Cs(arch.CS_ARCH, arch.CS_MODE if mode is None else mode)


def disassemble_one(process, pc, mode=None):
    """One instruction at pc as text, or what stopped us from reading it."""
    try:
        code = process.space.read(pc, 4) if process.space.accessible(pc, 4, 1) >= 4 else \
            process.space.read(pc, 2)
    except Exception:
        return "(instruction not readable)"
    try:
        for insn in _disassembler(process.arch, mode).disasm(code, pc):
            return f"{insn.mnemonic} {insn.op_str}".strip()
    except Exception:
        pass
    return f"(undecodable: {code.hex()})"


def memory_map(process):
    lines = ["start            end              prot name"]
    for v in process.space.vmas:
        prot = "".join(c if v.prot & bit else "-" for c, bit in (("r", 1), ("w", 2), ("x", 4)))
        lines.append(f"{v.start:016x} {v.end:016x} {prot}  {v.name}")
    return "\n".join(lines)


def install(process, thread):
    items = process.options.debug_items
    log = process.log
    if "page" in items:
        log.write(memory_map(process) + "\n")
    if "in_asm" in items or "exec" in items:
        arch = process.arch
        disassemblers = {}  # capstone mode -> Cs (ARM threads switch between ARM and Thumb)
        seen = set()
        show_asm = "in_asm" in items
        show_exec = "exec" in items

        def on_block(uc, address, size, user_data):
            if show_exec:
                log.write(f"Trace: [{address:016x}]\n")
            if show_asm and address not in seen:
                seen.add(address)
                code = bytes(uc.mem_read(address, size))
                log.write("IN:\n")
                mode = arch.cs_mode(uc)
                cs = disassemblers.get(mode)
                if cs is None:
                    cs = disassemblers[mode] = _disassembler(arch, mode)
                for insn in cs.disasm(code, address):
                    log.write(f"0x{insn.address:016x}:  {insn.bytes.hex():<8}  {insn.mnemonic} {insn.op_str}\n")
                log.write("\n")

        thread.uc.hook_add(UC_HOOK_BLOCK, on_block)
