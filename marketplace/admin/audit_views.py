"""Admin audit console: the audit log, the ledger explorer (transfers, transfer detail, account
pages with statements), integrity runs and the signed checkpoint. Every list exports."""
import json

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace import ledger
from marketplace.admin.views import bp
from marketplace.audit import explorer, exports, integrity, queries
from marketplace.audit.models import AuditEntry
from marketplace.auth.decorators import admin_required, operator_required
from marketplace.auth.forms import ConfirmForm
from marketplace.audit.forms import DismissForm
from marketplace.extensions import db
from marketplace.labels import account_labels
from marketplace.forms import attempt
from marketplace.ledger.models import Account
from marketplace.pagination import paginate
from marketplace.vouchers.models import VoucherProgram

EXPORT_LIMIT = 100_000


@bp.route("/audit")
@admin_required
def audit_log():
    wanted = queries.filter_from_args(request.args)
    page = paginate(queries.search(wanted), current_app.config["PER_PAGE"])
    object_types = db.session.scalars(select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)).all()
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("admin/audit_log.html", page=page, filters=wanted, object_types=object_types, args=args)


@bp.route("/audit/export.<any(csv, xlsx):fmt>")
@admin_required
def audit_log_export(fmt):
    entries = db.session.scalars(queries.search(queries.filter_from_args(request.args)).limit(EXPORT_LIMIT))
    return exports.download(fmt, queries.EXPORT_HEADER, queries.export_rows(entries), "audit-log")


@bp.route("/ledger")
@admin_required
def audit_ledger():
    wanted = explorer.filter_from_args(request.args)
    before = explorer.positive_int(request.args.get("before", ""))
    result = explorer.page(wanted, before)
    labels = account_labels({code for row in result.rows for code in (row.debit_code, row.credit_code)})
    return render_template("admin/audit_ledger.html", result=result, filters=wanted, args=wanted.args(),
                           kinds=explorer.KINDS, before=before, labels=labels,
                           programs=db.session.scalars(select(VoucherProgram).order_by(VoucherProgram.code)).all())


@bp.route("/ledger/export.<any(csv, xlsx):fmt>")
@admin_required
def audit_ledger_export(fmt):
    rows = explorer.stream(explorer.filter_from_args(request.args), EXPORT_LIMIT)
    return exports.download(fmt, explorer.EXPORT_HEADER, explorer.export_rows(rows), "ledger-transfers")


@bp.route("/ledger/transfers/<int:sequence>")
@admin_required
def audit_transfer(sequence):
    found = explorer.detail(sequence) or abort(404)
    return render_template("admin/audit_transfer.html", d=found,
                           labels=account_labels({found.debit.code, found.credit.code}))


@bp.route("/ledger/accounts/<int:account_id>")
@admin_required
def audit_account(account_id):
    account = db.session.get(Account, account_id) or abort(404)
    day = queries.parse_day(request.args.get("at", ""))
    after = explorer.positive_int(request.args.get("after", "")) or 0
    statement = ledger.statement(db.session, account.id, after_id=after, limit=explorer.PAGE_SIZE)
    counterparties = {a.id: a.code for a in db.session.scalars(
        select(Account).where(Account.id.in_({line.counterparty_id for line in statement.lines})))}
    return render_template("admin/audit_account.html", account=account, now=ledger.balance(db.session, account.id),
                           as_of=ledger.balance_as_of(db.session, account.id, at=explorer.as_of_instant(day)) if day else None,
                           day=day, statement=statement, counterparties=counterparties, after=after,
                           labels=account_labels({account.code, *counterparties.values()}))


@bp.route("/ledger/accounts")
@admin_required
def audit_account_lookup():
    code = request.args.get("code", "").strip()
    account = db.session.scalar(select(Account).where(Account.code == code)) or abort(404)
    return redirect(url_for("admin.audit_account", account_id=account.id))


@bp.route("/integrity")
@admin_required
def audit_integrity():
    return render_template("admin/audit_integrity.html", runs=integrity.latest_runs(20), form=ConfirmForm(),
                           signing=bool(current_app.config.get("AUDIT_CHECKPOINT_KEY")))


# Auditors may run the verifier: it records a run but changes no business data.
@bp.route("/integrity/verify", methods=["POST"])
@admin_required
def audit_verify():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    db.session.rollback()  # end the read transaction: on SQLite the verifier reads outside this session
    run = ledger.run_in_transaction(db.session, lambda: integrity.run_verify(current_user))
    checked = format(run.transfers_checked, ",")
    if run.ok:
        flash(_("Ledger intact: %(n)s transfers checked.", n=checked), "success")
    else:
        flash(_("Ledger check FAILED at sequence %(seq)s: %(problem)s", seq=run.first_bad_sequence, problem=run.problem), "error")
    return redirect(url_for("admin.audit_integrity"))


@bp.route("/integrity/checkpoint.json")
@admin_required
def audit_checkpoint():
    key = current_app.config.get("AUDIT_CHECKPOINT_KEY") or abort(503)
    document = integrity.checkpoint(key)
    name = f"ledger-checkpoint-{document['payload']['date']}.json"
    return Response(json.dumps(document, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.route("/reconciliation")
@admin_required
def audit_reconciliation():
    from marketplace.audit import reconcile

    sections = [(program, *reconcile.program_figures(program), reconcile.provider_lines(program))
                for program in reconcile.programs()]
    labels = account_labels({line.code for section in sections for line in section[-1]})
    return render_template("admin/audit_reconciliation.html", sections=sections, cash=reconcile.cash(), labels=labels)


@bp.route("/anomalies")
@admin_required
def audit_anomalies():
    from marketplace.audit import anomalies

    show_all = request.args.get("all") == "1"
    return render_template("admin/audit_anomalies.html", flags=anomalies.flags(include_dismissed=show_all),
                           rules=anomalies.RULES, show_all=show_all, form=DismissForm())


@bp.route("/anomalies/dismiss", methods=["POST"])
@operator_required
def audit_anomaly_dismiss():
    from marketplace.audit import anomalies

    form = DismissForm()
    if form.validate_on_submit():
        _done, ok = attempt(form, lambda: anomalies.dismiss(current_user, form.rule.data, form.key.data, form.reason.data))
        if ok:
            flash(_("The flag is dismissed; your reason is kept in the audit log."), "success")
            return redirect(url_for("admin.audit_anomalies"))
    for error in [*form.form_errors, *form.reason.errors]:
        flash(error, "error")
    return redirect(url_for("admin.audit_anomalies"))


@bp.route("/reports")
@admin_required
def audit_reports():
    from marketplace.audit import reports

    built = [make() for make in reports.REPORTS.values()]
    return render_template("admin/audit_reports.html", reports=built, bars=reports.bars, averages=reports.averages())


@bp.route("/reports/funder")
@admin_required
def funder_reports():
    from marketplace.audit import funder_reports as funder, reports

    scope, problems = funder.scope_from_args(request.args)
    for problem in problems:
        flash(_(problem), "error")
    program = db.session.get(VoucherProgram, scope.program_id) if scope.program_id else None
    return render_template("admin/funder_reports.html", scope=scope, program=program, bars=reports.bars,
                           reports=[make(scope) for make in funder.FUNDER_REPORTS.values()],
                           programs=db.session.scalars(select(VoucherProgram).order_by(VoucherProgram.code)).all())


@bp.route("/reports/funder/<name>.<any(csv, xlsx):fmt>")
@admin_required
def funder_report_export(name, fmt):
    from marketplace.audit import funder_reports as funder

    make = funder.FUNDER_REPORTS.get(name) or abort(404)
    scope, _problems = funder.scope_from_args(request.args)
    report = make(scope)
    period = "-".join(str(day) for day in (scope.since, scope.until) if day)
    filename = "-".join(part for part in ("funder", name, str(scope.program_id or ""), period) if part)
    return exports.download(fmt, [_(h) for h in report.header], report.rows, filename, report.money_columns)


@bp.route("/reports/<name>.<any(csv, xlsx):fmt>")
@admin_required
def audit_report_export(name, fmt):
    from marketplace.audit import reports

    make = reports.REPORTS.get(name) or abort(404)
    report = make()
    return exports.download(fmt, [_(h) for h in report.header], report.rows, f"report-{name}", report.money_columns)
