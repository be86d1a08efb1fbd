"""Provider pages: the orders it may claim, its redemption requests, new request, resubmission."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace.auth.decorators import role_required
from marketplace.catalog.uploads import Upload
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.forms import attempt
from marketplace.errors import DomainError
from marketplace.money import parse_yuan
from marketplace.inputs import form_ints
from marketplace.redemption import services
from marketplace.redemption.invoices import FORMAT_HELP
from marketplace.redemption.forms import EVIDENCE_SLOTS, RequestForm
from marketplace.redemption.models import RedemptionRequest
from marketplace.vouchers.models import VoucherProgram
from marketplace.vouchers.rules import local_date

bp = Blueprint("redemption", __name__, url_prefix="/redemption")
provider_required = role_required("provider")


@bp.route("/")
@provider_required
def index():
    programs = services.claimable_by_program(current_user.organisation_id)
    requests = db.session.scalars(select(RedemptionRequest).where(RedemptionRequest.provider_id == current_user.organisation_id)
                                  .order_by(RedemptionRequest.id.desc())).all()
    return render_template("redemption/index.html", programs=programs, requests=requests,
                           today=local_date(utcnow()))


def evidence_from(form):
    found = []
    for slot in EVIDENCE_SLOTS:
        storage = getattr(form, slot).data
        if storage and getattr(storage, "filename", ""):
            found.append(services.Evidence(slot, Upload(storage.filename, storage.read())))
    return found


def ticked_orders():
    return form_ints("order")


def claims_from_form(form, order_ids):
    """{order id: Claim} from each order's `invoice-code-<id>`, `invoice-<id>` and
    `invoice-amount-<id>` (yuan) fields; an unreadable amount lands on the form (None returned)."""
    claims = {}
    for order_id in order_ids:
        text = request.form.get(f"invoice-amount-{order_id}", "").strip()
        try:
            amount = parse_yuan(text) if text else None
        except DomainError as error:
            form.form_errors.append(error.translated())
            return None
        claims[order_id] = services.Claim(order_id, request.form.get(f"invoice-{order_id}", ""),
                                          request.form.get(f"invoice-code-{order_id}", ""), amount)
    return claims


def typed(order_ids):
    """What the provider typed, to show again on a refused form: {order id: {code, number, amount}}."""
    return {order_id: {"code": request.form.get(f"invoice-code-{order_id}", ""),
                       "number": request.form.get(f"invoice-{order_id}", ""),
                       "amount": request.form.get(f"invoice-amount-{order_id}", "")} for order_id in order_ids}


@bp.route("/new/<int:program_id>", methods=["GET", "POST"])
@provider_required
def new(program_id):
    program = db.session.get(VoucherProgram, program_id) or abort(404)
    claimable = services.claimable_orders(current_user.organisation_id, program.id)
    form = RequestForm()
    if form.validate_on_submit():
        claims = claims_from_form(form, ticked_orders())
        if claims is not None:
            work = lambda: services.submit(current_user, program.id, list(claims.values()), evidence_from(form),
                                           form.note.data)
            created, ok = attempt(form, work)
            if ok:
                flash(_("Redemption request %(number)s submitted for first review.", number=created.number), "success")
                return redirect(url_for("redemption.detail", request_id=created.id))
    chosen = typed(ticked_orders()) if request.method == "POST" else {}
    return render_template("redemption/new.html", program=program, claimable=claimable, form=form, chosen=chosen,
                           invoice_help=FORMAT_HELP, checklist=program.required_evidence_labels), \
        422 if form.errors or form.form_errors else 200


@bp.route("/<int:request_id>", methods=["GET", "POST"])
@provider_required
def detail(request_id):
    item = services.get_request(request_id, current_user)
    form = RequestForm()
    if item.status == "returned" and form.validate_on_submit():
        claims = claims_from_form(form, [i.order_id for i in item.items if f"invoice-{i.order_id}" in request.form])
        if claims is not None:
            work = lambda: services.resubmit(item.id, current_user, claims, evidence_from(form), form.note.data)
            _done, ok = attempt(form, work)
            if ok:
                flash(_("Redemption request %(number)s resubmitted for first review.", number=item.number), "success")
                return redirect(url_for("redemption.detail", request_id=item.id))
            item = services.get_request(request_id, current_user)
    elif request.method == "POST" and item.status != "returned":
        abort(409)
    chosen = typed([i.order_id for i in item.items]) if request.method == "POST" else {}
    return render_template("redemption/detail.html", item=item, form=form, chosen=chosen, invoice_help=FORMAT_HELP,
                           checklist=item.program.required_evidence_labels), 422 if form.errors or form.form_errors else 200
