"""Batch issuance from a CSV (`credit_code,amount_yuan,memo`): upload → stored preview → confirm.

An upload is identified by the SHA-256 of its bytes, so the same file for the same program is
one batch however often it is uploaded, and each row's issue key makes issuing it idempotent."""
import hashlib
from collections import defaultdict

from sqlalchemy import func, insert, select

from marketplace.audit.services import record
from marketplace.auth import credit_code as credit_codes
from marketplace.auth.models import Organisation
from marketplace.auth.services import require_operator
from marketplace.database import utcnow
from marketplace.errors import InvalidState, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.inputs import csv_rows
from marketplace.money import parse_yuan
from marketplace.vouchers.applications import holding
from marketplace.vouchers.errors import BadUpload
from marketplace.vouchers.issuance import IssueItem, issue_vouchers
from marketplace.vouchers.models import IssueBatch, IssueBatchRow
from marketplace.vouchers.programs import get_program
from marketplace.vouchers.rules import enterprise_problem, program_problem

COLUMNS = ("credit_code", "amount_yuan", "memo")
MAX_ROWS = 100_000
OUTCOMES = {"ok": N_("OK"), "unknown": N_("Unknown enterprise"), "not_eligible": N_("Not eligible"),
            "over_cap": N_("Over the cap"), "duplicate": N_("Duplicate"), "bad_amount": N_("Bad amount"),
            "issued": N_("Issued")}


def decode(raw):
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK, common from Chinese Excel)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding), "utf-8" if encoding == "utf-8-sig" else "gbk"
        except UnicodeDecodeError:
            continue
    raise BadUpload(N_("The file is neither UTF-8 nor GBK text. Save it from Excel as “CSV UTF-8”."))


def read_rows(raw):
    """(encoding, [(line, credit_code, amount text, memo)]). Raises BadUpload with what to fix."""
    text, encoding = decode(raw)
    reader = csv_rows(text, BadUpload)
    header = [cell.strip().lower() for cell in next(reader, (1, []))[1]]
    if header[:3] != list(COLUMNS):
        raise BadUpload(N_("The first line must be the header credit_code,amount_yuan,memo."))
    rows = []
    for line, cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        cells = (cells + ["", "", ""])[:3]
        rows.append((line, credit_codes.normalise(cells[0]), cells[1].strip(), cells[2].strip()[:200]))
        if len(rows) > MAX_ROWS:
            raise BadUpload(N_("The file has more than 100,000 rows; split it into smaller files."))
    if not rows:
        raise BadUpload(N_("The file has a header but no rows."))
    return encoding, rows


def preview(program_id, filename, raw, actor, now=None):
    """Check every row and store the outcome; returns the batch (an existing one for a file
    already uploaded to this program). Raises PermissionDenied, ProgramNotFound, BadUpload."""
    require_operator(actor)
    program = get_program(program_id)
    sha = hashlib.sha256(raw).hexdigest()
    existing = db.session.scalar(select(IssueBatch).where(IssueBatch.program_id == program.id,
                                                          IssueBatch.upload_sha256 == sha))
    if existing:
        return existing
    encoding, rows = read_rows(raw)
    batch = IssueBatch(program_id=program.id, upload_sha256=sha, filename=(filename or "upload.csv")[:200],
                       encoding=encoding, uploaded_by_id=actor.id)
    db.session.add(batch)
    db.session.flush()
    checked = check_rows(program, rows, now or utcnow())
    db.session.execute(insert(IssueBatchRow), [{"batch_id": batch.id, **row} for row in checked])
    ok = [row for row in checked if row["outcome"] == "ok"]
    batch.rows_ok, batch.rows_bad = len(ok), len(checked) - len(ok)
    batch.total_fen = sum(row["amount_fen"] for row in ok)
    return batch


def check_rows(program, rows, now):
    closed = program_problem(program, now)
    organisations = organisations_by_code({code for _, code, _, _ in rows})
    seen, planned, checked, remaining = set(), defaultdict(int), [], {}

    def remaining_cap(organisation):
        if organisation.id not in remaining:
            remaining[organisation.id] = holding(program, organisation.id).remaining_cap
        return remaining[organisation.id]

    for line, code, amount_text, memo in rows:
        organisation = organisations.get(code)
        amount = amount_or_none(amount_text)
        outcome = row_outcome(program, closed, organisation, amount, code in seen, planned, remaining_cap)
        seen.add(code)
        if outcome == "ok":
            planned[organisation.id] += amount
        checked.append({"line": line, "credit_code": code[:40], "organisation_id": getattr(organisation, "id", None),
                        "amount_fen": amount, "memo": memo, "outcome": outcome})
    return checked


def organisations_by_code(codes):
    found = {}
    code_list = list(codes)
    for start in range(0, len(code_list), 1000):  # stay under bound-parameter limits
        chunk = code_list[start:start + 1000]
        found.update({org.credit_code: org for org in db.session.scalars(
            select(Organisation).where(Organisation.credit_code.in_(chunk)))})
    return found


def amount_or_none(text):
    try:
        amount = parse_yuan(text)
    except ValidationFailed:
        return None
    return amount if amount > 0 else None


def row_outcome(program, closed, organisation, amount, duplicate, planned, remaining_cap):
    if duplicate:
        return "duplicate"
    if amount is None:
        return "bad_amount"
    if organisation is None:
        return "unknown"
    if closed or enterprise_problem(program, organisation):
        return "not_eligible"
    if planned[organisation.id] + amount > remaining_cap(organisation):
        return "over_cap"
    return "ok"


def confirm(batch_id, actor, now=None):
    """Issue every row that was ok, in one ledger batch (all or none). A confirmed batch is never
    issued again. Raises PermissionDenied, InvalidState, program errors, BudgetExhausted."""
    require_operator(actor)
    batch = db.session.get(IssueBatch, batch_id)
    if batch is None or batch.confirmed_at is not None:
        raise InvalidState(N_("This batch has already been issued."))
    program = batch.program
    problem = program_problem(program, now or utcnow())
    if problem:
        raise problem
    rows = db.session.scalars(select(IssueBatchRow).where(IssueBatchRow.batch_id == batch.id,
                                                          IssueBatchRow.outcome == "ok")).all()
    items = [IssueItem(row.organisation_id, row.amount_fen, f"batch:{program.id}:{batch.upload_sha256[:16]}:{row.credit_code}",
                       memo=row.memo) for row in rows]
    vouchers = issue_vouchers(program, items, actor, batch_id=batch.id)
    for row in rows:
        row.outcome = "issued"
    batch.confirmed_at = utcnow()
    record(actor, "batch.issue", batch, after={"vouchers": len(vouchers), "total_fen": batch.total_fen})
    return batch, len(vouchers)


def outcome_counts(batch_id):
    return dict(db.session.execute(select(IssueBatchRow.outcome, func.count()).where(
        IssueBatchRow.batch_id == batch_id).group_by(IssueBatchRow.outcome)).all())
