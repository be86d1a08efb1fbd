"""Admin pages of search: the synonym table and the index status (with a rebuild button)."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from marketplace.admin.views import bp
from marketplace.auth.decorators import admin_required, operator_required
from marketplace.auth.forms import ConfirmForm
from marketplace.extensions import db
from marketplace.forms import attempt
from marketplace.ledger import run_in_transaction
from marketplace.pagination import paginate
from marketplace.search import indexer, services
from marketplace.search.forms import SynonymForm
from marketplace.search.models import Synonym


SYNONYMS_PER_PAGE = 50


def synonym_page(find, edit_id=None):
    """One page of synonym groups (those containing `find`, if given). Editing a group shows the
    page it is on, whatever ?page= says."""
    query = select(Synonym).order_by(Synonym.id)
    if find:
        query = query.where(Synonym.terms.contains(find, autoescape=True))
    if edit_id is None:
        return paginate(query, SYNONYMS_PER_PAGE)
    before = db.session.scalar(select(func.count()).select_from(query.where(Synonym.id < edit_id).subquery()))
    return db.paginate(query, page=before // SYNONYMS_PER_PAGE + 1, per_page=SYNONYMS_PER_PAGE, error_out=False)


def render_synonyms(form, edit_id=None, edit_form=None, status=200):
    find = " ".join(request.args.get("find", "").split())[:50]
    return render_template("admin/search_synonyms.html", page=synonym_page(find, edit_id), find=find, form=form,
                           edit_id=edit_id, edit_form=edit_form, delete_form=ConfirmForm(),
                           index=indexer.index_status()), status


@bp.route("/search/synonyms", methods=["GET", "POST"])
@operator_required
def search_synonyms():
    form = SynonymForm()
    if form.validate_on_submit() and attempt(form, lambda: services.create_synonym(current_user, form.terms.data))[1]:
        flash(_("Synonym group added. Searches use it at once."), "success")
        return redirect(url_for("admin.search_synonyms"))
    return render_synonyms(form, status=422 if form.errors else 200)


@bp.route("/search/synonyms/<int:synonym_id>", methods=["GET", "POST"])
@operator_required
def search_synonyms_edit(synonym_id):
    synonym = services.get_synonym(synonym_id)
    edit_form = SynonymForm(obj=synonym)
    if edit_form.validate_on_submit() and \
            attempt(edit_form, lambda: services.update_synonym(current_user, synonym_id, edit_form.terms.data))[1]:
        flash(_("Synonym group saved."), "success")
        return redirect(url_for("admin.search_synonyms"))
    return render_synonyms(SynonymForm(formdata=None), synonym_id, edit_form, 422 if edit_form.errors else 200)


@bp.route("/search/synonyms/<int:synonym_id>/delete", methods=["POST"])
@operator_required
def search_synonyms_delete(synonym_id):
    if ConfirmForm().validate_on_submit():
        run_in_transaction(db.session, lambda: services.delete_synonym(current_user, synonym_id))
        flash(_("Synonym group removed."), "info")
    return redirect(url_for("admin.search_synonyms"))


@bp.route("/search/reindex", methods=["POST"])
@operator_required
def search_reindex():
    if ConfirmForm().validate_on_submit():
        count = indexer.rebuild(reason="admin")
        db.session.rollback()
        flash(_("The search index was rebuilt with %(n)d listings.", n=count), "success")
    return redirect(url_for("admin.search_synonyms"))
