"""A real hub set up from nothing, as README "Running a real hub" says: on an empty database,
with ``HUB_ENV=production``, the set-up commands alone (``db upgrade``, ``users create``,
``areas set``, ``directory import``, ``questionnaires publish``), then gunicorn; through the
JSON API a questionnaire is submitted, forwarded, accepted and closed. ``demo load`` is
refused."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from tests.conftest import TEST_CONFIG, _create_postgres_database

pytestmark = pytest.mark.both_databases

ROOT = Path(__file__).resolve().parents[1]

DIRECTORY = {
    "contents": [
        {
            "id": "3f9c1f7e-6a51-4c43-9a39-0c1b7d7d3a01",
            "name": "Southwark Carers",
            "description": "Support for unpaid carers in Southwark.",
            "email": "referrals@southwark-carers.example.org",
            "status": "active",
            "service_areas": [{"id": "southwark", "name": "Southwark"}],
            "organization": {
                "id": "8d3b0a52-1c55-4a86-b0f4-5b6f2c7d9e02",
                "name": "Southwark Carers",
            },
        },
        {
            "id": "a7e2d4c9-2b3f-4f1e-8c6d-9e0f1a2b3c04",
            "name": "Peckham Befriending",
            "description": "A weekly visit or call from a volunteer.",
            "email": "referrals@peckham-befriending.example.org",
            "status": "active",
            "organization": {
                "id": "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d05",
                "name": "Peckham Befriending",
            },
        },
    ]
}

BANK = """\
slug = "wellbeing-check"
version = 1
title = "Wellbeing check"
description = "Two questions."

[[sections]]
key = "support"
title = "Support"

[[sections.questions]]
key = "carer"
text = "Do you look after someone who could not manage without you?"
partner = "southwark-carers"

[[sections.questions]]
key = "lonely"
text = "Do you often feel lonely?"
partner = "peckham-befriending"
"""


@pytest.fixture
def empty_database(backend, tmp_path):
    """A URL of a database with nothing in it, not even a schema."""
    if backend.name == "sqlite":
        yield f"sqlite:///{tmp_path / 'hub.db'}"
        return
    url, admin, name = _create_postgres_database()
    yield url
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def production(empty_database, tmp_path):
    """The environment of a production hub, and a way to run its ``flask`` commands."""
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("HUB_", "SMTP"))},
        "HUB_ENV": "production",
        "DATABASE_URL": empty_database,
        "SECRET_KEY": "a-long-random-production-secret-for-the-test",
        "HUB_BASE_URL": "https://hub.example.org",
        "HUB_PASSWORD_HASH_METHOD": TEST_CONFIG["PASSWORD_HASH_METHOD"],
    }
    env.pop("TWILIO_ACCOUNT_SID", None)

    def flask(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "flask", "--app", "hub", *args],
            cwd=tmp_path,  # nothing of the repository's instance folder or .env is read
            env={**env, "PYTHONPATH": str(ROOT)},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    flask.env = env
    return flask


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def gunicorn(production, tmp_path):
    """The hub under gunicorn (two workers) in production mode, once set up."""

    def start() -> str:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
             "hub:create_app()"],
            cwd=tmp_path,
            env={**production.env, "PYTHONPATH": str(ROOT)},
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        started.append(process)
        booted, seen = 0, []
        for line in process.stderr:
            seen.append(line)
            booted += "Booting worker" in line
            if booted == 2:
                break
        else:
            pytest.fail("gunicorn did not start:\n" + "".join(seen[-30:]))
        threading.Thread(target=lambda: [None for _ in process.stderr], daemon=True).start()
        return f"http://127.0.0.1:{port}"

    started: list[subprocess.Popen] = []
    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=30)


def test_the_set_up_commands_alone_give_a_hub_that_closes_the_loop(production, gunicorn, tmp_path):
    password = "correct horse battery staple 42"
    directory, bank = tmp_path / "directory.json", tmp_path / "bank.toml"
    directory.write_text(json.dumps(DIRECTORY))
    bank.write_text(BANK)

    ok(production("db", "upgrade"))
    refused = production("demo", "load")
    assert refused.returncode != 0 and "development only" in refused.stderr
    ok(production("users", "create", "admin@hub.example.org", "--role", "admin",
                  "--org", "Age UK Southwark", "--password-stdin", stdin=password))  # fmt: skip
    ok(production("areas", "set", "southwark", "--name", "Southwark",
                  "--postcodes", "SE1, SE5, SE15, SE17"))  # fmt: skip
    assert "southwark-carers" in ok(production("directory", "import", str(directory)))
    ok(production("questionnaires", "publish", str(bank)))
    # Publishing a bank that names a partner the directory does not have is refused.
    (tmp_path / "bad.toml").write_text(
        BANK.replace("version = 1", "version = 2").replace("peckham-befriending", "nobody-here")
    )
    bad = production("questionnaires", "publish", str(tmp_path / "bad.toml"))
    assert bad.returncode != 0 and "nobody-here" in bad.stderr

    # The people who use it: a frontline worker, a hub officer, a partner's worker.
    for email, role, org in (
        ("worker@council.example.org", "frontline", "Southwark Council Adult Social Care"),
        ("officer@hub.example.org", "hub", "Age UK Southwark"),
        ("duty@southwark-carers.example.org", "partner", "southwark-carers"),
    ):
        ok(production("users", "create", email, "--role", role, "--org", org,
                      "--password-stdin", stdin=password))  # fmt: skip
    token = {
        role: ok(production("users", "token", email)).strip()
        for role, email in (
            ("frontline", "worker@council.example.org"),
            ("hub", "officer@hub.example.org"),
            ("partner", "duty@southwark-carers.example.org"),
        )
    }

    def api(method: str, path: str, role: str, body: dict | None = None) -> requests.Response:
        return requests.request(
            method,
            f"{base}/api/v1{path}",
            json=body,
            headers={"Authorization": f"Bearer {token[role]}"},
            timeout=30,
        )

    base = gunicorn()
    assert requests.get(f"{base}/healthz", timeout=30).status_code == 200
    submitted = api("POST", "/submissions", "frontline", {
        "questionnaire": "wellbeing-check",
        "client": {
            "given_name": "Edna", "family_name": "Clarke", "date_of_birth": "1941-05-17",
            "address": "12 Commercial Way\nLondon", "postcode": "SE15 5JT",
            "phone": "020 7946 0000", "preferred_contact": "phone",
        },
        "consent": {"given": True},
        "answers": {"carer": True, "lonely": False},
    })  # fmt: skip
    assert submitted.status_code == 201, submitted.text
    [referral] = submitted.json()["referrals"]
    assert referral["borough"] == "southwark"
    assert referral["partner"] == "southwark-carers"
    assert submitted.json()["borough"] == "southwark"  # found from the postcode
    path = f"/referrals/{referral['id']}"

    forwarded = api("POST", f"{path}/forward", "hub")
    assert forwarded.status_code == 200, forwarded.text
    assert forwarded.json()["status"] == "forwarded"
    accepted = api("POST", f"{path}/accept", "partner")
    assert accepted.status_code == 200, accepted.text
    contacted = api("POST", f"{path}/contact", "partner")
    assert contacted.status_code == 200, contacted.text
    closed = api("POST", f"{path}/close", "partner", {"outcome": "service_provided"})
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert closed.json()["outcome"] == "service_provided"

    # The signed-in pages are there too: the admin's sign-in page answers, over HTTPS rules.
    page = requests.get(f"{base}/login", timeout=30)
    assert page.status_code == 200
    assert "Strict-Transport-Security" in page.headers
