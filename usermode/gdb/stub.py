"""The gdbstub's conversation: each gdb packet and its reply.

The stub runs on its own host thread. While the guest is stopped it holds the
emulator lock and answers packets; while the guest runs it waits for a stop
(a thread's event) or gdb's interrupt, whichever comes first (control.py).
"""
import os
import select

from .. import procfs
from .control import StopEvent, Watchpoint
from .hostio import HostIO
from .packets import INTERRUPT, Disconnected, escape, unescape
from .signals import SignalNumbers
from .targetxml import RegisterMap

PACKET_SIZE = 0x20000  # what we accept and the most we send back (qXfer, vFile:pread)
ERR_FAULT = b"E14"
ERR_BAD = b"E01"
_BREAKPOINT_TYPES = ("0", "1")  # software and hardware breakpoints: both are code hooks here
_WATCH_TYPES = {"2": "watch", "3": "rwatch", "4": "awatch"}


class GdbStub:
    def __init__(self, process, debugger, conn):
        self.process = process
        self.debugger = debugger
        self.conn = conn
        self.registers = RegisterMap(process.arch)
        self.signals = SignalNumbers(process.abi)
        self.hostio = HostIO(process, PACKET_SIZE)
        self.halted = True  # attach() halted the guest before its first instruction
        self.multiprocess = False
        self.g_thread = None  # Hg: whose registers g/p/m mean (a tid)
        self.c_thread = None  # Hc: who the legacy c/s resume
        self.last_stop = None
        self._last_actions = {}
        # gdb's multiprocess extensions (qSupported): thread ids are p<pid>.<tid>, the exit
        # reply names the process, and gdb knows the real pid (info proc mappings reads
        # /proc/<pid>/maps through vFile)
        with open("/proc/self/comm", "rb") as f:
            self._host_default_name = f.read().rstrip(b"\n")  # what every host thread is called at first
        debugger.on_exit = self.process_ended

    # ---- the loop ---------------------------------------------------------------

    def serve(self):
        from ..signals.host import block_all_here
        block_all_here()  # host signals are for guest threads
        try:
            while True:
                if self.halted:
                    packet = self.conn.read_packet()
                    if packet[0] == INTERRUPT:
                        continue  # already stopped
                    reply = self.dispatch(packet)
                    if reply is not None:
                        self.conn.send(reply)
                else:
                    self.wait_while_running()
        except Disconnected:
            self.gdb_gone()
        except Exception as e:  # a bug of ours must not leave the guest stopped for ever
            self.process.warn(f"gdbstub: internal error: {type(e).__name__}: {e}; gdb detached")
            self.gdb_gone()

    def wait_while_running(self):
        d = self.debugger
        # poll, not select: the connection is one of the emulator's descriptors, which
        # sit above the guest's limit (fdlimit.py), past select's 1024
        poller = select.poll()
        poller.register(self.conn.fileno(), select.POLLIN)
        poller.register(d.wake_r, select.POLLIN)
        readable = {fd for fd, _ in poller.poll()}
        if d.wake_r in readable:
            try:
                os.read(d.wake_r, 512)
            except BlockingIOError:
                pass
            if d.events:
                self.stop_and_report()
                return
        if self.conn.fileno() in readable and self.conn.poll_interrupt():
            self.stop_and_report(interrupted=True)

    def stop_and_report(self, interrupted=False):
        self.debugger.halt()
        self.halted = True
        found = self.debugger.next_event()
        if found is None:
            if not interrupted:  # the event went stale (its breakpoint is gone): run on
                reply = self.resume_threads(self._last_actions)
                if reply is not None:
                    self.conn.send(reply)
                return
            thread = self._thread(self.g_thread) or self._first_thread()
            found = (thread.debug, StopEvent(self.process.signals.number("SIGINT")))
        self.conn.send(self.stop_reply(*found))

    def stop_reply(self, td, event):
        tid = td.thread.tid
        self.g_thread = self.c_thread = tid
        self.last_stop = f"T{self.signals.to_gdb(event.signal):02x}{event.fields}thread:{self._id(tid)};".encode()
        return self.last_stop

    def gdb_gone(self):
        """Detach, abrupt disconnection or an error: the guest runs on, free."""
        if self.debugger.detached:
            return
        if not self.halted:
            self.debugger.halt()
        self.hostio.close_all()
        self.debugger.detach()
        self.halted = False
        self.conn.close()

    def process_ended(self, kind, value):
        """From the exiting guest thread: W status, or X and the killing signal."""
        if kind == "X":
            value = self.signals.to_gdb(value)
        self.conn.send(f"{kind}{value & 0xFF:02x}" + (f";process:{os.getpid():x}" if self.multiprocess else ""))
        self.conn.close()

    # ---- packets ----------------------------------------------------------------

    def dispatch(self, packet):
        text = packet.decode("latin-1")
        head = text[:1]
        try:
            if head == "q" or head == "Q":
                return self.query(text)
            if head == "v":
                return self.v_packet(text, packet)
            handler = _SIMPLE.get(head)
            if handler is None:
                return b""
            return handler(self, text[1:], packet)
        except (ValueError, IndexError, KeyError):
            return ERR_BAD

    def query(self, text):
        name, _, args = text.partition(":")
        if name == "qSupported":
            features = args.split(";")
            self.multiprocess = "multiprocess+" in features
            # fork events need the multiprocess thread ids (the child is p<pid>.<tid>)
            self.debugger.fork_events = self.multiprocess and "fork-events+" in features
            return (f"PacketSize={PACKET_SIZE:x};QStartNoAckMode+;qXfer:features:read+;qXfer:auxv:read+;"
                    "qXfer:exec-file:read+;qXfer:threads:read+;QCatchSyscalls+;QPassSignals+;"
                    "swbreak+;hwbreak+;vContSupported+" + (";multiprocess+" if self.multiprocess else "") +
                    (";fork-events+" if self.debugger.fork_events else "")).encode()
        if name == "QStartNoAckMode":
            self.conn.send(b"OK")
            self.conn.acks = False
            return None
        if name == "qXfer":
            return self.xfer(args)
        if name == "qC":
            return f"QC{self._id(self._current().tid)}".encode()
        if name == "qfThreadInfo":
            return ("m" + ",".join(self._id(tid) for tid in sorted(self.process.threads))).encode()
        if name == "qsThreadInfo":
            return b"l"
        if name.startswith("qThreadExtraInfo,"):
            thread = self._thread(self._tid(name.split(",")[1]))
            return self._thread_name(thread).encode().hex().encode() if thread else ERR_BAD
        if name == "qSymbol":
            return b"OK"
        if name == "QCatchSyscalls":
            return self.catch_syscalls(args)
        if name == "QPassSignals":
            self.debugger.pass_signals = {self.signals.to_guest(int(s, 16)) for s in args.split(";") if s}
            return b"OK"
        if name == "QProgramSignals":
            return b"OK"
        return b""

    def xfer(self, args):
        obj, op, annex, span = args.split(":", 3)
        if op != "read":
            return b""
        offset, length = (int(x, 16) for x in span.split(","))
        if obj == "features" and annex == "target.xml":
            data = self.registers.xml()
        elif obj == "auxv":
            pairs = list(self.process.auxv) + [(0, 0)]
            data = self.process.abi.pack_words([x for pair in pairs for x in pair])
        elif obj == "exec-file":
            exe = getattr(self.process, "exe_guest", None) or self.process.exe or ""
            data = os.fsencode(exe)
        elif obj == "threads":
            data = ("<threads>" + "".join(
                f'<thread id="{self._id(tid)}" name="{_xml_escape(self._thread_name(t))}"/>'
                for tid, t in sorted(self.process.threads.items())) + "</threads>").encode()
        else:
            return b"E00"
        chunk = data[offset:offset + min(length, PACKET_SIZE // 2)]
        return (b"l" if offset + len(chunk) >= len(data) else b"m") + escape(chunk)

    def catch_syscalls(self, args):
        if args == "0":
            self.debugger.catch_syscalls = None
        elif args.startswith("1"):
            self.debugger.catch_syscalls = {int(n, 16) for n in args.split(";")[1:] if n}
        else:
            return ERR_BAD
        return b"OK"

    def v_packet(self, text, packet):
        if text == "vCont?":
            return b"vCont;c;C;s;S"
        if text.startswith("vCont;"):
            return self.resume_vcont(text[6:])
        if text.startswith("vFile:"):
            return self.hostio.handle(packet[6:])
        if text.startswith("vKill"):  # vKill;pid: ours is the only process
            self.conn.send(b"OK")
            self.kill()
        return b""

    # ---- registers and memory ----------------------------------------------------

    def _regs_thread(self):
        return self._thread(self.g_thread) or self._current()

    def read_registers(self, args, packet):
        return self.registers.read_all(self._regs_thread().uc)

    def write_registers(self, args, packet):
        self.registers.write_all(self._regs_thread().uc, bytes.fromhex(args))
        return b"OK"

    def read_register(self, args, packet):
        data = self.registers.read(self._regs_thread().uc, int(args, 16))
        return data.hex().encode() if data is not None else ERR_BAD

    def write_register(self, args, packet):
        number, value = args.split("=")
        ok = self.registers.write(self._regs_thread().uc, int(number, 16), bytes.fromhex(value))
        return b"OK" if ok else ERR_BAD

    def read_memory(self, args, packet):
        addr, length = (int(x, 16) for x in args.split(","))
        space = self.process.space
        length = space.accessible(addr, min(length, PACKET_SIZE // 2), 0) if addr >= 0 else 0
        if not length:
            return ERR_FAULT
        return bytes(space.mem[addr:addr + length]).hex().encode()

    def _write_memory(self, addr, data):
        space = self.process.space
        if space.accessible(addr, len(data), 0) < len(data):
            return ERR_FAULT
        try:
            space.mem[addr:addr + len(data)] = data
        except (TypeError, ValueError):
            return ERR_FAULT
        self.debugger.changed_hooks()  # it may be code: translations go
        return b"OK"

    def write_memory_hex(self, args, packet):
        where, _, hexdata = args.partition(":")
        addr, _length = (int(x, 16) for x in where.split(","))
        return self._write_memory(addr, bytes.fromhex(hexdata))

    def write_memory_binary(self, args, packet):
        colon = packet.index(b":")
        addr, _length = (int(x, 16) for x in packet[1:colon].decode().split(","))
        return self._write_memory(addr, unescape(packet[colon + 1:]))

    # ---- breakpoints and watchpoints ------------------------------------------------

    def insert_point(self, args, packet):
        kind, addr, length = args.split(",")[:3]
        return self._change_point(kind, int(addr, 16), int(length, 16), insert=True)

    def remove_point(self, args, packet):
        kind, addr, length = args.split(",")[:3]
        return self._change_point(kind, int(addr, 16), int(length, 16), insert=False)

    def _change_point(self, kind, addr, length, insert):
        d = self.debugger
        if kind in _BREAKPOINT_TYPES:
            (d.breakpoints.add if insert else d.breakpoints.discard)(addr)
        elif kind in _WATCH_TYPES:
            watch = _WATCH_TYPES[kind]
            kept = [w for w in d.watchpoints if (w.kind, w.addr, w.length) != (watch, addr, length)]
            d.watchpoints = kept + [Watchpoint(watch, addr, max(length, 1))] if insert else kept
        else:
            return b""
        d.changed_hooks()
        return b"OK"

    # ---- threads -----------------------------------------------------------------

    def _id(self, tid):
        """A thread as gdb names it: p<pid>.<tid> with the multiprocess extensions."""
        return f"p{os.getpid():x}.{tid:x}" if self.multiprocess else f"{tid:x}"

    @staticmethod
    def _tid(text):
        """The thread of a gdb thread-id: <tid>, p<pid>.<tid> or p<pid> (any of its threads:
        0); -1 is all."""
        if text.startswith("p"):
            _, _, text = text[1:].partition(".")
            if not text:
                return 0
        return int(text, 16)

    def _thread(self, tid):
        if tid in (None, 0, -1):
            return None
        return self.process.threads.get(tid)

    def _first_thread(self):
        return self.process.threads[min(self.process.threads)]

    def _current(self):
        return self._thread(self.c_thread) or self._thread(self.g_thread) or self._first_thread()

    def _thread_name(self, thread):
        """The host thread's name if the guest set one (prctl, pthread_setname_np go to
        the host), else the guest program's name, as its kernel would show."""
        try:
            with open(f"/proc/self/task/{thread.tid}/comm", "rb") as f:
                name = f.read().rstrip(b"\n")
        except OSError:
            name = self._host_default_name
        if name == self._host_default_name:
            name = procfs.comm(self.process)
        return name.decode("utf-8", "replace")

    def set_thread(self, args, packet):
        op, tid = args[0], self._tid(args[1:])
        if tid not in (0, -1) and tid not in self.process.threads:
            return ERR_BAD
        if op == "g":
            self.g_thread = tid
        else:
            self.c_thread = tid
        return b"OK"

    def thread_alive(self, args, packet):
        return b"OK" if self._tid(args) in self.process.threads else ERR_BAD

    def why_stopped(self, args, packet):
        if self.last_stop is None:  # before the first instruction: the main thread, trapped
            self.last_stop = f"T05thread:{self._id(self._first_thread().tid)};".encode()
        return self.last_stop

    # ---- running -----------------------------------------------------------------

    def legacy_resume(self, action, args, with_signal):
        sig = 0
        if with_signal:
            sig_text, _, args = args.partition(";")
            sig = self.signals.to_guest(int(sig_text, 16))
        target = self._thread(self.c_thread)
        if args:
            (target or self._current()).uc.reg_write(self.process.arch.REG_PC, int(args, 16))
        chosen = {}
        for t in self.debugger.threads():
            if target is None or t is target:
                chosen[t.debug] = (action, sig)
            else:
                chosen[t.debug] = ("continue", 0)
        return self.resume_threads(chosen)

    def resume_vcont(self, spec):
        rules = []
        for item in spec.split(";"):
            action, _, tid = item.partition(":")
            kind, sig = action[0], int(action[1:], 16) if len(action) > 1 else 0
            what = {"c": "continue", "C": "continue", "s": "step", "S": "step", "t": "stop"}.get(kind)
            if what is None:
                return ERR_BAD
            tid = self._tid(tid) if tid else -1
            rules.append((what, self.signals.to_guest(sig) if sig else 0, -1 if tid == 0 else tid))
        chosen = {}
        for t in self.debugger.threads():
            for what, sig, tid in rules:
                if tid in (-1, t.tid):
                    chosen[t.debug] = (what, sig)
                    break
            else:
                chosen[t.debug] = ("stop", 0)
        return self.resume_threads(chosen)

    def resume_threads(self, chosen):
        self._last_actions = chosen
        found = self.debugger.next_event()
        if found is not None:  # a stop that happened meanwhile comes first, as gdbserver does
            return self.stop_reply(*found)
        d = self.debugger
        for td in chosen:
            if td.applied != d.hooks_generation:
                td.thread.stop()  # a thread back from a host call installs the new hooks first
        self.halted = False
        d.resume(chosen)
        return None  # the stop reply comes when the guest stops

    def detach(self, args, packet):
        if args.startswith(";") and int(args[1:], 16) != os.getpid():
            return b"OK"  # D;<pid> of a forked child (detach-on-fork): it already runs free
        self.conn.send(b"OK")
        self.gdb_gone()
        raise Disconnected()

    def kill(self, args=None, packet=None):
        self.debugger.detached = True  # no exit status for a gdb that asked for this
        self.conn.close()
        self.process.die_of_signal(self.process.signals.number("SIGKILL"))


def _xml_escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


_SIMPLE = {
    "?": GdbStub.why_stopped,
    "g": GdbStub.read_registers,
    "G": GdbStub.write_registers,
    "p": GdbStub.read_register,
    "P": GdbStub.write_register,
    "m": GdbStub.read_memory,
    "M": GdbStub.write_memory_hex,
    "X": GdbStub.write_memory_binary,
    "Z": GdbStub.insert_point,
    "z": GdbStub.remove_point,
    "H": GdbStub.set_thread,
    "T": GdbStub.thread_alive,
    "c": lambda self, args, packet: self.legacy_resume("continue", args, False),
    "C": lambda self, args, packet: self.legacy_resume("continue", args, True),
    "s": lambda self, args, packet: self.legacy_resume("step", args, False),
    "S": lambda self, args, packet: self.legacy_resume("step", args, True),
    "D": GdbStub.detach,
    "k": GdbStub.kill,
}
