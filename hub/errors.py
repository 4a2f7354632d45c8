"""Error pages in GOV.UK style, and JSON errors under /api/."""

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError

MESSAGES = {
    400: ("bad_request", "The request could not be understood."),
    401: ("unauthorised", "Sign in to continue."),
    403: ("forbidden", "You do not have permission to do that."),
    404: ("not_found", "Page not found."),
    405: ("method_not_allowed", "That method is not allowed here."),
    409: ("conflict", "That cannot be done now."),
    413: ("too_large", "The request is too large: send less at once."),
    500: ("internal_error", "Sorry, there is a problem with the service."),
}


def api_error(status: int, code: str, message: str, fields: dict | None = None):
    body = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return jsonify(body), status


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/webhooks/", "/openreferral/"))


def init_app(app):
    def handle(error):
        status = getattr(error, "code", 500) or 500
        code, message = MESSAGES.get(status, ("error", "Something went wrong."))
        if wants_json():
            return api_error(status, code, message)
        return render_template("errors/error.html", status=status, message=message), status

    for status in MESSAGES:
        app.register_error_handler(status, handle)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return (
            render_template(
                "errors/error.html",
                status=400,
                message="This form has expired or was sent from another site. "
                "Go back, refresh the page and try again: nothing was saved.",
            ),
            400,
        )
