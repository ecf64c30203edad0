"""A TCP relay that gives a local server a remote one's round trip (for the crash tests)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class LatencyProxy:
    """A TCP relay on loopback that holds each chunk ``delay_s`` before passing it on, both
    ways: a local server answering with a remote one's round trip, so that quick work (a mail,
    a page) takes long enough for a kill to land within it. Use as a context manager."""

    def __init__(self, target_port: int, delay_s: float) -> None:
        self.target_port = target_port
        self.delay_s = delay_s
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._sockets: list[socket.socket] = [self._listener]
        self._closed = False

    def __enter__(self) -> LatencyProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed = True
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
                server = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
            except OSError:
                return
            server.settimeout(None)
            self._sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                time.sleep(self.delay_s)
                sink.sendall(chunk)
        for sock in (source, sink):  # one side hung up (or was killed): close both
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
