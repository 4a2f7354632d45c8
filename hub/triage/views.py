"""Hub staff: the triage queue, referral pages, forwarding, cancelling and notes (``/hub/...``).

Hub staff act; managers and admins may look but not act. Every change goes through
``hub.lifecycle``; a view commits once, flashes what happened and redirects (post/redirect/get).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from hub import lifecycle
from hub.access import roles_required
from hub.clock import utcnow
from hub.extensions import db
from hub.filters import london_time
from hub.models import RECEIVED, Referral
from hub.questionnaire_versions import definition_of
from hub.triage import queries
from hub.triage.forms import CancelForm, NoteForm, QueueFilterForm

hub_views = Blueprint("hub_views", __name__, url_prefix="/hub")

VIEWERS = ("hub", "manager", "admin")
ACTORS = ("hub",)

STATUS_PHRASES = {
    RECEIVED: "{count} {noun} waiting to be forwarded",
    "forwarded": "{count} {noun} forwarded, waiting for the partner",
    "accepted": "{count} {noun} accepted by the partner",
    "contacted": "{count} {noun} where the partner has contacted the client",
    "closed": "{count} closed {noun}",
    "declined": "{count} {noun} declined by the partner",
    "cancelled": "{count} cancelled {noun}",
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
    return heading


def _me():
    """The signed-in user as a row (not Flask-Login's proxy), to record as the actor."""
    return current_user._get_current_object()


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
        page_args=form.query_args(),
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
    return (
        render_template(
            "hub/referral.html",
            referral=referral,
            row=queries.ReferralRow(
                referral,
                queries.question_text(referral),
                *lifecycle.current_deadline(referral),
                overdue=lifecycle.is_overdue(referral, now),
            ),
            submission=submission,
            client=submission.client,
            questionnaire=definition_of(submission.questionnaire_version),
            answers=queries.answers_by_section(submission),
            others=[other for other in submission.referrals if other.id != referral.id],
            waiting=queries.waiting_to_forward(submission),
            rerouted_from=queries.referral_reference(referral.rerouted_from_id),
            history=queries.history(referral),
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
    return _referral_page(referral_id)


def _refused(referral_id: int, message: str):
    """An action that is not allowed now (say, already done in another tab): nothing changes."""
    db.session.rollback()
    return _referral_page(referral_id, error=message, status=409)


def _back_to(referral: Referral):
    return redirect(url_for(".referral", referral_id=referral.id))


def _locked_or_404(referral_id: int) -> Referral:
    referral = queries.lock_referral(referral_id)
    if referral is None:
        abort(404)
    return referral


@hub_views.post("/referrals/<int:referral_id>/forward")
@roles_required(*ACTORS)
def forward(referral_id: int):
    referral = _locked_or_404(referral_id)
    now = utcnow()
    try:
        lifecycle.forward_referral(referral, _me(), now)
    except lifecycle.TransitionNotAllowed as refused:
        return _refused(referral_id, str(refused))
    db.session.commit()
    flash(
        f"Referral {referral.reference} forwarded to {referral.partner.name}. They should contact "
        f"the client by {london_time(referral.contact_due_at)}.",
        "success",
    )
    return _back_to(referral)


@hub_views.post("/referrals/<int:referral_id>/forward-all")
@roles_required(*ACTORS)
def forward_all(referral_id: int):
    referral = _locked_or_404(referral_id)
    queries.lock_referrals_of(referral.submission)
    forwarded = lifecycle.forward_all(referral.submission, _me(), utcnow())
    if not forwarded:
        return _refused(
            referral_id,
            f"No referrals from questionnaire {referral.submission.reference} are waiting to be "
            "forwarded: they may have been forwarded already.",
        )
    db.session.commit()
    sent = "; ".join(f"{row.reference} to {row.partner.name}" for row in forwarded)
    noun = "referral" if len(forwarded) == 1 else "referrals"
    flash(f"{len(forwarded)} {noun} forwarded: {sent}.", "success")
    return _back_to(referral)


@hub_views.route("/referrals/<int:referral_id>/cancel", methods=["GET", "POST"])
@roles_required(*ACTORS)
def cancel(referral_id: int):
    referral = _referral_or_404(referral_id)
    form = CancelForm()
    error = None
    if form.validate_on_submit():
        referral = _locked_or_404(referral_id)
        try:
            lifecycle.cancel_referral(referral, _me(), utcnow(), form.reason.data)
        except lifecycle.InvalidTransitionInput as problem:
            db.session.rollback()
            form.reason.errors.append(str(problem))
        except lifecycle.TransitionNotAllowed as refused:
            db.session.rollback()
            error = str(refused)
        else:
            db.session.commit()
            flash(f"Referral {referral.reference} cancelled.", "success")
            return _back_to(referral)
    return render_template(
        "hub/cancel.html", referral=referral, form=form, error=error
    ), 409 if error else 200


@hub_views.post("/referrals/<int:referral_id>/notes")
@roles_required(*ACTORS)
def add_note(referral_id: int):
    referral = _referral_or_404(referral_id)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            lifecycle.add_note(referral, _me(), utcnow(), form.note.data)
        except lifecycle.InvalidTransitionInput as problem:
            db.session.rollback()
            form.note.errors.append(str(problem))
        else:
            db.session.commit()
            flash(f"Note added to referral {referral.reference}.", "success")
            return _back_to(referral)
    return _referral_page(referral_id, note_form=form)
