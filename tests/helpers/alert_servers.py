"""A real local HTTP server that records webhook posts and a real local SMTP server that
records mail, for the alert delivery tests."""

from __future__ import annotations

import base64
import re
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Posted:
    path: str
    headers: dict[str, str]
    body: bytes


class _HookServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, statuses: list[int]) -> None:
        super().__init__(("127.0.0.1", 0), _HookHandler)
        self.statuses = statuses
        self.posted: list[Posted] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/posaudit"


class _HookHandler(BaseHTTPRequestHandler):
    server: _HookServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.posted.append(Posted(self.path, dict(self.headers), body))
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass


@contextmanager
def hook_server(*statuses: int) -> Iterator[_HookServer]:
    server = _HookServer(list(statuses))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    auth: list[str] = field(default_factory=list)
    senders: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    messages: list[bytes] = field(default_factory=list)


class _SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.box = Mailbox()


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough ESMTP for smtplib: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT."""

    server: _SMTPServer

    def _say(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")

    def handle(self) -> None:
        box = self.server.box
        self._say("220 localhost ESMTP test")
        while line := self.rfile.readline():
            command = line.decode("utf-8").rstrip("\r\n")
            verb = command.split(" ", 1)[0].upper()
            address = re.search(r"<([^>]*)>", command)
            if verb in ("EHLO", "HELO"):
                self._say("250-localhost\r\n250-AUTH PLAIN\r\n250 8BITMIME")
            elif verb == "AUTH":
                box.auth.append(base64.b64decode(command.split()[2]).decode("utf-8"))
                self._say("235 2.7.0 accepted")
            elif verb == "MAIL" and address:
                box.senders.append(address.group(1))
                self._say("250 ok")
            elif verb == "RCPT" and address:
                box.recipients.append(address.group(1))
                self._say("250 ok")
            elif verb == "DATA":
                self._say("354 end with <CRLF>.<CRLF>")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                box.messages.append(data)
                self._say("250 queued")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("250 ok")


@contextmanager
def smtp_server() -> Iterator[_SMTPServer]:
    server = _SMTPServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
