"""Listing import from CSV in the DESIGN.md format:

    external_id,provider,category,title,description,price_yuan,voucher_eligible,tags

UTF-8 (with or without BOM) or GBK/GB18030. Every row is checked first; a file with any invalid
row imports nothing unless `skip_invalid`. Providers named but missing are created and admitted.
Idempotent on (provider, external_id): a changed row adds a new approved revision, an unchanged
one is left alone. Rows are written in bulk batches inside the caller's single transaction.
"""
import hashlib
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update

from marketplace.auth import credit_code
from marketplace.catalog.importer_providers import resolve_providers
from marketplace.catalog.listings import normalise_tags
from marketplace.catalog.models import Category, Listing, ListingPackage, ListingRevision, ListingStatus, \
    OutboxAction, RevisionState, SearchOutbox
from marketplace.catalog.outbox import outbox_rows
from marketplace.database import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.inputs import csv_rows
from marketplace.money import parse_yuan

HEADER = ["external_id", "provider", "category", "title", "description", "price_yuan", "voucher_eligible", "tags"]
TRUE = {"1", "true", "yes", "y", "是", "t"}
FALSE = {"0", "false", "no", "n", "否", "f", ""}
BATCH = 2000
PACKAGE_NAME = "标准服务"


@dataclass(frozen=True)
class RowError:
    line: int
    message: str
    params: dict = field(default_factory=dict)

    def __str__(self):
        return f"line {self.line}: " + (self.message % self.params if self.params else self.message)


@dataclass
class ImportRow:
    line: int
    external_id: str
    provider: str
    category_id: int
    title: str
    description: str
    price_fen: int | None
    voucher_eligible: bool
    tags: str
    provider_id: int | None = None

    def digest(self):
        parts = (self.category_id, self.title, self.description, self.price_fen, self.voucher_eligible, self.tags)
        return hashlib.sha1("\x1f".join(map(str, parts)).encode()).hexdigest()


@dataclass
class ImportReport:
    encoding: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    providers_created: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    imported: bool = False


class ImportRefused(DomainError):
    message = N_("The file cannot be imported.")


def decode(raw: bytes):
    """(text, encoding name). UTF-8 with or without BOM first, then GB18030 (a superset of GBK)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "UTF-8 (BOM)"
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), "GBK"
    except UnicodeDecodeError as error:
        raise ImportRefused(N_("The file is neither UTF-8 nor GBK text.")) from error


def read_rows(text, report):
    """Yield (line number, values) of data rows; header problems are reported as line 1."""
    reader = csv_rows(text, ImportRefused)
    header = next(reader, (1, None))[1]
    if header is None:
        report.errors.append(RowError(1, N_("The file is empty.")))
        return
    names = [name.strip().lower() for name in header]
    if names != HEADER:
        report.errors.append(RowError(1, N_("The first line must be the header %(header)s; found %(found)s."),
                                      {"header": ",".join(HEADER), "found": ",".join(header)[:200]}))
        return
    for line, values in reader:
        if any(value.strip() for value in values):
            yield line, values


def parse_flag(text):
    value = text.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValueError


def check_row(line, values, categories):
    """An ImportRow, or the list of RowErrors for this line."""
    if len(values) != len(HEADER):
        return [RowError(line, N_("%(found)d columns, expected %(expected)d."),
                         {"found": len(values), "expected": len(HEADER)})]
    external_id, provider, category, title, description, price, voucher, tags = (v.strip() for v in values)
    errors = []

    def problem(message, **params):
        errors.append(RowError(line, message, params))

    if not external_id or len(external_id) > 64:
        problem(N_("external_id must have 1 to 64 characters."))
    if not provider or len(provider) > 100:
        problem(N_("provider must have 1 to 100 characters."))
    if category.lower() not in categories:
        problem(N_("Unknown category: %(slug)s"), slug=category[:40])
    if not title or len(title) > 120:
        problem(N_("The title must have 1 to 120 characters."))
    if len(description) > 20000:
        problem(N_("The description is longer than 20,000 characters."))
    price_fen = check_price(price, problem)
    voucher_flag = check_flag(voucher, problem)
    tags = check_tags(tags, problem)
    if errors:
        return errors
    return ImportRow(line, external_id, provider, categories[category.lower()], title, description,
                     price_fen, voucher_flag, tags)


def check_price(price, problem):
    if not price:
        return None
    try:
        return parse_yuan(price)
    except DomainError:
        problem(N_("price_yuan must be a non-negative amount with at most two decimals: %(value)s"), value=price[:30])


def check_flag(voucher, problem):
    try:
        return parse_flag(voucher)
    except ValueError:
        problem(N_("voucher_eligible must be 1 or 0 (yes/no): %(value)s"), value=voucher[:30])


def check_tags(tags, problem):
    try:
        return normalise_tags(tags)
    except DomainError:
        problem(N_("At most 10 tags of up to 20 characters each."))


def check_file(text, report):
    categories = dict(db.session.execute(select(Category.slug, Category.id)).all())
    rows, seen = [], {}
    for line, values in read_rows(text, report):
        report.rows += 1
        row = check_row(line, values, categories)
        if isinstance(row, list):
            report.errors.extend(row)
            continue
        key = (row.provider, row.external_id)
        if key in seen:
            report.errors.append(RowError(line, N_("external_id %(id)s of %(provider)s already appears on line %(first)d."),
                                          {"id": row.external_id, "provider": row.provider, "first": seen[key]}))
            continue
        seen[key] = line
        rows.append(row)
    return rows


def import_listings(raw: bytes, actor=None, skip_invalid=False, progress=None):
    """Check and import a CSV file. Returns an ImportReport; `imported` is False when invalid rows
    stopped the import. Raises ImportRefused when the file is not text. Flushes; the caller commits."""
    report = ImportReport()
    text, report.encoding = decode(raw)
    rows = check_file(text, report)
    rows = resolve_providers(rows, report, actor)
    if report.errors and not skip_invalid:
        return report
    for start in range(0, len(rows), BATCH):
        write_batch(rows[start:start + BATCH], report)
        if progress:
            progress(len(rows[start:start + BATCH]))
    report.imported = True
    report.errors.sort(key=lambda error: error.line)
    return report


class NothingImported(Exception):
    """Invalid rows stopped the import (`report.errors` says which)."""

    def __init__(self, report):
        super().__init__(f"{len(report.errors)} invalid row(s): nothing imported")
        self.report = report


def import_all_or_nothing(raw: bytes, actor=None, skip_invalid=False, progress=None):
    """`import_listings` for a caller that commits through `run_in_transaction`: raises
    NothingImported when invalid rows stopped the import, so nothing of the file is kept
    (the providers it would have created included)."""
    report = import_listings(raw, actor=actor, skip_invalid=skip_invalid, progress=progress)
    if not report.imported:
        raise NothingImported(report)
    return report


def write_batch(rows, report):
    existing = existing_listings(rows)
    new = [row for row in rows if (row.provider_id, row.external_id) not in existing]
    changed = [row for row in rows if (row.provider_id, row.external_id) in existing
               and existing[(row.provider_id, row.external_id)][1] != row.digest()]
    report.unchanged += len(rows) - len(new) - len(changed)
    now = utcnow()
    new_ids = db.session.execute(insert(Listing).returning(Listing.id, sort_by_parameter_order=True), [
        {"provider_id": row.provider_id, "external_id": row.external_id, "status": ListingStatus.PUBLISHED,
         "created_at": now, "updated_at": now, "published_at": now} for row in new]).scalars().all() if new else []
    listing_ids = list(new_ids) + [existing[(row.provider_id, row.external_id)][0] for row in changed]
    publish(new + changed, listing_ids, now)
    if listing_ids:
        db.session.execute(insert(SearchOutbox), outbox_rows(new_ids, OutboxAction.CREATE)
                           + outbox_rows(listing_ids[len(new_ids):], OutboxAction.UPDATE))
    report.created += len(new)
    report.updated += len(changed)


def existing_listings(rows):
    """{(provider_id, external_id): (listing id, import digest)} for the rows' keys."""
    found = {}
    by_provider = {}
    for row in rows:
        by_provider.setdefault(row.provider_id, []).append(row.external_id)
    for provider_id, external_ids in by_provider.items():
        query = select(Listing.id, Listing.external_id, Listing.import_digest).where(
            Listing.provider_id == provider_id, Listing.external_id.in_(external_ids))
        found.update({(provider_id, ext): (listing_id, digest) for listing_id, ext, digest in db.session.execute(query)})
    return found


def publish(rows, listing_ids, now):
    """Add one approved revision (and its package) per row and make it the published one."""
    if not rows:
        return
    revision_ids = db.session.execute(insert(ListingRevision).returning(ListingRevision.id, sort_by_parameter_order=True), [
        {"listing_id": listing_id, "state": RevisionState.APPROVED, "title": row.title, "summary": summary(row.description),
         "description": row.description, "category_id": row.category_id, "tags": row.tags, "city": "", "service_area": "",
         "delivery_time": "", "voucher_eligible": row.voucher_eligible, "price_on_request": row.price_fen is None,
         "price_from_fen": row.price_fen, "created_at": now, "submitted_at": now, "decided_at": now}
        for row, listing_id in zip(rows, listing_ids)]).scalars().all()
    packages = [{"revision_id": revision_id, "position": 0, "name": PACKAGE_NAME, "price_fen": row.price_fen,
                 "includes": ""} for row, revision_id in zip(rows, revision_ids) if row.price_fen is not None]
    if packages:
        db.session.execute(insert(ListingPackage), packages)
    db.session.execute(update(Listing), [
        {"id": listing_id, "published_revision_id": revision_id, "import_digest": row.digest(), "updated_at": now,
         "status": ListingStatus.PUBLISHED}
        for row, listing_id, revision_id in zip(rows, listing_ids, revision_ids)])


def summary(description):
    first = next((line.strip(" #*>-") for line in description.splitlines() if line.strip()), "")
    return first[:140]


def provisional_credit_code(name):
    """A placeholder code for a provider created by import (authority code Y, 'other'), derived
    from the name so re-imports agree; admins replace it with the real one."""
    digest = int(hashlib.sha256(name.encode()).hexdigest(), 16)
    body = ""
    for _ in range(15):
        digest, index = divmod(digest, len(credit_code.ALPHABET))
        body += credit_code.ALPHABET[index]
    return credit_code.complete("Y9" + body)
