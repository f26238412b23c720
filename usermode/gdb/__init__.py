"""The gdbstub: -g PORT (or HOST:PORT, or a unix socket path) lets gdb debug the guest.

    listen(spec)               bind early, so a bad address is a one-line error
    attach(process, listener)  wait for gdb; the guest is stopped before its first instruction
"""
import os
import socket
import stat
import threading

from .. import tell
from ..errors import UserError
from .control import Debugger
from .packets import Connection
from .stub import GdbStub


def _address(spec):
    if "/" in spec:
        return socket.AF_UNIX, spec
    host, _, port = spec.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"  # loopback only, unless an address is given
    try:
        number = int(port)
        if not 0 <= number <= 65535:
            raise ValueError
    except ValueError:
        raise UserError(f"-g '{spec}': expected PORT, HOST:PORT or a unix socket path") from None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return family, (host, number)


def listen(spec):
    family, address = _address(spec)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if family == socket.AF_UNIX:
            try:
                if stat.S_ISSOCK(os.stat(address).st_mode):
                    os.unlink(address)  # a stale socket from an earlier session
            except FileNotFoundError:
                pass
        else:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(1)
    except (OSError, socket.gaierror) as e:
        sock.close()
        raise UserError(f"-g '{spec}': cannot listen there: {e.strerror or e}") from None
    return sock


def describe(listener):
    address = listener.getsockname()
    if isinstance(address, tuple):
        host = address[0]
        return f"[{host}]:{address[1]}" if ":" in host else f"{host}:{address[1]}"
    return address


def attach(process, listener):
    """Wait for gdb, then serve it on a thread of its own; returns with the guest
    stopped, its first instruction not yet run."""
    debugger = Debugger(process)
    process.debugger = debugger
    process.enable_async_stops()  # gdb's interrupt stops a running thread from outside
    for thread in process.threads.values():
        debugger.attach_thread(thread)
    tell.say(f"{process.prog}: waiting for gdb on {describe(listener)}")
    sock, _ = listener.accept()
    listener.close()
    # the connection is the emulator's, not the guest's: out of its descriptor range (ownfds.py)
    fd = process.keep_fd(sock.detach())
    sock = socket.socket(fileno=fd)
    if sock.family != socket.AF_UNIX:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn = Connection(sock, on_close=process.close_own_fd)
    debugger.conn = conn
    stub = GdbStub(process, debugger, conn)
    debugger.halt()
    threading.Thread(target=stub.serve, name="pyqemu-gdbstub", daemon=True).start()
