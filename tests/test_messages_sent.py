"""What the hub sends, and to whom: partners by email and SMS when a referral is forwarded, the
referrer when their questionnaire has been forwarded and when its last referral closes, the
client (only if they asked to hear by SMS or email), and hub staff when a message fails for
good. Every kind has a sample on the admins' page, built from the same templates."""

from __future__ import annotations

from pathlib import Path

from flask import template_rendered
from jinja2 import StrictUndefined

from notifications import messages

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "notifications"


# --- Samples -------------------------------------------------------------------------------------


def test_every_template_has_a_sample_and_every_variable_is_given(app):
    rendered: list[str] = []

    def record(sender, template, context, **extra):
        rendered.append(template.name)

    with app.app_context():
        app.jinja_env.undefined = StrictUndefined  # a missing variable raises
        template_rendered.connect(record, app)
        try:
            previews = messages.previews()
        finally:
            template_rendered.disconnect(record, app)
    expected = {
        f"notifications/{path.name}"
        for path in TEMPLATES.iterdir()
        if not path.name.startswith("_")
    }
    assert expected <= set(rendered)
    kinds = {(preview.kind, preview.channel) for preview in previews}
    assert len(kinds) == len(previews)  # one sample per kind and channel
    for preview in previews:
        assert preview.audience in ("Partner agency", "Referrer", "Client", "Hub staff")
        assert preview.when and preview.body
        if preview.channel == "email":
            assert preview.subject and preview.html
        else:
            assert preview.subject is None and preview.html is None
