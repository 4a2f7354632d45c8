"""A fake Twilio Messages API on loopback, for the SMS tests and the dispatch bench.

It answers ``POST /2010-04-01/Accounts/{sid}/Messages.json`` as Twilio does: form-encoded
``To``, ``From``, ``Body``, ``StatusCallback``, HTTP basic auth ``sid:token``, and a 201 with the
new message's JSON (``sid`` "SM…", ``status`` "queued"). It keeps every message it accepts;
``outage(n)`` answers 503 to the next ``n`` requests; ``invalid`` numbers get 400, code 21211.

The ``fake_twilio`` fixture (``tests/conftest.py`` makes it every test's) starts one and points
the app's Twilio settings at it.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "fake-twilio-token"
FROM_NUMBER = "+447700900001"
MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC\w+)/Messages\.json$")


@dataclass
class Sms:
    sid: str
    to: str
    from_: str
    body: str
    status_callback: str | None


class FakeTwilio:
    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: list[Sms] = []
        self.invalid: set[str] = set()  # numbers answered 400, code 21211
        self.requests = 0
        self._outage = 0
        self._lock = threading.Lock()
        self._sids = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeTwilio:
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def outage(self, requests: int) -> None:
        """Answer 503 to the next ``requests`` requests, then recover."""
        with self._lock:
            self._outage = requests

    def config(self) -> dict[str, str]:
        """The hub's settings that send SMS here."""
        return {
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_AUTH_TOKEN": self.auth_token,
            "TWILIO_FROM_NUMBER": FROM_NUMBER,
            "TWILIO_API_BASE_URL": self.url,
        }

    def _answer(self, path: str, auth: str | None, form: dict[str, str]) -> tuple[int, dict]:
        with self._lock:
            self.requests += 1
            if self._outage > 0:
                self._outage -= 1
                return 503, _error(503, 20503, "Service unavailable")
        match = MESSAGES_PATH.match(path)
        if not match:
            return 404, _error(404, 20404, "The requested resource was not found")
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if auth != f"Basic {expected}" or match["sid"] != self.account_sid:
            return 401, _error(401, 20003, "Authenticate")
        to, sender, body = form.get("To"), form.get("From"), form.get("Body")
        if not to or not sender or not body:
            return 400, _error(400, 21604, "A 'To', 'From' and 'Body' are required")
        if to in self.invalid:
            return 400, _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        with self._lock:
            sid = f"SM{next(self._sids):08d}{uuid.uuid4().hex[:24]}"
            sms = Sms(sid, to, sender, body, form.get("StatusCallback"))
            self.messages.append(sms)
        return 201, {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": to,
            "from": sender,
            "body": body,
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "date_created": time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Twilio's client expects
            disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms wait

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                form = {key: values[0] for key, values in parse_qs(raw).items()}
                status, answer = fake._answer(self.path, self.headers.get("Authorization"), form)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format, *args):  # quiet
                pass

        return Handler


def _error(status: int, code: int, message: str) -> dict:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@pytest.fixture(name="fake_twilio")
def fake_twilio_fixture(app):
    fake = FakeTwilio().start()
    app.config.update(fake.config())
    yield fake
    fake.stop()
