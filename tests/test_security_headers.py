"""Security headers (docs/design.md, "Security headers"): every response carries nosniff, a
Content Security Policy that frames nothing and runs no inline script, frame protection and a
Referrer-Policy; every response but static assets and ``/healthz`` carries ``Cache-Control:
no-store``; production adds HSTS. And the templates give that policy nothing to block."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from flask import abort

from hub import create_app
from hub.auth.access import public
from tests.api_support import bearer

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"


def directives(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy")
    assert policy, f"no Content-Security-Policy on {response.request.path}"
    parsed = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def assert_protected(response) -> None:
    """The headers every response carries, whatever it is."""
    path = response.request.path
    assert response.headers.get("X-Content-Type-Options") == "nosniff", path
    assert response.headers.get("X-Frame-Options") == "DENY", path
    assert response.headers.get("Referrer-Policy") == "same-origin", path
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["img-src"] == ["'self'"]
    assert policy["font-src"] == ["'self'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert "'self'" in policy["script-src"]
    for directive in ("script-src", "style-src", "default-src"):
        assert "'unsafe-inline'" not in policy[directive], directive
        assert "'unsafe-eval'" not in policy[directive], directive
    assert policy["style-src"] == ["'self'"]


def assert_private(response) -> None:
    assert_protected(response)
    assert response.headers.get("Cache-Control") == "no-store", response.request.path


# --- Pages, the API, webhooks, errors and static files -----------------------------------------


def test_a_page_with_client_details_carries_every_header(client, sign_in_as, referral):
    sign_in_as("hub")
    response = client.get(f"/hub/referrals/{referral.id}")
    assert response.status_code == 200
    assert_private(response)
    assert "Strict-Transport-Security" not in response.headers  # development


def test_the_sign_in_page_and_its_redirects_carry_every_header(client, demo_hub):
    assert_private(client.get("/login"))
    redirect = client.get("/hub/referrals")
    assert redirect.status_code == 302
    assert_private(redirect)


def test_an_api_answer_carries_every_header(client, referral, now):
    response = client.get(f"/api/v1/referrals/{referral.id}", headers=bearer("hub", now))
    assert response.status_code == 200
    assert response.json["id"] == referral.id
    assert_private(response)
    refused = client.get(f"/api/v1/referrals/{referral.id}")
    assert refused.status_code == 401
    assert_private(refused)


def test_a_webhook_answer_carries_every_header(client, demo_hub):
    response = client.post("/webhooks/twilio/status", data={"MessageSid": "SM1"})
    assert response.status_code == 403
    assert_private(response)


def test_error_pages_carry_every_header(client, sign_in_as):
    not_found = client.get("/no/such/page")
    assert not_found.status_code == 404
    assert_private(not_found)
    api_not_found = client.get("/api/v1/no-such-thing")
    assert api_not_found.status_code == 404
    assert_private(api_not_found)
    sign_in_as("frontline")
    forbidden = client.get("/manage")
    assert forbidden.status_code == 403
    assert "You do not have permission" in forbidden.get_data(as_text=True)
    assert_private(forbidden)


def test_static_files_carry_the_headers_and_may_be_cached(client):
    for path in ("/static/hub.css", "/static/hub.js", "/static/manage.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_protected(response)
        assert "no-store" not in response.headers.get("Cache-Control", ""), path
        response.close()
    missing_file = client.get("/static/no-such-file.js")
    assert missing_file.status_code == 404
    assert_protected(missing_file)


def test_the_health_check_carries_the_headers_and_may_be_cached(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert_protected(response)
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_only_the_email_previews_may_use_inline_styles_and_never_scripts(client, sign_in_as):
    """The message texts page shows each HTML email, whose styles are inline, as it will look."""
    sign_in_as("admin")
    previews = client.get("/admin/messages")
    assert previews.status_code == 200
    assert 'srcdoc="' in previews.get_data(as_text=True)
    policy = directives(previews)
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert previews.headers["Cache-Control"] == "no-store"
    assert_private(client.get("/admin/mailbox"))  # the strict policy again


# --- Production ---------------------------------------------------------------------------------


@pytest.fixture
def production_app(monkeypatch, tmp_path):
    """An app built from a production environment, with a route that fails, to see the 500 page."""
    monkeypatch.setenv("HUB_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "production-secret")
    monkeypatch.setenv("HUB_OUTBOX_KEY", "production-outbox-key")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app(instance_path=str(tmp_path / "instance"))
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer with the 500 page, as in production

    @app.get("/fails")
    @public
    def fails():
        raise RuntimeError("boom")

    @app.get("/gone")
    @public
    def gone():
        abort(404)

    return app


def test_production_adds_hsts_to_every_response(production_app):
    assert production_app.config["HUB_ENV"] == "production"
    client = production_app.test_client()
    for path, status in (("/login", 200), ("/static/hub.css", 200), ("/gone", 404)):
        response = client.get(path, base_url="https://hub.example")
        assert response.status_code == status, path
        assert response.headers.get("Strict-Transport-Security") == (
            "max-age=31536000; includeSubDomains"
        ), path
        assert_protected(response)
        response.close()


def test_the_500_page_carries_every_header(production_app):
    response = production_app.test_client().get("/fails", base_url="https://hub.example")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.get_data(as_text=True)
    assert_private(response)
    assert "Strict-Transport-Security" in response.headers


def test_development_sends_no_hsts(client):
    response = client.get("/static/hub.css")
    assert "Strict-Transport-Security" not in response.headers
    response.close()


# --- The templates give the policy nothing to block -------------------------------------------


def test_the_one_inline_script_allowed_is_govuk_frontends_js_enabled_line(client):
    """The hash in the policy is that of the script GOV.UK Frontend's template actually renders,
    so upgrading govuk-frontend-jinja cannot silently stop `js-enabled` being set."""
    html = client.get("/login").get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, re.S)
    assert len(inline) == 1 and "js-enabled" in inline[0]
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in directives(client.get("/login"))["script-src"]


def page_templates() -> list[Path]:
    """Every template that becomes a page (emails are not pages: they need inline styles)."""
    return [
        path
        for path in sorted(TEMPLATES.rglob("*.html"))
        if "notifications" not in path.relative_to(TEMPLATES).parts
    ]


@pytest.mark.parametrize(
    "pattern, what",
    [
        (r"<script(?![^>]*\b(src=|type=\"application/json\"))[^>]*>", "an inline script"),
        (r"\son[a-z]+\s*=", "an inline event handler (onclick=…)"),
        (r"\sstyle\s*=", "an inline style attribute"),
        (r"<style\b", "a <style> element"),
        (r"javascript:", "a javascript: URL"),
    ],
)
def test_no_page_template_has_inline_script_or_style(pattern, what):
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in page_templates()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(pattern, line)
    ]
    assert found == [], f"{what}, which the Content Security Policy blocks: move it to hub/static/"
