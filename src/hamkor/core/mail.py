"""Sending e-mail through the operator's SMTP server, named by one URL (``HAMKOR_SMTP_URL``).

Only the standard library: ``smtplib`` speaks to the server and ``email.message.EmailMessage``
encodes headers and bodies in any script. Nothing here runs on a request: notifications send
their e-mail from a job, so a slow or unreachable server never slows a page.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from enum import StrEnum
from urllib.parse import unquote, urlsplit

#: Seconds to wait for the server before the job fails (and may be run again).
TIMEOUT_SECONDS = 30.0


class Security(StrEnum):
    """How the connection to the server is protected."""

    NONE = "none"  # smtp://, for a relay on the same host or network
    STARTTLS = "starttls"  # smtp+starttls://, the submission port
    TLS = "tls"  # smtps://, TLS from the first byte


_SCHEMES = {
    "smtp": (Security.NONE, 25),
    "smtp+starttls": (Security.STARTTLS, 587),
    "smtps": (Security.TLS, 465),
}


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to hand over e-mail; the password is kept out of ``repr``."""

    host: str
    port: int
    security: Security
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:
        return f"SmtpServer({self.host!r}, {self.port}, {self.security.value})"


def parse_url(url: str) -> SmtpServer:
    """The server of ``smtp://``, ``smtp+starttls://`` or ``smtps://user:password@host:port``;
    ``ValueError`` for anything else, so that a typo stops the app at start-up."""
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES:
        raise ValueError(f"the mail server URL must start with one of {sorted(_SCHEMES)}")
    if not parts.hostname:
        raise ValueError("the mail server URL names no host")
    security, default_port = _SCHEMES[parts.scheme]
    return SmtpServer(
        host=parts.hostname,
        port=parts.port or default_port,
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def compose(
    *,
    sender: str,
    recipient: str,
    recipient_name: str,
    subject: str,
    body: str,
    language: str,
) -> EmailMessage:
    """A plain-text message in ``language``; names and subjects in any script are encoded."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((recipient_name, recipient))
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("> ") or None)
    # RFC 3834: no vacation responder should answer a notification.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    # After the content: setting it replaces every Content-* header.
    message["Content-Language"] = language
    return message


def send(server: SmtpServer, message: EmailMessage) -> None:
    """Hand ``message`` to the server; raises ``smtplib.SMTPException`` or ``OSError``."""
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if server.security is Security.TLS:
        client = smtplib.SMTP_SSL(
            server.host, server.port, timeout=TIMEOUT_SECONDS, context=context
        )
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)
    with client:
        if server.security is Security.STARTTLS:
            client.starttls(context=context)
        if server.username:
            client.login(server.username, server.password or "")
        client.send_message(message)
