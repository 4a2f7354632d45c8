"""Published questionnaire versions. A published version is frozen: publishing again adds a new
version and never changes what earlier submissions answered."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache

from sqlalchemy import func, select

from hub.extensions import db
from hub.models import QuestionnaireVersion
from questionnaires import Questionnaire


class VersionConflict(ValueError):
    """That slug and version is already published with a different definition."""


def publish(questionnaire: Questionnaire, now: datetime) -> QuestionnaireVersion:
    """Publish a definition; publishing the same one again is a no-op."""
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
    return _from_definition(version.id, version.slug, version.version, _freeze(version.definition))


def _freeze(value) -> str:
    return json.dumps(value, sort_keys=True)


@lru_cache(maxsize=64)
def _from_definition(_id: int, _slug: str, _version: int, frozen: str) -> Questionnaire:
    return Questionnaire.from_dict(json.loads(frozen))
