from flask import Blueprint, render_template

from marketplace.catalog.taxonomy import CATEGORY_LABELS

bp = Blueprint("catalog", __name__)


@bp.route("/")
def home():
    return render_template("catalog/home.html", categories=CATEGORY_LABELS)
