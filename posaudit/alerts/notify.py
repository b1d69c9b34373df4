"""Delivery of alerts: a JSON POST to a webhook and a plain-text e-mail over SMTP.

Transport only: callers build the payload and the text. A delivery never raises; it returns
what happened, so that a failed delivery is recorded and reported, never a failed refresh.
Error texts never carry the webhook URL (it often embeds a token) or the password.
"""

from __future__ import annotations

import http.client
import json
import os
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from posaudit.alerts.config import EmailChannel, WebhookChannel
from posaudit.ingest.cardsafe import scrub

SENT, FAILED, NOT_CONFIGURED = "SENT", "FAILED", "NOT_CONFIGURED"
MAX_ERROR_CHARS = 500
MAX_BACKOFF_SECONDS = 60.0


@dataclass(frozen=True)
class Delivery:
    status: str
    error: str | None = None
    attempts: int = 0


def _error(text: str) -> str:
    return scrub(text)[:MAX_ERROR_CHARS]


def _retryable(code: int) -> bool:
    # Server trouble and rate limits pass; any other 4xx is a configuration problem.
    return code >= 500 or code in (408, 429)


def post_json(channel: WebhookChannel, payload: Mapping[str, Any], *,
              sleep: Callable[[float], None] = time.sleep) -> Delivery:
    """POST ``payload`` as JSON; retry connection errors, timeouts, 5xx, 408 and 429 up to
    ``channel.retries`` times with exponential backoff."""
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "posaudit"}
    headers.update(channel.headers)
    for name, variable in channel.headers_env.items():
        value = os.environ.get(variable)
        if value is None:
            return Delivery(FAILED, f"environment variable {variable} (header {name}) is not set")
        headers[name] = value
    body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    attempts = channel.retries + 1
    last = "not attempted"
    for attempt in range(attempts):
        if attempt:
            sleep(min(channel.backoff_seconds * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS))
        request = urllib.request.Request(channel.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=channel.timeout_seconds) as response:
                response.read(64 * 1024)
            return Delivery(SENT, None, attempt + 1)
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code} {exc.reason}"
            if not _retryable(exc.code):
                return Delivery(FAILED, _error(last), attempt + 1)
        except urllib.error.URLError as exc:
            last = f"cannot reach the webhook: {exc.reason}"
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            last = f"{type(exc).__name__}: {exc}"
    return Delivery(FAILED, _error(f"{last} (after {attempts} attempt(s))"), attempts)


def send_email(channel: EmailChannel, subject: str, body: str) -> Delivery:
    """Send one plain-text message to every recipient of ``channel``."""
    password = None
    if channel.user and channel.password_env:
        password = os.environ.get(channel.password_env)
        if password is None:
            return Delivery(FAILED, f"environment variable {channel.password_env} "
                                    "(SMTP password) is not set")
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = channel.sender
    message["To"] = ", ".join(channel.to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=channel.sender.rpartition("@")[2] or None)
    # Quoted-printable: 7-bit safe for servers without 8BITMIME, still readable as text.
    message.set_content(body, cte="quoted-printable")
    context = ssl.create_default_context()
    try:
        smtp: smtplib.SMTP
        if channel.security == "ssl":
            smtp = smtplib.SMTP_SSL(channel.host, channel.port, timeout=channel.timeout_seconds,
                                    context=context)
        else:
            smtp = smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout_seconds)
        with smtp:
            smtp.ehlo()
            if channel.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if channel.user and password is not None:
                smtp.login(channel.user, password)
            refused = smtp.send_message(message, from_addr=channel.sender,
                                        to_addrs=list(channel.to))
    except (smtplib.SMTPException, OSError) as exc:
        return Delivery(FAILED, _error(f"{type(exc).__name__}: {exc}"), 1)
    if refused:
        # The others got it: sent, with the refusals recorded.
        return Delivery(SENT, _error(f"recipients refused: {', '.join(sorted(refused))}"), 1)
    return Delivery(SENT, None, 1)
