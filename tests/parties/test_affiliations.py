import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.audit.models import AuditEntry
from marketplace.catalog.uploads import Upload
from marketplace.errors import PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.orders import services as orders
from marketplace.parties import services as parties
from marketplace.parties.models import Affiliation
from tests.catalog.conftest import PDF
from tests.orders.conftest import package_of


def quote(buyer, listing):
    return orders.quote(buyer, orders.offer_for(listing.id, package_of(listing).id))


def test_recording_an_affiliation_blocks_vouchers_and_tells_both(operator, funded_buyer, seller, listing):
    buyer = funded_buyer[0]
    assert quote(buyer, listing).voucher > 0
    affiliation = parties.record_affiliation(operator, seller.organisation_id, buyer.organisation_id, "group",
                                             "同一集团下属公司", Upload("股权结构.pdf", PDF))
    db.session.commit()
    assert (affiliation.organisation_a_id, affiliation.organisation_b_id) == tuple(
        sorted((buyer.organisation_id, seller.organisation_id)))
    assert affiliation.evidence_file.purpose == "affiliation" and affiliation.evidence_file.content_type == "application/pdf"
    split = quote(buyer, listing)
    assert split.voucher == 0 and "related parties" in split.reasons[0][0]
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "affiliation")))
    assert told == {buyer.id, seller.id}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "affiliation.record"))
    assert entry.reason == "同一集团下属公司" and entry.after["kind"] == "group"


def test_ending_needs_a_reason_and_allows_vouchers_again(operator, funded_buyer, seller, listing):
    buyer = funded_buyer[0]
    affiliation = parties.record_affiliation(operator, buyer.organisation_id, seller.organisation_id, "shareholding", "参股")
    db.session.commit()
    with pytest.raises(ValidationFailed):
        parties.end_affiliation(operator, affiliation.id, "  ")
    parties.end_affiliation(operator, affiliation.id, "股权已转让")
    db.session.commit()
    assert affiliation.ended_by_id == operator.id and affiliation.end_reason == "股权已转让"
    assert quote(buyer, listing).voucher > 0
    with pytest.raises(parties.AffiliationEnded):
        parties.end_affiliation(operator, affiliation.id, "again")
    # once ended, the pair may be recorded again; the ended one stays on record
    parties.record_affiliation(operator, buyer.organisation_id, seller.organisation_id, "other", "重新发现关联")
    db.session.commit()
    assert len(db.session.scalars(select(Affiliation)).all()) == 2
    assert db.session.scalar(select(AuditEntry.reason).where(AuditEntry.action == "affiliation.end")) == "股权已转让"


def test_one_active_affiliation_per_pair(operator, buyer, seller):
    parties.record_affiliation(operator, buyer.organisation_id, seller.organisation_id, "group", "一")
    db.session.commit()
    with pytest.raises(parties.AlreadyAffiliated):
        parties.record_affiliation(operator, seller.organisation_id, buyer.organisation_id, "group", "二")
    db.session.rollback()
    low, high = sorted((buyer.organisation_id, seller.organisation_id))
    db.session.add(Affiliation(organisation_a_id=low, organisation_b_id=high, reason="绕过检查"))
    with pytest.raises(IntegrityError):  # the database refuses it too
        db.session.flush()
    db.session.rollback()


def test_only_operators_record(auditor, buyer, seller):
    with pytest.raises(PermissionDenied):
        parties.record_affiliation(auditor, buyer.organisation_id, seller.organisation_id, "group", "x")
    with pytest.raises(PermissionDenied):
        parties.record_affiliation(buyer, buyer.organisation_id, seller.organisation_id, "group", "x")


def test_bad_input(operator, buyer, seller):
    with pytest.raises(ValidationFailed):
        parties.record_affiliation(operator, buyer.organisation_id, buyer.organisation_id, "group", "x")
    with pytest.raises(ValidationFailed):
        parties.record_affiliation(operator, buyer.organisation_id, seller.organisation_id, "cousins", "x")
    with pytest.raises(ValidationFailed):
        parties.record_affiliation(operator, buyer.organisation_id, seller.organisation_id, "group", "")
    with pytest.raises(ValidationFailed):
        parties.record_affiliation(operator, buyer.organisation_id, seller.organisation_id, "group", "x",
                                   Upload("x.exe", b"MZ not a document"))


def test_blank_legal_representatives_relate_nobody(funded_buyer, seller, listing):
    buyer = funded_buyer[0]
    buyer.organisation.legal_representative = " "
    seller.organisation.legal_representative = ""
    db.session.commit()
    assert not parties.related_parties(buyer.organisation, seller.organisation)
    assert quote(buyer, listing).voucher > 0
    seller.organisation.legal_representative = buyer.organisation.legal_representative = "王五"
    db.session.commit()
    assert parties.related_parties(buyer.organisation, seller.organisation)


def test_blank_representatives_are_no_anomaly(complete_order, buyer, seller):
    from marketplace.audit import anomalies

    complete_order()
    buyer.organisation.legal_representative = seller.organisation.legal_representative = ""
    db.session.commit()
    assert [f for f, _ in anomalies.flags() if f.rule == "related_party_order"] == []


def test_search(operator, buyer, seller, make_org):
    other = make_org(kind="provider", legal_name="厦门另一家检测有限公司")
    parties.record_affiliation(operator, buyer.organisation_id, seller.organisation_id, "group", "一")
    ended = parties.record_affiliation(operator, buyer.organisation_id, other.id, "group", "二")
    parties.end_affiliation(operator, ended.id, "结束")
    db.session.commit()
    found = lambda status, text="": db.session.scalars(parties.search(status, text)).all()  # noqa: E731
    assert len(found("active")) == 1 and found("ended") == [ended] and len(found("all")) == 2
    assert found("all", "另一家") == [ended] and found("all", other.credit_code) == [ended]
    assert found("all", "不存在") == []
