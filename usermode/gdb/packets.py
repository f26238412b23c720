"""The GDB remote protocol's framing: $payload#checksum, acknowledgements,
binary escapes, and the lone 0x03 byte gdb sends to interrupt a running guest."""
import os
import socket
import threading

INTERRUPT = 0x03
_ESCAPED = b"#$}*"


def checksum(payload):
    return sum(payload) & 0xFF


def escape(data):
    """Binary data for a reply (qXfer, vFile:pread): # $ } * become } then byte ^ 0x20."""
    if not any(c in data for c in _ESCAPED):
        return bytes(data)
    out = bytearray()
    for byte in data:
        if byte in _ESCAPED:
            out += bytes((0x7D, byte ^ 0x20))
        else:
            out.append(byte)
    return bytes(out)


def unescape(data):
    """Binary data from gdb (X packets): the reverse of escape()."""
    if 0x7D not in data:
        return bytes(data)
    out = bytearray()
    it = iter(data)
    for byte in it:
        out.append(next(it, 0) ^ 0x20 if byte == 0x7D else byte)
    return bytes(out)


class Disconnected(Exception):
    pass


class Connection:
    """One gdb on one socket. Packets are read by the stub's thread only; replies
    may also be sent by a guest thread (the exit status), hence the send lock."""

    def __init__(self, sock, on_close=None):
        self.sock = sock
        # closes the descriptor, which stops being the emulator's (Process.close_own_fd)
        self._on_close = on_close or os.close
        self.acks = True  # until QStartNoAckMode
        self._buffer = bytearray()
        self._send_lock = threading.Lock()
        self.closed = False

    def fileno(self):
        return self.sock.fileno()

    def _fill(self):
        try:
            data = self.sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            raise Disconnected()
        self._buffer += data

    def read_packet(self):
        """The next packet's payload (bytes); b"\\x03" for an interrupt. Raises Disconnected."""
        buf = self._buffer
        while True:
            while buf and buf[0] not in (ord("$"), INTERRUPT):
                del buf[0]  # acknowledgements and noise between packets
            if buf and buf[0] == INTERRUPT:
                del buf[0]
                return bytes((INTERRUPT,))
            end = buf.find(b"#")
            if buf and end >= 0 and len(buf) >= end + 3:
                payload = bytes(buf[1:end])
                sent = bytes(buf[end + 1:end + 3])
                del buf[:end + 3]
                if self.acks:
                    try:
                        ok = int(sent, 16) == checksum(payload)
                    except ValueError:
                        ok = False
                    self._raw_send(b"+" if ok else b"-")
                    if not ok:
                        continue
                return payload
            self._fill()

    def poll_interrupt(self):
        """While the guest runs: read what gdb sent; True if it asked for a stop."""
        self._fill()
        if INTERRUPT in self._buffer:
            del self._buffer[:self._buffer.index(INTERRUPT) + 1]
            return True
        return False

    def send(self, payload):
        if isinstance(payload, str):
            payload = payload.encode()
        self._raw_send(b"$" + payload + b"#" + b"%02x" % checksum(payload))

    def _raw_send(self, data):
        with self._send_lock:
            if self.closed:
                return
            try:
                self.sock.sendall(data)
            except OSError:
                pass  # a gdb that went away is noticed by the next read

    def close(self):
        with self._send_lock:
            if self.closed:
                return
            self.closed = True
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            fd = self.sock.detach()
            if fd >= 0:
                self._on_close(fd)

    def drop_after_fork(self):
        """In a fork's child: let go of the descriptor without ending the parent's session."""
        if self.closed:  # a child's child: its parent let go already (fork gave -1 EBADF)
            return
        self.closed = True
        fd = self.sock.detach()
        if fd >= 0:
            self._on_close(fd)
