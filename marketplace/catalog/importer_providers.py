"""Providers named in an import file: found by legal name (or credit code), else created approved
and admitted, flagged `created_by_import` so an admin completes their details."""
from sqlalchemy import or_, select

from marketplace.auth import credit_code
from marketplace.auth.models import Organisation, OrgKind, OrgStatus
from marketplace.catalog.models import AdmissionEvent, AdmissionStatus, ProviderProfile
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.i18n import N_


def resolve_providers(rows, report, actor):
    """Set `provider_id` on each row; rows naming an unusable organisation become errors."""
    from marketplace.catalog.importer import RowError

    names = sorted({row.provider for row in rows})
    known = find_organisations(names)
    status_of = dict(db.session.execute(select(ProviderProfile.organisation_id, ProviderProfile.status)).all()) \
        if known else {}
    usable = []
    for row in rows:
        organisation = known.get(row.provider)
        if organisation is None:
            organisation = known[row.provider] = create_provider(row.provider, actor)
            report.providers_created.append(row.provider)
            status_of[organisation.id] = AdmissionStatus.ADMITTED
        problem = provider_problem(organisation, status_of.get(organisation.id))
        if problem:
            report.errors.append(RowError(row.line, problem, {"provider": row.provider}))
            continue
        row.provider_id = organisation.id
        usable.append(row)
    return usable


def provider_problem(organisation, admission_status):
    if organisation.kind != OrgKind.PROVIDER:
        return N_("%(provider)s is registered as an enterprise, not a service provider.")
    if admission_status != AdmissionStatus.ADMITTED:
        return N_("%(provider)s is not admitted to the provider register; decide its admission first.")
    return None


def find_organisations(names):
    """{name in the file: Organisation}, matching legal names and, for valid codes, credit codes."""
    codes = [credit_code.normalise(name) for name in names if credit_code.is_valid(name)]
    found = {}
    for start in range(0, len(names), 500):
        chunk = names[start:start + 500]
        query = select(Organisation).where(or_(Organisation.legal_name.in_(chunk), Organisation.credit_code.in_(codes)))
        for organisation in db.session.scalars(query):
            found.setdefault(organisation.legal_name, organisation)
            found.setdefault(organisation.credit_code, organisation)
    return {name: found[key] for name in names for key in (name, credit_code.normalise(name)) if key in found}


def create_provider(name, actor):
    from marketplace.catalog.importer import provisional_credit_code

    organisation = Organisation(kind=OrgKind.PROVIDER, status=OrgStatus.APPROVED, legal_name=name,
                                credit_code=provisional_credit_code(name), credit_code_provisional=True, legal_representative="", city="",
                                contact_name="", contact_phone="", reviewed_at=utcnow())
    profile = ProviderProfile(organisation=organisation, status=AdmissionStatus.ADMITTED, created_by_import=True,
                              admitted_at=utcnow(), description="")
    db.session.add_all([organisation, profile, AdmissionEvent(profile=profile, actor_id=actor.id if actor else None,
                                                              action="imported")])
    db.session.flush()
    return organisation
