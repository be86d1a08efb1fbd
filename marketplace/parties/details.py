"""Operators correct an organisation's details: legal representative, city, contact, registered
address — and the credit code, but only while it is the placeholder a catalogue import gave."""
from dataclasses import dataclass

from sqlalchemy import select

from marketplace.audit.services import record
from marketplace.auth import credit_code
from marketplace.auth.models import Organisation
from marketplace.auth.services import flush_unique, get_organisation, require_operator
from marketplace.errors import Duplicate, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import N_

EDITABLE = ("legal_representative", "city", "contact_name", "contact_phone", "contact_email", "registered_address")


@dataclass(frozen=True)
class Details:
    legal_representative: str
    city: str
    contact_name: str
    contact_phone: str
    contact_email: str
    registered_address: str
    credit_code: str | None = None  # only for a provisional code; None keeps it


def edit_details(actor, organisation_id, details: Details):
    """Apply the operator's corrections; an audit entry names only the fields that changed (none:
    no entry). Raises PermissionDenied, NotFound, ValidationFailed, Duplicate."""
    require_operator(actor)
    organisation = get_organisation(organisation_id)
    changes = {name: (details_value(details, name)) for name in EDITABLE}
    code = new_credit_code(organisation, details.credit_code)
    if code is not None:
        changes["credit_code"] = code
    before = {name: getattr(organisation, name) for name, value in changes.items() if getattr(organisation, name) != value}
    if not before:
        return organisation
    after = {name: changes[name] for name in before}
    for name, value in after.items():
        setattr(organisation, name, value)
    if "credit_code" in after:
        organisation.credit_code_provisional = False
    flush_unique()
    record(actor, "organisation.details", organisation, before=before, after=after)
    return organisation


def details_value(details, name):
    return (getattr(details, name) or "").strip()


def new_credit_code(organisation, entered):
    """The real code replacing a provisional one (checked, unique), or None when nothing changes."""
    code = credit_code.normalise(entered or "")
    if not code or code == organisation.credit_code:
        return None
    if not organisation.credit_code_provisional:
        raise ValidationFailed(N_("The credit code can only be changed while it is a provisional code from a "
                                  "catalogue import."), field="credit_code")
    if credit_code.problem(code):
        raise ValidationFailed(credit_code.problem(code), field="credit_code")
    if db.session.scalar(select(Organisation.id).where(Organisation.credit_code == code)):
        raise Duplicate(N_("An organisation with this credit code is already registered."), field="credit_code")
    return code
