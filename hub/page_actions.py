"""How a page changes a referral, or records a questionnaire's follow-up: one way for every view.

The view finds what it changes with its own visibility rule, locked (``SELECT ... FOR UPDATE``, so
a second change at once waits and then sees the first), and hands it here with the change to make
through the service (``hub.referrals.lifecycle`` or ``hub.referrals.follow_ups``). A change the
service allows is committed once, flashed and followed by a redirect (post/redirect/get). One it
refuses changes nothing: the transaction is rolled back and the view shows why, with 409 for a
change not allowed now (say, already done in another tab) and as it chooses for bad details.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import abort, flash, redirect
from flask.typing import ResponseReturnValue

from hub.extensions import db
from hub.referrals.follow_ups import FollowUpInvalid, FollowUpRefused
from hub.referrals.lifecycle import InvalidTransitionInput, TransitionNotAllowed

# Not allowed now, whatever the details: the page answers 409.
NOT_ALLOWED = (TransitionNotAllowed, FollowUpRefused)
# Missing or wrong details: the page shows them on the form.
BAD_DETAILS = (InvalidTransitionInput, FollowUpInvalid)

Subject = TypeVar("Subject")
Result = TypeVar("Result")


def apply_change(
    subject: Subject | None,
    change: Callable[[Subject], Result],
    done: Callable[[Subject, Result], tuple[str, str]],
    refused: Callable[[str], ResponseReturnValue] | None = None,
    invalid: Callable[[Exception], ResponseReturnValue] | None = None,
) -> ResponseReturnValue:
    """Make ``change`` to ``subject`` (found, and locked if its status matters, by the caller;
    ``None`` is 404) and commit; then flash the message ``done`` gives and redirect to its
    address. A refusal rolls back and answers ``refused(reason)`` (not allowed now; the page is
    shown with 409) or ``invalid(problem)`` (bad details); a view that gives no answer for one
    lets it propagate, as for a refusal its change cannot meet."""
    if subject is None:
        abort(404)
    try:
        result = change(subject)
    except NOT_ALLOWED as problem:
        db.session.rollback()
        if refused is None:
            raise
        return refused(str(problem))
    except BAD_DETAILS as problem:
        db.session.rollback()
        if invalid is None:
            raise
        return invalid(problem)
    db.session.commit()
    message, address = done(subject, result)
    flash(message, "success")
    return redirect(address)
