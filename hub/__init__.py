"""The SAIL referral hub: ``create_app`` wires configuration, extensions, blueprints and the CLI."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix

from hub import config, request_limits, security_headers
from hub.extensions import csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    request_limits.install_id_converter(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)

    # Behind proxies, the client's address (for sign-in throttling) is the one they forwarded:
    # trust exactly HUB_PROXY_COUNT of them, never more (a client could forge the rest).
    if app.config["HUB_PROXY_COUNT"] > 0:
        count = app.config["HUB_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(ROOT / "templates"),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    csrf.init_app(app)
    login_manager.init_app(app)

    from hub import cli, errors, filters, health
    from hub.admin.area_views import admin_areas
    from hub.admin.organisation_views import admin_organisations
    from hub.admin.people import admin_people
    from hub.admin.user_views import admin_users
    from hub.admin.views import admin
    from hub.api import api
    from hub.auth import sessions
    from hub.auth import views as auth
    from hub.auth.account_views import account
    from hub.auth.link_views import account_links
    from hub.auth.two_factor_views import bp as two_factor
    from hub.frontline.submitted_views import referrer
    from hub.frontline.views import frontline
    from hub.manage import manage
    from hub.triage.follow_up_views import follow_ups
    from hub.triage.message_views import hub_messages
    from hub.triage.person_views import people
    from hub.triage.views import hub_views
    from hub.webhooks import webhooks
    from partners.admin_api import admin_partners_api
    from partners.admin_views import admin_partners
    from partners.link_views import partner_links
    from partners.oruk_api import openreferral
    from partners.views import partner_portal

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to continue"
    login_manager.login_message_category = "info"
    login_manager.user_loader(auth.load_user)
    sessions.init_app(app)

    app.register_blueprint(health.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(account)
    app.register_blueprint(account_links)
    app.register_blueprint(two_factor)
    app.register_blueprint(frontline)
    app.register_blueprint(referrer)
    app.register_blueprint(hub_views)
    app.register_blueprint(partner_portal)
    app.register_blueprint(partner_links)
    app.register_blueprint(follow_ups)
    app.register_blueprint(people)
    app.register_blueprint(hub_messages)
    app.register_blueprint(admin)
    app.register_blueprint(admin_people)
    app.register_blueprint(admin_areas)
    app.register_blueprint(admin_users)
    app.register_blueprint(admin_organisations)
    app.register_blueprint(admin_partners)
    app.register_blueprint(manage)
    app.register_blueprint(api)
    csrf.exempt(api)  # bearer tokens, not cookies: no CSRF to protect against
    app.register_blueprint(admin_partners_api)
    csrf.exempt(admin_partners_api)  # the API's bearer tokens, as above
    app.register_blueprint(openreferral)  # public and read-only: GET only
    app.register_blueprint(webhooks)
    csrf.exempt(webhooks)  # signed by the provider, not sent from a browser

    errors.init_app(app)
    filters.init_app(app)
    cli.init_app(app)
    security_headers.init_app(app)
    request_limits.init_app(app)
    return app
