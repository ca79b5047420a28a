"""Owners' email goes through Django's SMTP backend to the server the configuration names: a real SMTP
conversation with a loopback server (no TLS here: WUYE_EMAIL_SECURITY=none); a refusal is retried."""

from __future__ import annotations

import email
import email.policy
import socketserver
import subprocess
import sys
import threading

import pytest

from tests.factories import PersonFactory
from tests.owners.factories import HouseholdBindingFactory
from wuye.notifications.domain.outbox import notify
from wuye.notifications.enums import Channel, MessageState
from wuye.notifications.models import Message

pytestmark = pytest.mark.django_db


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP: records each message's envelope and data; refuses RCPT when told to."""

    def handle(self):
        server = self.server
        self.wfile.write(b"220 sink ESMTP\r\n")
        recipients, data = [], []
        while line := self.rfile.readline():
            command = line.decode("utf-8", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.wfile.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif verb == "RCPT":
                if server.refuse:
                    self.wfile.write(b"451 try again later\r\n")
                else:
                    recipients.append(command.split(":", 1)[1].strip(" <>"))
                    self.wfile.write(b"250 ok\r\n")
            elif verb == "DATA":
                self.wfile.write(b"354 go on\r\n")
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk)
                server.received.append((recipients, b"".join(data)))
                self.wfile.write(b"250 queued\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp(settings):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    server.daemon_threads = True
    server.received, server.refuse = [], False
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.server_address[1]
    settings.EMAIL_USE_SSL = settings.EMAIL_USE_TLS = False
    settings.DEFAULT_FROM_EMAIL = "物业 <notice@example.com>"
    yield server
    server.shutdown()


def _emailed(community, django_capture_on_commit_callbacks):
    person = PersonFactory(household__community=community, phone="")
    HouseholdBindingFactory(person=person, account__phone="13800007777", account__email="owner@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            community=community, event="notices.notice.published", people=[person], context={"title": "停水"}
        )
    return Message.objects.get(channel=Channel.EMAIL)


def test_an_email_goes_through_the_smtp_server(smtp, community, django_capture_on_commit_callbacks):
    message = _emailed(community, django_capture_on_commit_callbacks)

    assert message.state == MessageState.SENT
    ((recipients, data),) = smtp.received
    assert recipients == ["owner@example.com"]
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert parsed["From"].addresses[0].addr_spec == "notice@example.com"
    assert parsed["To"] == "owner@example.com"
    assert "停水" in parsed["Subject"] and "停水" in parsed.get_content()


def test_a_refusing_smtp_server_means_another_try(smtp, community, django_capture_on_commit_callbacks):
    smtp.refuse = True

    message = _emailed(community, django_capture_on_commit_callbacks)

    assert (message.state, message.attempts) == (MessageState.QUEUED, 1)
    assert smtp.received == []


def test_the_configuration_chooses_smtp_only_with_a_server(tmp_path):
    def backend(**environ):
        code = "from django.conf import settings; import django; django.setup(); print(settings.EMAIL_BACKEND, settings.EMAIL_USE_SSL, settings.EMAIL_USE_TLS, settings.DEFAULT_FROM_EMAIL)"
        result = subprocess.run(  # noqa: S603  (this interpreter, a fixed script)
            [sys.executable, "-c", code],
            env={
                "PATH": "/usr/bin:/bin",
                "DJANGO_SETTINGS_MODULE": "wuye.settings",
                "WUYE_DEBUG": "1",
                "WUYE_DATA_DIR": str(tmp_path),
                **environ,
            },
            capture_output=True,
            text=True,
            check=False,
        )
        return result.stdout.strip() or result.stderr.strip().splitlines()[-1]

    assert backend() == "django.core.mail.backends.console.EmailBackend False False webmaster@localhost"
    assert backend(
        WUYE_EMAIL_HOST="smtp.example.com", WUYE_EMAIL_USER="u@example.com", WUYE_EMAIL_SECURITY="starttls"
    ) == ("django.core.mail.backends.smtp.EmailBackend False True u@example.com")
    assert "WUYE_EMAIL_SECURITY" in backend(WUYE_EMAIL_SECURITY="tls1.3")
