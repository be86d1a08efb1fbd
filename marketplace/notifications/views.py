from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from marketplace.auth.forms import ConfirmForm
from marketplace.extensions import db
from marketplace.inputs import safe_next
from marketplace.ledger import run_in_transaction
from marketplace.notifications import services
from marketplace.notifications.models import Notification
from marketplace.pagination import paginate

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@login_required
def index():
    query = select(Notification).where(Notification.user_id == current_user.id) \
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    return render_template("notifications/index.html", page=paginate(query, 20), form=ConfirmForm(),
                           email_kinds=services.email_kinds_for(current_user), preferences_form=ConfirmForm())


@bp.route("/preferences", methods=["POST"])
@login_required
def preferences():
    """The account page's e-mail choices: the kinds ticked are e-mailed, the others only shown here."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    chosen = set(request.form.getlist("email"))
    run_in_transaction(db.session, lambda: services.set_email_preferences(current_user, chosen))
    flash(_("Your e-mail choices are saved."), "success")
    back = safe_next(request.form.get("next"), url_for("notifications.index"))
    return redirect(back + "#email-preferences")


@bp.route("/read", methods=["POST"])
@login_required
def mark_read():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    run_in_transaction(db.session, lambda: services.mark_all_read(current_user))
    return redirect(url_for("notifications.index"))
