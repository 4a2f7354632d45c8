"""``questionnaires publish FILE`` and ``questionnaires export SLUG [--version N] [FILE]``: a bank
in the format of ``questionnaires/banks/sail.toml`` in and out; an export publishes back as the
same questionnaire; clear one-line errors and a non-zero exit for what is refused."""

from __future__ import annotations

from sqlalchemy import func, select

from hub.models import QuestionnaireVersion
from questionnaires import Questionnaire, bank_path, load_bank
from questionnaires.bank_toml import to_toml

SAIL = bank_path("sail").read_text(encoding="utf-8")


def versions(db, slug: str = "sail") -> list[int]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(QuestionnaireVersion.version)
            .where(QuestionnaireVersion.slug == slug)
            .order_by(QuestionnaireVersion.version)
        )
    )


def bank_file(tmp_path, text: str, name: str = "bank.toml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def publish(runner, tmp_path, text: str):
    return runner.invoke(args=["questionnaires", "publish", bank_file(tmp_path, text)])


def test_the_bank_written_back_reads_as_the_same_questionnaire():
    sail = load_bank("sail")
    assert Questionnaire.from_toml(to_toml(sail)) == sail
    tricky = sail.to_dict()
    tricky["title"] = 'Quotes " and \\ and\nnew lines\t\x7f and ünïcode'
    again = Questionnaire.from_dict(tricky)
    assert Questionnaire.from_toml(to_toml(again)) == again


def test_publish_the_same_bank_again_changes_nothing(runner, db, demo_hub, tmp_path):
    result = publish(runner, tmp_path, SAIL)
    assert result.exit_code == 0, result.output
    assert "already published: nothing changed" in result.output
    assert versions(db) == [2]


def test_publish_a_new_version(runner, db, demo_hub, tmp_path):
    changed = SAIL.replace("version = 2", "version = 3").replace(
        "Do you smoke, and would you like free help to stop?",
        "Do you smoke, and would you like help to stop?",
    )
    result = publish(runner, tmp_path, changed)
    assert result.exit_code == 0, result.output
    assert "Published Safe and Independent Living (SAIL) (sail) version 3." in result.output
    assert versions(db) == [2, 3]


def test_a_changed_bank_needs_a_higher_version(runner, db, demo_hub, tmp_path):
    changed = SAIL.replace("Do you smoke,", "Do you smoke at all,")
    result = publish(runner, tmp_path, changed)
    assert result.exit_code != 0
    assert "already published with different questions" in result.output
    assert "(version 3)" in result.output
    newer = changed.replace("version = 2", "version = 4")
    assert publish(runner, tmp_path, newer).exit_code == 0
    lower = changed.replace("version = 2", "version = 3")
    refused = publish(runner, tmp_path, lower)
    assert refused.exit_code != 0
    assert "version 4 is already published: publish this bank as version 5" in refused.output
    assert versions(db) == [2, 4]


def test_a_bank_naming_unknown_partners_is_refused_naming_them(runner, db, demo_hub, tmp_path):
    text = SAIL.replace("version = 2", "version = 3")
    text = text.replace('partner = "nhs-memory-service"', 'partner = "no-such-memory-clinic"')
    text = text.replace('partner = "carers-support"', 'partner = "carers-nowhere"')
    result = publish(runner, tmp_path, text)
    assert result.exit_code != 0
    assert "carers-nowhere, no-such-memory-clinic" in result.output
    assert versions(db) == [2]


def test_a_file_that_is_not_a_bank_is_refused(runner, db, demo_hub, tmp_path):
    result = publish(runner, tmp_path, "slug = [")
    assert result.exit_code != 0 and "is not a question bank" in result.output
    wrong = publish(runner, tmp_path, SAIL.replace("version = 2", "version = 0"))
    assert wrong.exit_code != 0 and "version must be a positive whole number" in wrong.output


def test_publish_on_an_empty_hub_needs_its_partners_first(runner, db, tmp_path):
    result = publish(runner, tmp_path, SAIL)
    assert result.exit_code != 0
    assert "lfb-home-fire-safety" in result.output
    assert db.session.scalar(select(func.count(QuestionnaireVersion.id))) == 0


def test_export_then_publish_is_the_same_questionnaire(runner, db, demo_hub, tmp_path):
    exported = tmp_path / "sail.toml"
    result = runner.invoke(args=["questionnaires", "export", "sail", str(exported)])
    assert result.exit_code == 0, result.output
    text = exported.read_text(encoding="utf-8")
    assert Questionnaire.from_toml(text) == load_bank("sail")
    again = runner.invoke(args=["questionnaires", "publish", str(exported)])
    assert again.exit_code == 0 and "nothing changed" in again.output
    assert versions(db) == [2]


def test_export_a_version_to_standard_output(runner, db, demo_hub, tmp_path):
    newer = SAIL.replace("version = 2", "version = 3").replace("Do you smoke,", "Do you smoke now,")
    assert publish(runner, tmp_path, newer).exit_code == 0
    latest = runner.invoke(args=["questionnaires", "export", "sail"])
    first = runner.invoke(args=["questionnaires", "export", "sail", "--version", "2"])
    assert Questionnaire.from_toml(latest.output).version == 3
    assert Questionnaire.from_toml(first.output) == load_bank("sail")


def test_export_of_something_not_published_is_refused(runner, db, demo_hub):
    result = runner.invoke(args=["questionnaires", "export", "nope"])
    assert result.exit_code != 0 and "No published questionnaire 'nope'" in result.output
    result = runner.invoke(args=["questionnaires", "export", "sail", "--version", "7"])
    assert result.exit_code != 0 and "'sail' version 7" in result.output
