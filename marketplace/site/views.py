"""Help centre and privacy notice: anonymous pages, cached like the catalogue."""
from flask import Blueprint, current_app, render_template

bp = Blueprint("site", __name__)


def site_facts():
    """The settings the pages quote, so an operator changes them in one place (README: settings)."""
    config = current_app.config
    return {"organiser": config["SITE_ORGANISER"], "contact_email": config["SITE_CONTACT_EMAIL"],
            "contact_phone": config["SITE_CONTACT_PHONE"], "pay_days": config["ORDER_PAY_DAYS"],
            "accept_days": config["ORDER_ACCEPT_DAYS"], "auto_accept_days": config["ORDER_AUTO_ACCEPT_DAYS"]}


@bp.route("/help")
def help_centre():
    return render_template("site/help.html", **site_facts())


@bp.route("/privacy")
def privacy():
    return render_template("site/privacy.html", **site_facts())
