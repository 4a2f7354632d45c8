"""Admin pages (``/admin/...``): the index of every admin page, the text of every message the
hub sends, as samples, the development mailbox of messages sent while a channel had no
credentials, and the audit trail (``hub.audit``): who viewed or exported which person's details,
and every account change."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from hub import audit
from hub.admin import queries
from hub.admin.audit_forms import AuditFilterForm
from hub.admin.mailbox_forms import MailboxFilterForm
from hub.admin.message_words import channel_words
from hub.auth.access import roles_required
from hub.pagination import PageNotFound
from notifications import channels, kinds
from notifications.messages import previews

admin = Blueprint("admin", __name__, url_prefix="/admin")

ADMINS = ("admin",)

# Every admin page, by address: some are other modules' (partners, areas), linked by path.
ADMIN_PAGES = (
    ("/admin/users", "Users", "Invite people to the hub, change their role or organisation, "
     "deactivate them, send a password reset or revoke their API tokens."),
    ("/admin/organisations", "Organisations that refer", "The GP practices, councils, "
     "services and charities whose workers complete questionnaires."),
    ("/admin/partners", "Partner agencies", "The agencies referrals go to: their services, "
     "contact details, areas, and whether they are taking referrals."),
    ("/admin/areas", "Areas", "The hub’s boroughs and the postcode districts and sectors in "
     "each."),
    ("/admin/people", "People’s data", "Find everything held about a client, to give it to "
     "them or erase it on request."),
    ("/admin/audit", "Audit trail", "Who viewed or exported a person’s details, and every "
     "change to an account or organisation."),
    ("/admin/messages", "Message texts", "A sample of every email and text message the hub "
     "sends."),
    ("/admin/mailbox", "Mailbox", "Messages sent while a channel had no credentials, in "
     "development."),
)  # fmt: skip


@admin.get("")
@roles_required(*ADMINS)
def index():
    return render_template("admin/index.html", pages=ADMIN_PAGES)


@admin.get("/messages")
@roles_required(*ADMINS)
def message_texts():
    by_kind: dict[str, list] = {}
    for preview in previews.previews():
        by_kind.setdefault(preview.kind, []).append(preview)
    groups = [(kind, kinds.about(kind), group) for kind, group in by_kind.items()]
    return render_template("admin/messages.html", groups=groups)


@admin.get("/mailbox")
@roles_required(*ADMINS)
def mailbox():
    form = MailboxFilterForm(request.args)
    filters = form.chosen()
    try:
        page = queries.mailbox(request.args.get("page", default=1, type=int), filters)
    except PageNotFound:
        abort(404)
    live = [
        channel_words(channel)
        for channel in ("email", "sms")
        # The same rule the dispatcher follows to choose a real channel or the log.
        if channels.configured(current_app.config, channel)
    ]
    return render_template(
        "admin/mailbox.html",
        form=form,
        args=form.as_args(),
        filtered=filters != queries.MailboxFilters(),
        page=page,
        live_note=_live_note(live),
    )


def _live_note(live: list[str]) -> str | None:
    """ "Email is live: ..." when a channel has credentials, so its messages are not here."""
    if not live:
        return None
    channels_live = " and ".join(live)
    verb, pronoun = ("is", "it is") if len(live) == 1 else ("are", "they are")
    return (
        f"{channels_live[0].upper()}{channels_live[1:]} {verb} live: {pronoun} sent for real. "
        "Only messages sent without credentials appear here."
    )


@admin.get("/audit")
@roles_required(*ADMINS)
def audit_trail():
    form = AuditFilterForm(request.args)
    filters = form.chosen()
    try:
        page = audit.events(filters, request.args.get("page", default=1, type=int))
    except PageNotFound:
        abort(404)
    args = {
        name: request.args[name]
        for name in ("who", "action", "person", "start", "end")
        if request.args.get(name)
    }
    return render_template(
        "admin/audit.html", form=form, page=page, args=args, actions=audit.ACTIONS
    )
