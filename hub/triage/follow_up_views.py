"""The hub's follow-up with clients about four weeks on (``/hub/follow-ups/...``).

Hub staff record the call; managers and admins may look. The rules live in
``hub.referrals.follow_ups``; a view makes its change through ``hub.page_actions.apply_change``,
which commits once, flashes what happened and redirects (post/redirect/get), or rolls a refused
change back so that the view shows why.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from hub import audit
from hub.auth.access import acting_user, roles_required
from hub.clock import utcnow
from hub.models import Submission
from hub.page_actions import apply_change
from hub.referrals import follow_ups as service
from hub.referrals.questionnaire_versions import definition_of
from hub.referrals.wellbeing import wellbeing_changes
from hub.triage.follow_up_forms import FollowUpForm, ReferAgainForm

follow_ups = Blueprint("follow_ups", __name__, url_prefix="/hub/follow-ups")

VIEWERS = ("hub", "manager", "admin")
ACTORS = ("hub",)


def due_heading(count: int) -> str:
    return f"{count} {'questionnaire' if count == 1 else 'questionnaires'} due a follow-up"


@follow_ups.get("")
@roles_required(*VIEWERS)
def due_list():
    now = utcnow()
    try:
        due = service.due_follow_ups(now, request.args.get("page", default=1, type=int))
    except service.PageNotFound:
        abort(404)
    return render_template(
        "hub/follow_ups.html",
        due=due,
        heading=due_heading(due.total),
        status_counts={s.id: service.status_counts(s) for s in due.items},
        recent=service.recent_follow_ups(),
        now=now,
    )


def _submission_or_404(submission_id: int, lock: bool = False) -> Submission:
    submission = service.submission_for_follow_up(submission_id, lock=lock)
    if submission is None:
        abort(404)
    return submission


def _record_page(submission: Submission, form: FollowUpForm, error: str | None = None, status=200):
    return (
        render_template(
            "hub/follow_up.html",
            submission=submission,
            client=submission.client,
            questionnaire=definition_of(submission.questionnaire_version),
            form=form,
            error=error,
            can_act=current_user.role in ACTORS,
        ),
        status,
    )


def _recorded_url(submission: Submission) -> str:
    return url_for(".recorded", submission_id=submission.id)


@follow_ups.get("/<int:submission_id>")
@roles_required(*VIEWERS)
def follow_up(submission_id: int):
    submission = _submission_or_404(submission_id)
    if submission.follow_up is not None:
        return redirect(_recorded_url(submission))
    form = FollowUpForm(formdata=None)
    form.set_partners(service.partners_of(submission))
    page = _record_page(submission, form)
    audit.viewed(acting_user(), "follow-up page", utcnow(), submission=submission)
    return page


@follow_ups.post("/<int:submission_id>")
@roles_required(*ACTORS)
def record(submission_id: int):
    submission = _submission_or_404(submission_id, lock=True)
    form = FollowUpForm()
    form.set_partners(service.partners_of(submission))
    agreed, scores = form.clean()

    def change(submission: Submission) -> service.Recorded:
        recorded = service.record_follow_up(
            submission,
            acting_user(),
            utcnow(),
            needs_met=form.needs_met.data,
            helped=form.helped.data or [],
            notes=form.notes.data,
            wellbeing=scores if agreed else None,
        )
        if form.errors:  # the wellbeing answers were wrong, or the form had expired
            raise service.FollowUpInvalid({})  # so nothing is kept; the errors are on the form
        return recorded

    def done(submission: Submission, recorded: service.Recorded) -> tuple[str, str]:
        return (
            f"Follow-up recorded for questionnaire {submission.reference}"
            + (" with the client’s wellbeing answers." if recorded.wellbeing else "."),
            _recorded_url(submission),
        )

    def invalid(problem: service.FollowUpInvalid):
        form.add_errors(problem.errors)
        return _record_page(submission, form)

    return apply_change(
        submission,
        change,
        done,
        refused=lambda message: _record_page(submission, form, error=message, status=409),
        invalid=invalid,
    )


def _recorded_page(
    submission: Submission, form: ReferAgainForm | None = None, error=None, status=200
):
    follow_up = submission.follow_up
    if follow_up is None:
        return redirect(url_for(".follow_up", submission_id=submission.id))
    partners = {partner.slug: partner.name for partner in service.partners_of(submission)}
    options = service.refer_again_options(submission)
    may_refer = (
        current_user.role in ACTORS
        and follow_up.needs_met in service.NEEDS_NOT_MET
        and submission.client.consent_withdrawn_at is None
    )
    if form is None and may_refer:
        form = ReferAgainForm(formdata=None)
    if form is not None:
        form.set_options(options)
    changes = wellbeing_changes(submission)
    return (
        render_template(
            "hub/follow_up_recorded.html",
            submission=submission,
            client=submission.client,
            follow_up=follow_up,
            recorded_by=follow_up.recorded_by,
            helped=[partners.get(slug, slug) for slug in follow_up.helped or []],
            changes=changes,
            asked_before=any(change.before is not None for change in changes),
            asked_now=any(change.after is not None for change in changes),
            may_refer=may_refer,
            offered=[option for option in options if option.open_referral is None],
            still_open=[option for option in options if option.open_referral is not None],
            form=form,
            error=error,
        ),
        status,
    )


@follow_ups.get("/<int:submission_id>/recorded")
@roles_required(*VIEWERS)
def recorded(submission_id: int):
    submission = _submission_or_404(submission_id)
    page = _recorded_page(submission)
    audit.viewed(acting_user(), "follow-up recorded page", utcnow(), submission=submission)
    return page


@follow_ups.post("/<int:submission_id>/refer-again")
@roles_required(*ACTORS)
def refer_again(submission_id: int):
    submission = _submission_or_404(submission_id, lock=True)
    form = ReferAgainForm()
    form.set_options(service.refer_again_options(submission))
    if not form.validate():
        return _recorded_page(submission, form)

    def done(submission: Submission, created: list) -> tuple[str, str]:
        noun = "referral" if len(created) == 1 else "referrals"
        made = "; ".join(f"{referral.reference} to {referral.partner.name}" for referral in created)
        message = f"{len(created)} new {noun} for the hub to forward: {made}."
        return message, _recorded_url(submission)

    def invalid(problem: service.FollowUpInvalid):
        form.questions.errors = [problem.errors.get("refer_again", str(problem))]
        return _recorded_page(submission, form)

    return apply_change(
        submission,
        lambda submission: service.refer_again(
            submission, form.questions.data or [], acting_user(), utcnow()
        ),
        done,
        refused=lambda message: _recorded_page(submission, form, error=message, status=409),
        invalid=invalid,
    )
