"""The registry of message kinds (``notifications.kinds``) names every kind the code can queue,
on the channels it queues it by, and nothing else: the templates, the outbox writers and the
admins' samples all agree with it."""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from notifications import kinds
from notifications.messages import previews, rendering

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates" / "notifications"
MESSAGES = ROOT / "notifications" / "messages"
# The outbox writers, with the channel each queues by; every other writer goes through them.
WRITERS = {"queue_email": kinds.EMAIL, "queue_sms": kinds.SMS, "_email_each": kinds.EMAIL}


def registered() -> set[tuple[str, str]]:
    return {(kind.name, channel) for kind in kinds.KINDS.values() for channel in kind.channels}


def queued_in_code() -> set[tuple[str, str]]:
    """Each (kind, channel) a writer is called with in ``notifications/messages/``."""
    found = set()
    for path in MESSAGES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in WRITERS or not node.args:
                continue
            kind = node.args[0]
            if isinstance(kind, ast.Constant):
                found.add((kind.value, WRITERS[name]))
            else:  # passed through from a caller's literal, as ``_email_each`` does
                assert isinstance(kind, ast.Name) and kind.id == "kind", ast.dump(node)
    return found


def test_every_kind_the_code_queues_is_registered_and_every_registered_one_is_queued():
    queued = queued_in_code()
    assert len(queued) > 10  # the scan found the writers
    assert queued == registered()


def test_every_template_belongs_to_a_registered_kind_and_channel():
    templates = {path.name for path in TEMPLATES.iterdir() if not path.name.startswith("_")}
    expected = set()
    for kind, channel in registered():
        if channel == kinds.EMAIL:
            expected |= {f"{kind}.txt", f"{kind}.html"}
        else:
            expected.add(f"{kind}_sms.txt")
    assert templates == expected


def test_every_registered_kind_and_channel_has_one_sample(app):
    with app.app_context():
        assert set(previews.samples()) == registered()
        shown = previews.previews()
    assert [(p.kind, p.channel) for p in shown] == [
        (kind.name, channel) for kind in kinds.KINDS.values() for channel in kind.channels
    ]
    for preview in shown:
        kind = kinds.KINDS[preview.kind]
        assert preview.audience == kind.audience
        assert preview.when == kind.channels[preview.channel]


def test_every_kind_says_who_it_is_for_what_it_is_about_and_how_it_goes():
    for name, kind in kinds.KINDS.items():
        assert kind.name == name
        assert kind.audience in kinds.AUDIENCES
        assert kind.about and kind.about != name
        assert kind.channels and set(kind.channels) <= set(kinds.CHANNEL_WORDS)
        assert all(kind.channels.values())
        if name == "failed_digest":
            assert kind.failed is None  # a failed digest is in no digest
        else:
            assert "{channel}" in kind.failed


@pytest.mark.parametrize(
    ("kind", "channel"),
    [("something_new", "email"), ("referral_cancelled", "sms"), ("partner_digest", "sms")],
)
def test_a_kind_or_channel_not_registered_is_refused_where_it_is_queued(kind, channel):
    rendered = rendering.Rendered(subject="Subject", body="Body", html="<p>Body</p>")
    write = rendering.queue_email if channel == kinds.EMAIL else rendering.queue_sms
    with pytest.raises(ValueError, match="not registered"):
        write(kind, f"{kind}:1", "someone@example.org", rendered, None, datetime(2026, 3, 2))


def test_an_old_rows_kind_keeps_its_code():
    assert kinds.about("retired_kind") == "retired_kind"
    assert "could not be sent" in kinds.about("message_failed")  # before the failure digest
    assert kinds.failed_words("retired_kind", "sms", "An Agency", "A Referrer") == (
        "the text message (SMS) “retired_kind”"
    )


def test_notifications_import_no_view_module():
    """Views read the registry and the samples; the messages never reach back into a view (a
    module that defines a blueprint)."""
    modules = [
        f"notifications.{path.stem}"
        for path in (ROOT / "notifications").glob("*.py")
        if path.stem != "__init__"
    ] + [f"notifications.messages.{path.stem}" for path in MESSAGES.glob("*.py")]
    script = (
        "import importlib, sys\n"
        "from flask import Blueprint\n"
        f"for name in {modules!r}: importlib.import_module(name.removesuffix('.__init__'))\n"
        "for name, module in list(sys.modules.items()):\n"
        "    if any(isinstance(value, Blueprint) for value in vars(module).values()):\n"
        "        print(name)\n"
    )
    views = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert views == []
