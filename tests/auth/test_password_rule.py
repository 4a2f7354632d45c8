"""The password rule (docs/design.md, "Sign-in"): at least 12 characters that show, not
blank-looking, not a common password, not the email itself."""

import pytest

from hub.auth.accounts import AccountError, check_password_strength


@pytest.mark.parametrize(
    "password, why",
    [
        ("         x", "at least 12 characters"),  # the finding: nine spaces and an x
        (" " * 20, "not spaces"),
        ("\u200b" * 14, "not spaces"),  # zero-width spaces only
        ("abc\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200bdef", "at least 12"),
        ("a b c d e f g h i j k", "at least 12"),  # spaces between do not count
        ("password1234", "too easy to guess"),
        ("qwertyuiop123", "too easy to guess"),
        ("Password123!", "too easy to guess"),
        ("aaaaaaaaaaaaaaaa", "too easy to guess"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password, why):
    with pytest.raises(AccountError, match=why):
        check_password_strength(password, "kim@example.org")


def test_a_common_password_is_refused_with_advice():
    with pytest.raises(AccountError) as refused:
        check_password_strength("password1234")
    assert "This is a very common password" in str(refused.value)


def test_the_email_itself_is_refused():
    with pytest.raises(AccountError, match="must not be your email"):
        check_password_strength("Kim.Walker@example.org", "kim.walker@example.org")


@pytest.mark.parametrize(
    "password",
    ["correct horse battery staple", "demo-admin-password", "Tuesday-kettle-47-lantern"],
)
def test_good_passwords_are_accepted(password):
    check_password_strength(password, "admin@demo.sail.example")


def test_users_create_refuses_nine_spaces_and_an_x_for_an_admin(runner, db, demo_hub):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "boss@example.org",
            "--role",
            "admin",
            "--org",
            "age-uk-lambeth-southwark",
            "--password-stdin",
        ],
        input="         x\n",
    )
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
