import pytest
from sqlalchemy import select

from marketplace.audit.models import AuditEntry
from marketplace.errors import Duplicate, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.parties.details import Details, edit_details

REAL_CODE = "91330100716105852F"


def details_of(org, **changes):
    values = {name: getattr(org, name) for name in ("legal_representative", "city", "contact_name", "contact_phone",
                                                    "contact_email", "registered_address")}
    return Details(**{**values, **changes})


@pytest.fixture
def imported(app, operator):
    from marketplace.catalog.importer_providers import create_provider

    organisation = create_provider("厦门导入检测中心", operator)
    db.session.commit()
    return organisation


def audits():
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == "organisation.details")).all()


def test_only_changed_fields_are_audited(operator, seller):
    org = seller.organisation
    edit_details(operator, org.id, details_of(org, legal_representative="赵六", city="泉州"))
    db.session.commit()
    (entry,) = audits()
    assert entry.before == {"legal_representative": org.legal_representative and entry.before["legal_representative"],
                            "city": "厦门"}
    assert entry.after == {"legal_representative": "赵六", "city": "泉州"}
    assert org.legal_representative == "赵六"


def test_no_change_no_audit_entry(operator, seller):
    org = seller.organisation
    edit_details(operator, org.id, details_of(org))
    db.session.commit()
    assert audits() == []


def test_imported_provider_gets_its_real_code(operator, imported):
    assert imported.credit_code_provisional and imported.credit_code.startswith("Y9")
    edit_details(operator, imported.id, details_of(imported, credit_code=REAL_CODE.lower(), legal_representative="钱七"))
    db.session.commit()
    assert imported.credit_code == REAL_CODE and not imported.credit_code_provisional
    (entry,) = audits()
    assert entry.after == {"credit_code": REAL_CODE, "legal_representative": "钱七"}
    with pytest.raises(ValidationFailed):  # now real: no more changes
        edit_details(operator, imported.id, details_of(imported, credit_code="9144030071526726XG"))


def test_a_registered_code_cannot_be_changed(operator, seller):
    with pytest.raises(ValidationFailed):
        edit_details(operator, seller.organisation_id, details_of(seller.organisation, credit_code=REAL_CODE))


def test_credit_code_is_checked_and_unique(operator, imported, buyer):
    with pytest.raises(ValidationFailed):
        edit_details(operator, imported.id, details_of(imported, credit_code="91330100716105852A"))
    with pytest.raises(Duplicate):
        edit_details(operator, imported.id, details_of(imported, credit_code=buyer.organisation.credit_code))


def test_only_operators_edit(auditor, seller):
    with pytest.raises(PermissionDenied):
        edit_details(auditor, seller.organisation_id, details_of(seller.organisation, city="泉州"))
    with pytest.raises(PermissionDenied):
        edit_details(seller, seller.organisation_id, details_of(seller.organisation, city="泉州"))
