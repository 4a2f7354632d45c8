"""Published questionnaire versions. A published version is frozen: publishing again adds a new
version and never changes what earlier submissions answered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from hub.extensions import db
from hub.models import Organisation, QuestionnaireVersion
from questionnaires import Questionnaire


class VersionConflict(ValueError):
    """That slug and version is already published with a different definition."""


class UnknownPartners(ValueError):
    """The questionnaire sends flags to partner agencies the hub does not have."""


def publish(questionnaire: Questionnaire, now: datetime) -> QuestionnaireVersion:
    """Publish a definition; publishing the same one again is a no-op. Every partner it refers
    to must already be a partner agency of the hub, so no answer can go nowhere."""
    known = set(
        db.session.scalars(
            select(Organisation.slug).where(
                Organisation.kind == "partner",
                Organisation.slug.in_(questionnaire.partner_slugs()),
            )
        )
    )
    missing = questionnaire.partner_slugs() - known
    if missing:
        raise UnknownPartners(
            f"{questionnaire.slug} version {questionnaire.version} refers to partner agencies "
            "the hub does not have: " + ", ".join(sorted(missing))
        )
    existing = db.session.scalar(
        select(QuestionnaireVersion).filter_by(
            slug=questionnaire.slug, version=questionnaire.version
        )
    )
    definition = questionnaire.to_dict()
    if existing is not None:
        if existing.definition != definition:
            raise VersionConflict(
                f"{questionnaire.slug} version {questionnaire.version} is already published with "
                "different questions; publish it as a new version"
            )
        return existing
    row = QuestionnaireVersion(
        slug=questionnaire.slug,
        version=questionnaire.version,
        title=questionnaire.title,
        definition=definition,
        published_at=now,
    )
    db.session.add(row)
    db.session.flush()
    return row


def latest(slug: str) -> QuestionnaireVersion | None:
    return db.session.scalar(
        select(QuestionnaireVersion)
        .filter_by(slug=slug)
        .order_by(QuestionnaireVersion.version.desc())
        .limit(1)
    )


def published() -> list[QuestionnaireVersion]:
    """The latest version of every questionnaire, by title."""
    newest = (
        select(QuestionnaireVersion.slug, func.max(QuestionnaireVersion.version).label("version"))
        .group_by(QuestionnaireVersion.slug)
        .subquery()
    )
    return list(
        db.session.scalars(
            select(QuestionnaireVersion)
            .join(
                newest,
                (QuestionnaireVersion.slug == newest.c.slug)
                & (QuestionnaireVersion.version == newest.c.version),
            )
            .order_by(QuestionnaireVersion.title)
        )
    )


def definition_of(version: QuestionnaireVersion) -> Questionnaire:
    """The engine's view of a published version. Published versions never change (``publish``
    refuses that), so one parse per version is kept."""
    return _parsed(version.slug, version.version, version.published_at, version.definition)


_PARSED: dict[tuple, Questionnaire] = {}


def _parsed(slug: str, number: int, published_at: datetime, definition: dict) -> Questionnaire:
    key = (slug, number, published_at)
    if key not in _PARSED:
        _PARSED[key] = Questionnaire.from_dict(definition)
    return _PARSED[key]
