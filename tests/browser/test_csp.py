"""In a real browser, under the Content Security Policy every response carries
(hub/security_headers.py): the main pages of each role load without the browser refusing
anything, GOV.UK Frontend's JavaScript still runs on each (the `js-enabled` line allowed by its
hash, the components started from hub/static/hub.js), and the managers' charts are drawn."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from hub.clock import utcnow
from hub.referrals import lifecycle
from partners import links
from tests.factories import submit, user

pytestmark = pytest.mark.browser

# Run in every document and frame before the page's own scripts: report what the policy refused.
REPORT_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (event) => {
  window.reportViolation(`${event.violatedDirective} refused ${event.blockedURI || 'inline'}`
    + ` in ${event.documentURI} (${event.sourceFile}:${event.lineNumber})`);
});
"""


@pytest.fixture
def referrals(db, demo_hub):
    """A questionnaire two days old: its fire safety referral forwarded to the fire brigade (whose
    staff sign in), its falls referral forwarded to a partner without accounts, one still at the
    hub; one more closed a month ago, for the charts' outcomes."""
    past = utcnow() - timedelta(days=2)
    smoke, falls, lonely = submit(
        user("frontline"), past, yes=("smoke_alarms", "falls", "lonely")
    ).referrals
    for referral in (smoke, falls):
        lifecycle.forward_referral(referral, user("hub"), past + timedelta(hours=1))
    earlier = utcnow() - timedelta(days=30)
    (closed,) = submit(user("frontline"), earlier, yes=("smoke_alarms",)).referrals
    lifecycle.forward_referral(closed, user("hub"), earlier + timedelta(hours=2))
    lifecycle.record_contact(closed, None, earlier + timedelta(days=2))
    lifecycle.close_referral(closed, None, earlier + timedelta(days=2), "service_provided")
    db.session.commit()
    return {"smoke": smoke, "falls": falls, "lonely": lonely}


class Visitor:
    """The ``page`` fixture's browser context, reporting every refusal of the policy: the events
    its documents raise, and what the browser writes to the console (which covers frames whose
    scripts are sandboxed off)."""

    def __init__(self, page, base_url: str):
        self.page, self.base_url, self.violations = page, base_url, []
        self.context = page.context
        self.context.expose_function("reportViolation", lambda text: self.violations.append(text))
        self.context.add_init_script(REPORT_VIOLATIONS)
        page.on("console", self._console)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(f"console on {self.page.url}: {message.text}")

    def sign_in(self, person) -> None:
        """Sign in through the form, posted by the context's own requests (which share its
        cookies), so that only the pages this test is about are drawn."""
        self.context.clear_cookies()
        form = self.context.request.get(f"{self.base_url}/login").text()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
        answer = self.context.request.post(
            f"{self.base_url}/login",
            form={"csrf_token": token, "email": person.email, "password": person.password},
            max_redirects=0,
        )
        assert answer.status == 302, answer.text()

    def visit(self, path: str, heading: str | re.Pattern) -> None:
        response = self.page.goto(self.base_url + path)
        policy = response.header_value("Content-Security-Policy") or ""
        assert "frame-ancestors 'none'" in policy, f"{path} is not under the policy"
        expect(self.page.get_by_role("heading", level=1)).to_have_text(heading)
        self.assert_govuk_javascript_ran()

    def assert_govuk_javascript_ran(self) -> None:
        """The inline `js-enabled` line ran (its classes are on <body>), and hub.js started the
        components (each marks its element `data-<module>-init`)."""
        body = self.page.locator("body")
        expect(body).to_have_class(re.compile(r"\bjs-enabled\b"))
        expect(body).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))
        expect(self.page.locator("[data-module='govuk-skip-link']")).to_have_attribute(
            "data-govuk-skip-link-init", ""
        )


def test_the_main_pages_run_under_the_content_security_policy(
    page, live_server, demo_hub, referrals
):
    visitor = Visitor(page, live_server)
    smoke, falls, lonely = referrals["smoke"], referrals["falls"], referrals["lonely"]

    # Anyone: a partner's signed link, a page that is not there, the sign-in page.
    visitor.visit(links.link_path(falls, utcnow()), f"Referral {falls.reference}")
    visitor.visit("/no/such/page", "Page not found.")
    visitor.visit("/login", "Sign in to the SAIL referral hub")

    # Frontline: the questionnaire's first pages, with the error summary GOV.UK's script focuses.
    visitor.sign_in(demo_hub["frontline"])
    visitor.visit("/questionnaires/", re.compile("Safe and Independent Living"))
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Client details")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    visitor.assert_govuk_javascript_ran()

    # Hub staff: the queue, and a referral with its client's details and messages.
    visitor.sign_in(demo_hub["hub"])
    visitor.visit("/hub/referrals", re.compile("referral"))
    visitor.visit(f"/hub/referrals/{lonely.id}", re.compile(lonely.reference))

    # A partner: the inbox and a referral.
    visitor.sign_in(demo_hub["partner"])
    visitor.visit("/partner/referrals", "Your referrals")
    visitor.visit(f"/partner/referrals/{smoke.id}", smoke.reference)

    # A manager: the dashboard, its three charts drawn by Chart.js.
    visitor.sign_in(demo_hub["manager"])
    visitor.visit("/manage", "Turnaround and outcomes")
    for chart in ("volumes", "sla", "outcomes"):
        expect(page.locator(f"#chart-{chart}")).to_be_visible()
        assert page.evaluate("id => !!Chart.getChart(id)", f"chart-{chart}"), chart

    # An admin: the message texts, each email shown as it will look, and the mailbox.
    visitor.sign_in(demo_hub["admin"])
    visitor.visit("/admin/messages", "Message texts")
    email = page.frame_locator("main iframe").first.locator("body")
    expect(email).to_contain_text("SAIL referral hub")
    expect(email).to_have_css("font-family", re.compile("Arial"))  # the email's inline style
    visitor.visit("/admin/mailbox", "Development mailbox")

    assert visitor.violations == []
