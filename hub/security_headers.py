"""Security headers on every response: pages, the API, webhooks, error pages and static files
(docs/design.md, "Security headers"; docs/decisions.md says why each is as it is).

One ``after_request`` function sets them, so a response made by a view, an error handler, a
redirect or Flask's ``static`` route gets them alike. The Content Security Policy allows scripts,
styles, fonts and images from this site only: no inline script but GOV.UK Frontend's fixed
``js-enabled`` line (by its hash), and no inline style but on the page of sample emails.
Every response but the static assets and ``/healthz`` carries ``Cache-Control: no-store``, as
any of them may hold personal data; HSTS is sent only in production (``HUB_ENV=production``).
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

# GOV.UK Frontend's template (govuk_frontend_jinja/template.html) opens <body> with one inline
# script that adds the `js-enabled` and `govuk-frontend-supported` classes its CSS and JavaScript
# need. It never changes between requests, so its hash allows exactly it and nothing else; a test
# checks the hash against the installed template.
GOVUK_JS_ENABLED_HASH = "'sha256-GUQ5ad8JK5KmEWmROf3LZd9ge94daqNvd8xy9YS1iDw='"


def content_security_policy(inline_styles: bool = False) -> str:
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' {GOVUK_JS_ENABLED_HASH}",
            "style-src 'self'" + (" 'unsafe-inline'" if inline_styles else ""),
            "img-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


CONTENT_SECURITY_POLICY = content_security_policy()

# The one exception. The admin's message texts page shows each HTML email as it will look, in a
# sandboxed frame (`srcdoc`, no scripts) that inherits the page's policy; an email must carry
# its styles inline, as mail clients ignore stylesheets. That page shows only samples rendered
# from our own templates with made-up data, nothing anyone typed, so allowing inline styles
# there (never scripts) lets no one inject anything.
INLINE_STYLE_ENDPOINTS = frozenset({"admin.message_texts"})
INLINE_STYLE_POLICY = content_security_policy(inline_styles=True)

# What is sent on every response. `same-origin`, not `no-referrer`: a signed link carries its
# token in the path and must never reach another site, but Flask-WTF's CSRF check refuses an
# HTTPS form posted without a Referer from this site (WTF_CSRF_SSL_STRICT).
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"

# The only responses that may be kept by a browser or a proxy: our stylesheets and scripts,
# GOV.UK Frontend's fonts and images, and the health check. Nothing in them is about anyone.
CACHEABLE_ENDPOINTS = frozenset({"static", "health.govuk_assets", "health.healthz"})


def add_security_headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    if request.endpoint in INLINE_STYLE_ENDPOINTS:
        response.headers["Content-Security-Policy"] = INLINE_STYLE_POLICY
    if request.endpoint not in CACHEABLE_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
    if current_app.config.get("HUB_ENV") == "production":
        response.headers["Strict-Transport-Security"] = HSTS
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
