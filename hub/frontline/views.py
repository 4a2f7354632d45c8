"""Frontline staff completing a questionnaire with a client (``/questionnaires/...``).

Start → client details → one page per section → wellbeing (optional) → consent → check your
answers → confirmation.
Every page saves to a server-side draft and redirects (post/redirect/get); the draft id is in the
URL so an interrupted visit can carry on. A submitted draft only ever shows its confirmation.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from hub.auth.access import acting_user, roles_required
from hub.clock import utcnow
from hub.extensions import db
from hub.forms import HubForm
from hub.frontline import drafts
from hub.frontline.drafts import CHECK, CLIENT, CONSENT, SECTION, WELLBEING, Step
from hub.frontline.forms import (
    ClientDetailsForm,
    ConsentForm,
    StartForm,
    WellbeingForm,
    section_form,
)
from hub.models import QuestionnaireDraft
from hub.referrals import questionnaire_versions
from hub.referrals.wellbeing import WELLBEING_TEXT
from partners.directory import partner_names

frontline = Blueprint("frontline", __name__, url_prefix="/questionnaires")
WHO = ("frontline", "hub")  # hub staff also take questionnaires over the phone
STEP_ENDPOINTS = {
    CLIENT: ".client_details",
    WELLBEING: ".wellbeing",
    CONSENT: ".consent",
    CHECK: ".check_answers",
}


@frontline.route("/", methods=["GET", "POST"])
@roles_required(*WHO)
def start():
    versions = questionnaire_versions.published()
    form = StartForm()
    form.set_choices(versions)
    if form.validate_on_submit():
        version = next(v for v in versions if v.id == form.questionnaire.data)
        draft = drafts.start_draft(acting_user(), version, utcnow())
        db.session.commit()
        return redirect(url_for(".client_details", draft_id=draft.id))
    only = questionnaire_versions.definition_of(versions[0]) if len(versions) == 1 else None
    return render_template(
        "frontline/start.html",
        form=form,
        versions=versions,
        only=only,
        unfinished=drafts.unfinished_drafts(acting_user()),
    )


@frontline.get("/drafts/<draft_id>")
@roles_required(*WHO)
def resume(draft_id: str):
    draft = _draft(draft_id)
    if draft.submission_id is not None:
        return redirect(url_for(".confirmation", draft_id=draft.id))
    return redirect(_step_url(draft, drafts.first_unfinished(draft, drafts.definition_for(draft))))


@frontline.route("/drafts/<draft_id>/discard", methods=["GET", "POST"])
@roles_required(*WHO)
def discard(draft_id: str):
    """Discard an unfinished questionnaire, after asking: the client's details go with it."""
    draft = _draft(draft_id)
    if draft.submission_id is not None:  # a submitted questionnaire is the hub's record
        return redirect(url_for(".confirmation", draft_id=draft.id))
    form = HubForm()
    name = drafts.client_name(draft)
    if form.validate_on_submit():
        drafts.discard_draft(draft)
        db.session.commit()
        flash(
            f"Questionnaire for {name} discarded." if name else "Questionnaire discarded.",
            "success",
        )
        return redirect(url_for(".start"))
    return render_template(
        "frontline/discard.html",
        form=form,
        draft=draft,
        client_name=name,
        title=drafts.definition_for(draft).title,
    )


@frontline.route("/drafts/<draft_id>/client", methods=["GET", "POST"])
@roles_required(*WHO)
def client_details(draft_id: str):
    step = Step(CLIENT)
    draft, definition = _open_draft(draft_id, step)
    saved = None if request.method == "POST" else drafts.saved_client(draft)
    form = ClientDetailsForm(data=ClientDetailsForm.saved_as_data(saved))
    form.set_boroughs(definition)
    if form.is_submitted():
        now = utcnow()
        details = form.clean(now.date(), tuple(definition.boroughs))
        if details is not None:
            drafts.save_client(draft, details, now, form.chosen())
            db.session.commit()
            return redirect(_next_url(draft, definition, step))
    return render_template("frontline/client.html", form=form, **_page(draft, definition, step))


@frontline.route("/drafts/<draft_id>/sections/<section_key>", methods=["GET", "POST"])
@roles_required(*WHO)
def section(draft_id: str, section_key: str):
    step = Step(SECTION, section_key)
    draft, definition = _open_draft(draft_id, step)
    this = drafts.section_of(definition, section_key)
    form = section_form(this, None if request.method == "POST" else drafts.answers_of(draft))
    if form.validate_on_submit():
        drafts.save_answers(draft, form.answers(), utcnow())
        db.session.commit()
        return redirect(_next_url(draft, definition, step))
    borough = drafts.borough_of(draft)
    names = partner_names(q.partner_for(borough) for q in this.questions)
    return render_template(
        "frontline/section.html",
        form=form,
        section=this,
        number=[s.key for s in definition.sections].index(section_key) + 1,
        referred_to={q.key: names.get(q.partner_for(borough)) for q in this.questions},
        borough_words=drafts.borough_words(draft, definition),
        **_page(draft, definition, step),
    )


@frontline.route("/drafts/<draft_id>/wellbeing", methods=["GET", "POST"])
@roles_required(*WHO)
def wellbeing(draft_id: str):
    """The four ONS wellbeing questions, if the client agrees: optional (continuing with
    nothing chosen passes the page by), asked here so the hub's follow-up can measure the
    change."""
    step = Step(WELLBEING)
    draft, definition = _open_draft(draft_id, step)
    saved = None if request.method == "POST" else drafts.saved_wellbeing(draft)
    form = WellbeingForm(data=WellbeingForm.saved_as_data(saved))
    if form.is_submitted():
        if form.passed_by() and form.validate():  # optional: nothing chosen saves nothing
            return redirect(_next_url(draft, definition, step))
        cleaned = form.clean()
        if cleaned is not None:
            drafts.save_wellbeing(draft, *cleaned, utcnow())
            db.session.commit()
            return redirect(_next_url(draft, definition, step))
    return render_template("frontline/wellbeing.html", form=form, **_page(draft, definition, step))


@frontline.route("/drafts/<draft_id>/consent", methods=["GET", "POST"])
@roles_required(*WHO)
def consent(draft_id: str):
    step = Step(CONSENT)
    draft, definition = _open_draft(draft_id, step)
    agencies = drafts.agencies_for_draft(draft, definition)
    given = request.method == "GET" and drafts.is_done(draft, definition, step)
    form = ConsentForm(data={"consent": given})
    if form.is_submitted() and (not agencies or form.validate()):
        drafts.record_consent(draft, definition, acting_user(), utcnow())
        db.session.commit()
        return redirect(_next_url(draft, definition, step))
    return render_template(
        "frontline/consent.html", form=form, agencies=agencies, **_page(draft, definition, step)
    )


@frontline.get("/drafts/<draft_id>/check")
@roles_required(*WHO)
def check_answers(draft_id: str):
    step = Step(CHECK)
    draft, definition = _open_draft(draft_id, step)
    return render_template(
        "frontline/check.html",
        client=drafts.saved_client(draft),
        borough_words=drafts.borough_words(draft, definition),
        answers=drafts.answers_of(draft),
        wellbeing=drafts.saved_wellbeing(draft),
        wellbeing_text=WELLBEING_TEXT,
        agencies=drafts.agencies_for_draft(draft, definition),
        **_page(draft, definition, step),
    )


@frontline.post("/drafts/<draft_id>/check")
@roles_required(*WHO)
def submit(draft_id: str):
    """Submit once. A second click, a retry or the back button finds the first submission."""
    draft = _draft(draft_id)
    if draft.submission_id is None:
        definition = drafts.definition_for(draft)
        if not drafts.can_open(draft, definition, Step(CHECK)):
            return redirect(_step_url(draft, drafts.first_unfinished(draft, definition)))
        drafts.submit_draft(draft, acting_user(), utcnow())
        db.session.commit()
    return redirect(url_for(".confirmation", draft_id=draft.id))


@frontline.get("/drafts/<draft_id>/confirmation")
@roles_required(*WHO)
def confirmation(draft_id: str):
    draft = _draft(draft_id)
    if draft.submission is None:
        return redirect(url_for(".resume", draft_id=draft.id))
    return render_template(
        "frontline/confirmation.html",
        reference=draft.submission.reference,
        client_name=drafts.client_name(draft),
        agencies=drafts.agencies_for_submission(draft.submission),
    )


# -- helpers -------------------------------------------------------------------------------------


def _draft(draft_id: str) -> QuestionnaireDraft:
    draft = drafts.find_draft(draft_id, acting_user())
    if draft is None:
        abort(404)
    return draft


def _open_draft(draft_id: str, step: Step):
    """The user's draft at a page it may open now; otherwise a redirect to where to go instead."""
    draft = _draft(draft_id)
    if draft.submission_id is not None:
        abort(redirect(url_for(".confirmation", draft_id=draft.id)))
    definition = drafts.definition_for(draft)
    if step.page == SECTION and step.section not in {s.key for s in definition.sections}:
        abort(404)
    if not drafts.can_open(draft, definition, step):
        abort(redirect(_step_url(draft, drafts.first_unfinished(draft, definition))))
    return draft, definition


def _changing() -> bool:
    """Came from "Change" on check your answers, so go back there when done."""
    return request.args.get("change") == "1"


def _step_url(draft: QuestionnaireDraft, step: Step, change: bool = False) -> str:
    args = {"draft_id": draft.id}
    if change and step.page != CHECK:
        args["change"] = "1"
    if step.page == SECTION:
        return url_for(".section", section_key=step.section, **args)
    return url_for(STEP_ENDPOINTS[step.page], **args)


def _next_url(draft: QuestionnaireDraft, definition, step: Step) -> str:
    if _changing():  # back to check your answers, via anything the change made necessary
        return _step_url(draft, drafts.first_unfinished(draft, definition), change=True)
    return _step_url(draft, drafts.step_after(definition, step))


def _back_url(draft: QuestionnaireDraft, definition, step: Step) -> str:
    if _changing():
        return _step_url(draft, Step(CHECK))
    before = drafts.step_before(definition, step)
    return _step_url(draft, before) if before else url_for(".start")


def _page(draft: QuestionnaireDraft, definition, step: Step) -> dict:
    return {
        "draft": draft,
        "definition": definition,
        "back_url": _back_url(draft, definition, step),
        "changing": _changing(),
    }
