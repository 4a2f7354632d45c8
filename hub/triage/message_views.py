"""Hub staff's page of the hub's messages (``/hub/messages``): how each channel is faring, and
the messages that failed for good, each with a button to try it again. Hub staff and admins
may use it; the failure digest links here."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from hub.auth.access import roles_required
from hub.clock import utcnow
from hub.extensions import db
from hub.pagination import PageNotFound
from hub.triage import message_queries
from notifications import outbox

hub_messages = Blueprint("hub_messages", __name__, url_prefix="/hub/messages")

STAFF = ("hub", "admin")


@hub_messages.get("")
@roles_required(*STAFF)
def messages():
    now = utcnow()
    try:
        failed = message_queries.failed_messages(request.args.get("page", default=1, type=int))
    except PageNotFound:
        abort(404)
    return render_template(
        "hub/messages.html", channels=message_queries.channel_states(now), failed=failed
    )


@hub_messages.post("/<int:message_id>/try-again")
@roles_required(*STAFF)
def try_again(message_id: int):
    if outbox.try_again(message_id, utcnow()):
        db.session.commit()
        flash("The message will be sent again at the next try of its channel.", "success")
    else:
        db.session.rollback()
        flash("That message is not failed any more: it may have been tried again already.", "info")
    return redirect(url_for(".messages"))
