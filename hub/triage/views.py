"""Hub staff: the triage queue, referral pages and what hub staff do to a referral (``/hub/...``):
forward (one, or all of a questionnaire's), cancel, change the partner before forwarding, add a
note (for the partner or not), re-route or close a declined one, reopen a closed one, and cancel
every open referral of a client who withdrew consent. After forwarding or cancelling, the hub
goes on to the next referral waiting, or back to the queue it acted from.

Hub staff act; managers and admins may look but not act. Every change goes through
``hub.referrals.lifecycle`` on a locked referral, by way of ``hub.page_actions.apply_change``:
committed once, flashed and redirected (post/redirect/get), or refused with nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from urllib.parse import parse_qsl

from flask import Blueprint, abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from hub import audit
from hub.admin.queries import messages_of_referral
from hub.auth.access import acting_user, roles_required
from hub.clock import utcnow
from hub.extensions import db
from hub.filters import london_time
from hub.labels import status_label
from hub.models import Referral
from hub.page_actions import apply_change
from hub.people import record as records
from hub.referrals import consent, lifecycle, search
from hub.referrals.intake import is_held
from hub.referrals.overdue import current_deadline, is_overdue
from hub.referrals.partner_choice import other_partners
from hub.referrals.questionnaire_versions import definition_of
from hub.status import Status
from hub.triage import queries
from hub.triage.forms import (
    CancelForm,
    ChangePartnerForm,
    CloseDeclinedForm,
    NoteForm,
    QueueFilterForm,
    ReopenForm,
    RerouteForm,
    WithdrawConsentForm,
)
from partners.directory import partner_by_slug

hub_views = Blueprint("hub_views", __name__, url_prefix="/hub")
# A question by its short label wherever a page lists referrals ("Fire safety visit").
hub_views.add_app_template_global(queries.question_short, "question_short")

VIEWERS = ("hub", "manager", "admin")
ACTORS = ("hub",)

STATUS_PHRASES = {
    Status.RECEIVED: "{count} {noun} waiting to be forwarded",
    Status.FORWARDED: "{count} {noun} forwarded, waiting for the partner",
    Status.ACCEPTED: "{count} {noun} accepted by the partner",
    Status.CONTACTED: "{count} {noun} where the partner has contacted the client",
    Status.CLOSED: "{count} closed {noun}",
    Status.DECLINED: "{count} {noun} declined by the partner",
    Status.CANCELLED: "{count} cancelled {noun}",
    queries.DECLINED_WAITING: "{count} declined {noun} waiting to be re-routed or closed",
    queries.PARTNER_PAUSED: "{count} {noun} waiting for a paused partner, to be re-routed",
    queries.OPEN: "{count} open {noun}",
    queries.ALL: "{count} {noun}",
}


def queue_heading(filters: queries.QueueFilters, count: int) -> str:
    """ "3 referrals waiting to be forwarded", "1 overdue referral for NHS Falls Prevention"."""
    noun = "referral" if count == 1 else "referrals"
    if filters.overdue:
        noun = f"overdue {noun}"
    heading = STATUS_PHRASES[filters.status].format(count=count, noun=noun)
    if filters.partner is not None:
        heading += f" for {filters.partner.name}"
    if filters.q:
        heading += f" {search.describe(filters.q)}"
    return heading


def _page_number() -> int:
    return request.args.get("page", default=1, type=int)


@hub_views.get("/referrals")
@roles_required(*VIEWERS)
def queue():
    now = utcnow()
    form = QueueFilterForm(request.args, queries.partner_options())
    filters = form.chosen()
    try:
        page = queries.queue(filters, now, _page_number())
    except queries.PageNotFound:
        abort(404)
    return render_template(
        "hub/queue.html",
        form=form,
        page=page,
        heading=queue_heading(filters, page.total),
        groups=queries.grouped(page.items),
        page_args=form.query_args(),
        queue_address=request.query_string.decode("ascii", "replace"),
        can_act=current_user.role in ACTORS,
        declined_waiting=(
            0 if filters.status == queries.DECLINED_WAITING else queries.declined_waiting_count()
        ),
        partner_paused=(
            0 if filters.status == queries.PARTNER_PAUSED else queries.partner_paused_count()
        ),
        now=now,
    )


def _referral_or_404(referral_id: int) -> Referral:
    referral = queries.referral_for_page(referral_id)
    if referral is None:
        abort(404)
    return referral


def _referral_page(referral_id: int, note_form=None, error: str | None = None, status=200):
    """The referral page; after a refused action, with the reason shown as an error."""
    referral = _referral_or_404(referral_id)
    submission = referral.submission
    now = utcnow()
    rerouted_to = (
        queries.rerouted_to(referral) if referral.declined_at or referral.hold_reason else None
    )
    return (
        render_template(
            "hub/referral.html",
            referral=referral,
            row=queries.ReferralRow(
                referral,
                queries.question_text(referral),
                *current_deadline(referral),
                overdue=is_overdue(referral, now),
            ),
            submission=submission,
            client=submission.client,
            questionnaire=definition_of(submission.questionnaire_version),
            answers=queries.answers_by_section(submission),
            others=[other for other in submission.referrals if other.id != referral.id],
            waiting=queries.waiting_to_forward(submission),
            rerouted_from=queries.referral_reference(referral.rerouted_from_id),
            rerouted_to=rerouted_to,
            awaiting_hub=referral.status == Status.DECLINED and rerouted_to is None,
            held=is_held(referral),
            history=queries.history(referral),
            messages=messages_of_referral(referral.id),
            can_act=current_user.role in ACTORS,
            note_form=note_form or NoteForm(formdata=None),
            form=note_form,
            error=error,
            now=now,
        ),
        status,
    )


@hub_views.get("/referrals/<int:referral_id>")
@roles_required(*VIEWERS)
def referral(referral_id: int):
    page = _referral_page(referral_id)
    referral = db.session.get(Referral, referral_id)  # loaded by the page: no query
    audit.viewed(acting_user(), "hub referral page", utcnow(), referral=referral)
    return page


def _refused(referral_id: int):
    """What a change not allowed now (say, already done in another tab) shows: the referral's
    page, unchanged, with the reason."""
    return lambda message: _referral_page(referral_id, error=message, status=409)


def _url_of(referral: Referral) -> str:
    return url_for(".referral", referral_id=referral.id)


# The filters a queue page keeps after an action from it (not its page: it may be gone).
QUEUE_ARGS = ("status", "partner", "overdue", "q")


def _onward(referral: Referral) -> tuple[str, str]:
    """Where hub staff go once a referral is dealt with, and what the message adds: back to the
    queue they acted from (its filters kept), else on to the next referral waiting."""
    queue = request.form.get("queue")
    if queue is not None:
        args = {key: value for key, value in parse_qsl(queue) if key in QUEUE_ARGS}
        return url_for(".queue", **args), ""
    following = queries.next_waiting(referral)
    if following is None:
        return url_for(".queue"), " No other referrals are waiting to be forwarded."
    return _url_of(following), f" Next referral waiting: {following.reference}."


@hub_views.post("/referrals/<int:referral_id>/forward")
@roles_required(*ACTORS)
def forward(referral_id: int):
    def done(referral: Referral, _) -> tuple[str, str]:
        onward, then = _onward(referral)
        return (
            f"Referral {referral.reference} forwarded to {referral.partner.name}. They should "
            f"contact the client by {london_time(referral.contact_due_at)}.{then}",
            onward,
        )

    return apply_change(
        queries.lock_referral(referral_id),
        lambda referral: lifecycle.forward_referral(referral, acting_user(), utcnow()),
        done,
        refused=_refused(referral_id),
    )


@hub_views.post("/referrals/<int:referral_id>/forward-all")
@roles_required(*ACTORS)
def forward_all(referral_id: int):
    def change(referral: Referral) -> list[Referral]:
        queries.lock_referrals_of(referral.submission)
        forwarded = lifecycle.forward_all(referral.submission, acting_user(), utcnow())
        if not forwarded:
            raise lifecycle.TransitionNotAllowed(
                referral,
                "forwarded",
                f"No referrals from questionnaire {referral.submission.reference} are waiting "
                "to be forwarded: they may have been forwarded already.",
            )
        return forwarded

    def done(referral: Referral, forwarded: list[Referral]) -> tuple[str, str]:
        sent = "; ".join(f"{row.reference} to {row.partner.name}" for row in forwarded)
        noun = "referral" if len(forwarded) == 1 else "referrals"
        onward, then = _onward(referral)
        return f"{len(forwarded)} {noun} forwarded: {sent}.{then}", onward

    return apply_change(
        queries.lock_referral(referral_id), change, done, refused=_refused(referral_id)
    )


@hub_views.route("/referrals/<int:referral_id>/cancel", methods=["GET", "POST"])
@roles_required(*ACTORS)
def cancel(referral_id: int):
    referral = _referral_or_404(referral_id)
    form = CancelForm()
    page = partial(_action_page, "hub/cancel.html", referral, form)
    if form.validate_on_submit():
        return apply_change(
            queries.lock_referral(referral_id),
            lambda locked: lifecycle.cancel_referral(
                locked, acting_user(), utcnow(), form.reason.data
            ),
            lambda locked, _: _cancelled(locked),
            refused=page,
            invalid=_on_field(form, page),
        )
    return page()


def _cancelled(referral: Referral) -> tuple[str, str]:
    onward, then = _onward(referral)
    return f"Referral {referral.reference} cancelled.{then}", onward


@hub_views.post("/referrals/<int:referral_id>/notes")
@roles_required(*ACTORS)
def add_note(referral_id: int):
    referral = _referral_or_404(referral_id)
    form = NoteForm()
    if form.validate_on_submit():
        # A note changes no status, so the referral need not be locked.
        return apply_change(
            referral,
            lambda referral: lifecycle.add_note(
                referral, acting_user(), utcnow(), form.note.data, form.for_partner.data
            ),
            lambda referral, event: (
                f"Note added to referral {referral.reference}"
                + (" for the partner." if event.kind == lifecycle.PARTNER_NOTE else "."),
                _url_of(referral),
            ),
            invalid=_on_field(form, lambda: _referral_page(referral_id, note_form=form)),
        )
    return _referral_page(referral_id, note_form=form)


# --- Declined, closed, and consent withdrawn ---------------------------------------------------


def _action_page(template: str, referral: Referral, form, error: str | None = None, **context):
    """An action's page; refused (409) with the reason in an error summary when ``error``."""
    return render_template(
        template, referral=referral, form=form, error=error, **context
    ), 409 if error else 200


def _on_field(form, page: Callable[[], ResponseReturnValue]):
    """What bad details show: the lifecycle's complaint on the form's field for it, and the
    page again."""

    def invalid(problem: lifecycle.InvalidTransitionInput) -> ResponseReturnValue:
        field = getattr(form, problem.field, None) or next(iter(form))
        field.errors = [*field.errors, str(problem)]
        return page()

    return invalid


@hub_views.route("/referrals/<int:referral_id>/reroute", methods=["GET", "POST"])
@roles_required(*ACTORS)
def reroute(referral_id: int):
    referral = _referral_or_404(referral_id)
    form = RerouteForm(queries.reroute_options(referral))
    page = partial(_action_page, "hub/reroute.html", referral, form)
    if form.validate_on_submit():

        def done(declined: Referral, new: Referral) -> tuple[str, str]:
            return (
                f"Referral {declined.reference} re-routed to {new.partner.name} as referral "
                f"{new.reference}. Forward it by {london_time(new.forward_due_at)}.",
                _url_of(new),
            )

        return apply_change(
            queries.lock_referral(referral_id),
            lambda locked: lifecycle.reroute_referral(
                locked, partner_by_slug(form.partner.data), acting_user(), utcnow(), form.note.data
            ),
            done,
            refused=page,
            invalid=_on_field(form, page),
        )
    if request.method == "GET":
        return page(lifecycle.refusal(referral, "reroute") or _already_rerouted(referral))
    return page()


@hub_views.route("/referrals/<int:referral_id>/partner", methods=["GET", "POST"])
@roles_required(*ACTORS)
def change_partner(referral_id: int):
    """Another partner for a referral still at the hub, before it is forwarded."""
    referral = _referral_or_404(referral_id)
    form = ChangePartnerForm(other_partners(referral))
    page = partial(_action_page, "hub/change_partner.html", referral, form)
    if form.validate_on_submit():

        def change(locked: Referral) -> Referral:
            return lifecycle.change_partner(
                locked,
                partner_by_slug(form.partner.data),
                acting_user(),
                utcnow(),
                form.note.data,
                seen=partner_by_slug(form.seen.data) if form.seen.data else None,
            )

        def done(changed: Referral, _) -> tuple[str, str]:
            return (
                f"Referral {changed.reference} now goes to {changed.partner.name}. Forward it "
                f"by {london_time(changed.forward_due_at)}.",
                _url_of(changed),
            )

        return apply_change(
            queries.lock_referral(referral_id),
            change,
            done,
            refused=page,
            invalid=_on_field(form, page),
        )
    if request.method == "GET":
        form.seen.data = referral.partner.slug
        return page(lifecycle.refusal(referral, "change_partner"))
    return page()


def _already_rerouted(referral: Referral) -> str | None:
    successor = queries.rerouted_to(referral)
    if successor is None:
        return None
    return f"Referral {referral.reference} has already been re-routed as {successor.reference}."


@hub_views.route("/referrals/<int:referral_id>/close-declined", methods=["GET", "POST"])
@roles_required(*ACTORS)
def close_declined(referral_id: int):
    referral = _referral_or_404(referral_id)
    form = CloseDeclinedForm()
    page = partial(_action_page, "hub/close_declined.html", referral, form)
    if form.validate_on_submit():
        return apply_change(
            queries.lock_referral(referral_id),
            lambda locked: lifecycle.close_declined(
                locked, acting_user(), utcnow(), form.notes.data
            ),
            lambda locked, _: (
                f"Referral {locked.reference} closed as no suitable service.",
                _url_of(locked),
            ),
            refused=page,
        )
    if request.method == "GET":
        return page(lifecycle.refusal(referral, "close_declined") or _already_rerouted(referral))
    return page()


@hub_views.route("/referrals/<int:referral_id>/reopen", methods=["GET", "POST"])
@roles_required(*ACTORS)
def reopen(referral_id: int):
    referral = _referral_or_404(referral_id)
    form = ReopenForm()
    page = partial(_action_page, "hub/reopen.html", referral, form)
    if form.validate_on_submit():

        def done(locked: Referral, _) -> tuple[str, str]:
            label = status_label(locked.status).lower()
            return (
                f"Referral {locked.reference} reopened: it is {label} again.",
                _url_of(locked),
            )

        return apply_change(
            queries.lock_referral(referral_id),
            lambda locked: lifecycle.reopen_referral(
                locked, acting_user(), utcnow(), form.note.data
            ),
            done,
            refused=page,
            invalid=_on_field(form, page),
        )
    if request.method == "GET":
        return page(lifecycle.refusal(referral, "reopen"))
    return page()


@hub_views.route("/referrals/<int:referral_id>/withdraw-consent", methods=["GET", "POST"])
@roles_required(*ACTORS)
def withdraw_consent(referral_id: int):
    """The client's referrals, and those of namesakes ticked as the same person: no others."""
    referral = _referral_or_404(referral_id)
    client = referral.submission.client
    look_alikes = consent.look_alikes(referral.submission)
    form = WithdrawConsentForm()
    form.offer(look_alikes)
    if request.method == "GET":
        # Those hub staff confirmed on the person's record come ticked (they may untick them).
        confirmed, _ = records.same_person_ids(client)
        form.same_person.data = [
            each.submission.id for each in look_alikes if each.submission.client_id in confirmed
        ]

    def page():
        return render_template(
            "hub/withdraw_consent.html",
            referral=referral,
            client=client,
            form=form,
            to_cancel=consent.open_referrals_of(referral.submission),
            look_alikes=look_alikes,
        )

    if form.validate_on_submit():
        same_person, _ = consent.chosen(look_alikes, form.same_person.data or [])
        # The lifecycle locks the open referrals itself, whichever questionnaire.
        return apply_change(
            referral,
            lambda referral: lifecycle.withdraw_consent(
                client, acting_user(), utcnow(), form.reason.data, same_person=same_person
            ),
            lambda referral, cancelled: (
                consent_withdrawn_message(cancelled),
                _url_of(referral),
            ),
            invalid=_on_field(form, page),
        )
    return page()


def consent_withdrawn_message(cancelled: list[Referral]) -> str:
    """ "2 referrals cancelled; the partners concerned have been told." """
    if not cancelled:
        return "The client’s withdrawal of consent is recorded. They had no open referrals."
    noun = "referral" if len(cancelled) == 1 else "referrals"
    told = [referral for referral in cancelled if referral.forwarded_at is not None]
    if len(told) == len(cancelled):
        return f"{len(cancelled)} {noun} cancelled; the partners concerned have been told."
    if told:
        return (
            f"{len(cancelled)} {noun} cancelled; the partners concerned have been told "
            f"about the {len(told)} already forwarded to them."
        )
    return f"{len(cancelled)} {noun} cancelled. None had been forwarded to a partner yet."
