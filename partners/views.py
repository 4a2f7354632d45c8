"""The partner portal (``/partner/...``): an agency's referrals and what it does with each.

A partner user finds referrals only through ``hub.auth.access.referrals_visible_to`` (see
``partners.queries``): its own agency's once forwarded, or the one referral a signed link opened;
anything else is 404, for a look and for a change alike. Every change goes through
``hub.referrals.lifecycle`` on a locked referral, by way of ``hub.page_actions.apply_change``: it
commits once, flashes what happened and what comes next, and redirects to the referral
(post/redirect/get). A change the referral's status does not allow is refused with 409 and
changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user

from hub import audit
from hub.auth.access import acting_user, roles_required
from hub.clock import utcnow
from hub.extensions import db
from hub.filters import london_time
from hub.labels import outcome_label
from hub.models import Referral
from hub.page_actions import apply_change
from hub.referrals import lifecycle, sla
from hub.referrals.overdue import current_deadline, is_overdue
from hub.status import OUTCOMES_WITHOUT_CONTACT, PARTNER_OUTCOMES, Status
from hub.triage.queries import ReferralRow
from partners import queries
from partners.forms import AttemptForm, CloseForm, ContactForm, DeclineForm, PartnerForm

partner_portal = Blueprint("partner_portal", __name__, url_prefix="/partner")

# The lifecycle names a moment's field after the column; the forms ask for it as "when".
FORM_FIELD = {"attempted_at": "when", "contacted_at": "when"}


@partner_portal.get("/referrals")
@roles_required("partner")
def inbox():
    now = utcnow()
    tab = request.args.get("tab", queries.DEFAULT_TAB)
    if tab not in queries.TAB_STATUSES:
        tab = queries.DEFAULT_TAB
    try:
        page = queries.inbox(acting_user(), tab, now, request.args.get("page", 1, type=int))
    except queries.PageNotFound:
        abort(404)
    tabs = queries.tabs(acting_user(), tab)
    return render_template(
        "partners/inbox.html",
        page=page,
        tab=tab,
        tabs=tabs,
        current_tab=next(t for t in tabs if t.current),
        anything=any(t.count for t in tabs),
        summary=queries.inbox_summary(acting_user(), now),
        organisation=current_user.organisation,
        now=now,
    )


def _visible_or_404(referral_id: int) -> Referral:
    referral = queries.referral_for_page(acting_user(), referral_id)
    if referral is None:
        abort(404)
    return referral


def _referral_page(referral_id: int, error: str | None = None, status: int = 200):
    referral = _visible_or_404(referral_id)
    now = utcnow()
    deadline, kind = current_deadline(referral)
    return (
        render_template(
            "partners/referral.html",
            referral=referral,
            row=ReferralRow(
                referral,
                queries.question_text(referral),
                deadline,
                kind,
                overdue=is_overdue(referral, now),
            ),
            client=referral.submission.client,
            attempts=referral.attempts,
            attempts_needed=sla.unable_to_contact_attempts(),
            history=queries.history(referral),
            hub_notes=queries.hub_notes(referral),
            actions=queries.available_actions(referral),
            error=error,
            now=now,
        ),
        status,
    )


@partner_portal.get("/referrals/<int:referral_id>")
@roles_required("partner")
def referral(referral_id: int):
    page = _referral_page(referral_id)
    user = acting_user()
    # A partner that opened a signed link with a code is a stand-in user seeing this page.
    where = "partner signed link" if user.link_referral_id is not None else "partner referral page"
    audit.viewed(user, where, utcnow(), referral=db.session.get(Referral, referral_id))
    return page


def _url_of(referral: Referral) -> str:
    return url_for(".referral", referral_id=referral.id)


@partner_portal.post("/referrals/<int:referral_id>/accept")
@roles_required("partner")
def accept(referral_id: int):
    def done(referral: Referral, _) -> tuple[str, str]:
        return (
            f"Referral {referral.reference} accepted. Contact the client by "
            f"{london_time(referral.contact_due_at)}, and record each attempt to reach them.",
            _url_of(referral),
        )

    return apply_change(
        queries.lock_referral(acting_user(), referral_id),
        lambda referral: lifecycle.accept_referral(referral, acting_user(), utcnow()),
        done,
        refused=lambda message: _referral_page(referral_id, error=message, status=409),
    )


def _action_page(
    referral_id: int,
    action: str,
    form: PartnerForm,
    template: str,
    change: Callable[[Referral, PartnerForm], None],
    confirmation: Callable[[Referral], str],
    context: Callable[[Referral, PartnerForm], dict] = lambda referral, form: {},
):
    """A form that changes the referral: shown, checked, applied through the lifecycle on the
    locked referral, then confirmed on the referral page. A refusal re-shows the form with
    everything typed, the reason on its field (422) or, if the action is not allowed now, in
    the error summary (409)."""
    referral = _visible_or_404(referral_id)

    def page(error: str | None, status: int):
        referral = _visible_or_404(referral_id)  # as it is now, after any rollback
        return (
            render_template(
                template,
                referral=referral,
                question=queries.question_text(referral),
                form=form,
                error=error,
                show_form=action in queries.available_actions(referral),
                **context(referral, form),
            ),
            status,
        )

    def invalid(problem: lifecycle.InvalidTransitionInput):
        form[FORM_FIELD.get(problem.field, problem.field)].errors.append(str(problem))
        return page(None, 422)

    if form.validate_on_submit():
        return apply_change(
            queries.lock_referral(acting_user(), referral_id),
            lambda locked: change(locked, form),
            lambda locked, _: (confirmation(locked), _url_of(locked)),
            refused=lambda message: page(message, 409),
            invalid=invalid,
        )
    if request.method == "POST":
        return page(None, 422)
    error = lifecycle.refusal(referral, action)
    return page(error, 409 if error else 200)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@partner_portal.route("/referrals/<int:referral_id>/attempts/new", methods=["GET", "POST"])
@roles_required("partner")
def record_attempt(referral_id: int):
    made_contact = False

    def change(referral, form):
        nonlocal made_contact
        was_contacted = referral.status == Status.CONTACTED
        lifecycle.record_attempt(
            referral,
            acting_user(),
            utcnow(),
            method=form.method.data,
            reached=form.reached_client(),
            attempted_at=form.moment(),
            notes=form.notes.data,
        )
        made_contact = form.reached_client() and not was_contacted

    def confirmation(referral):
        if made_contact:
            return (
                f"Attempt recorded. It reached the client, so contact with the client is "
                f"recorded for referral {referral.reference}. Close the referral with its outcome "
                "when your work with them is done."
            )
        made, needed = lifecycle.attempt_count(referral), sla.unable_to_contact_attempts()
        if referral.status == Status.CONTACTED:
            return f"Attempt recorded. {_plural(made, 'attempt')} recorded for this referral."
        if made < needed:
            return (
                f"Attempt recorded. {_plural(made, 'attempt')} recorded; {needed} are needed "
                "before you can close as unable to contact."
            )
        return (
            f"Attempt recorded. {_plural(made, 'attempt')} recorded: if you cannot reach the "
            "client, you can now close the referral as unable to contact."
        )

    return _action_page(
        referral_id, "attempt", AttemptForm(), "partners/attempt.html", change, confirmation
    )


@partner_portal.route("/referrals/<int:referral_id>/contact", methods=["GET", "POST"])
@roles_required("partner")
def record_contact(referral_id: int):
    def change(referral, form):
        lifecycle.record_contact(
            referral, acting_user(), utcnow(), notes=form.notes.data, contacted_at=form.moment()
        )

    def confirmation(referral):
        return (
            f"Contact with the client recorded for referral {referral.reference}. Close the "
            "referral with its outcome when your work with them is done."
        )

    return _action_page(
        referral_id, "contact", ContactForm(), "partners/contact.html", change, confirmation
    )


@partner_portal.route("/referrals/<int:referral_id>/close", methods=["GET", "POST"])
@roles_required("partner")
def close(referral_id: int):
    def change(referral, form):
        lifecycle.close_referral(
            referral, acting_user(), utcnow(), outcome=form.outcome.data, notes=form.notes.data
        )

    def confirmation(referral):
        return (
            f"Referral {referral.reference} closed: "
            f"{outcome_label(referral.outcome).lower()}. The hub and the person who referred "
            "the client can now see the outcome. There is nothing more to do."
        )

    def context(referral, form):
        made, needed = lifecycle.attempt_count(referral), sla.unable_to_contact_attempts()
        contacted = referral.status == Status.CONTACTED
        offered = tuple(
            outcome
            for outcome in PARTNER_OUTCOMES
            if contacted or outcome in OUTCOMES_WITHOUT_CONTACT
        )
        form.offer(
            offered,
            {
                "unable_to_contact": f"Needs at least {_plural(needed, 'recorded attempt')} "
                f"to contact the client; {made} recorded so far."
            },
        )
        return {"attempts_made": made, "attempts_needed": needed, "contacted": contacted}

    return _action_page(
        referral_id, "close", CloseForm(), "partners/close.html", change, confirmation, context
    )


@partner_portal.route("/referrals/<int:referral_id>/decline", methods=["GET", "POST"])
@roles_required("partner")
def decline(referral_id: int):
    def change(referral, form):
        lifecycle.decline_referral(referral, acting_user(), utcnow(), form.reason.data)

    def confirmation(referral):
        return (
            f"Referral {referral.reference} declined. It goes back to the hub, which will look "
            "for another service for the client."
        )

    return _action_page(
        referral_id, "decline", DeclineForm(), "partners/decline.html", change, confirmation
    )
