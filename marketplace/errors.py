"""Typed domain errors raised by services, and the error pages that keep stack traces away."""
import logging

from flask import jsonify, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException, InternalServerError

from marketplace.extensions import db
from marketplace.i18n import N_

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the domain refused an operation. `message` is an English msgid with %(name)s
    placeholders, translated where it is shown; `field` names the form field at fault, if any."""

    status_code = 400
    message = N_("The operation was refused.")

    def __init__(self, message=None, field=None, **params):
        self.message = message or self.message
        self.field = field
        self.params = params
        super().__init__(self.message % params if params else self.message)

    def translated(self):
        """The message in the user's language; string parameters that are msgids themselves (a
        state's label, say) are translated too, everything else passes through unchanged."""
        text = gettext(self.message)
        if not self.params:
            return text
        return text % {k: gettext(v) if isinstance(v, str) and v else v for k, v in self.params.items()}


class ValidationFailed(DomainError):
    message = N_("The input is not valid.")


class Duplicate(DomainError):
    status_code = 409
    message = N_("This already exists.")


class NotFound(DomainError):
    status_code = 404
    message = N_("Not found.")


class PermissionDenied(DomainError):
    status_code = 403
    message = N_("You are not allowed to do this.")


class InvalidState(DomainError):
    status_code = 409
    message = N_("This cannot be done in the current state.")


def wants_json():
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def render_error(status, title, detail):
    if wants_json():
        return jsonify({"error": {"status": status, "message": detail}}), status
    return render_template("errors/error.html", status=status, title=title, detail=detail), status


ERROR_TEXT = {
    400: (N_("Bad request"), N_("The request could not be understood. Please check the form and try again.")),
    403: (N_("Access denied"), N_("Your account does not have permission to open this page.")),
    404: (N_("Page not found"), N_("The page you asked for does not exist or has been removed.")),
    405: (N_("Method not allowed"), N_("This address does not accept that kind of request.")),
    413: (N_("File too large"), N_("The upload is larger than the site accepts. Please choose a smaller file.")),
    429: (N_("Too many attempts"), N_("Too many attempts in a short time. Please wait a minute and try again.")),
    500: (N_("Something went wrong"), N_("An unexpected error occurred. It has been logged; please try again later.")),
}


def handle_http_exception(error: HTTPException):
    title, detail = ERROR_TEXT.get(error.code, (error.name, error.description))
    if error.code == 400 and getattr(error, "description", "").startswith("The CSRF"):
        detail = N_("The form has expired or was sent from another site. Please reload the page and try again.")
    return render_error(error.code, gettext(title), gettext(detail))


def handle_domain_error(error: DomainError):
    title = ERROR_TEXT.get(error.status_code, ERROR_TEXT[400])[0]
    db.session.rollback()
    return render_error(error.status_code, gettext(title), error.translated())


def handle_unexpected(error: Exception):
    if isinstance(error, HTTPException) and not isinstance(error, InternalServerError):
        return handle_http_exception(error)
    log.exception("unhandled error on %s %s", request.method, request.path)
    db.session.rollback()
    title, detail = ERROR_TEXT[500]
    return render_error(500, gettext(title), gettext(detail))


def register_errorhandlers(app):
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(Exception, handle_unexpected)
