import io

from sqlalchemy import select

from marketplace.audit.models import AuditEntry
from marketplace.extensions import db
from marketplace.parties import services as parties
from marketplace.parties.models import Affiliation
from tests.catalog.conftest import PDF


def record_via_form(client, first, second, **extra):
    data = {"organisation_a": first.credit_code, "organisation_b": second.legal_name, "kind": "group",
            "reason": "同一集团", **extra}
    return client.post("/admin/parties/new", data=data, content_type="multipart/form-data")


def test_record_view_and_end_through_the_pages(client, auth, operator, buyer, seller):
    auth.login(operator)
    response = record_via_form(client, buyer.organisation, seller.organisation,
                               evidence=(io.BytesIO(PDF), "股权.pdf"))
    assert response.status_code == 302
    affiliation = db.session.scalar(select(Affiliation))
    page = client.get(f"/admin/parties/{affiliation.id}").get_data(as_text=True)
    assert "同一集团" in page and "股权.pdf" in page and seller.organisation.legal_name in page
    listing = client.get("/admin/parties/").get_data(as_text=True)
    assert buyer.organisation.legal_name in listing
    assert client.get("/admin/parties/?status=ended").get_data(as_text=True).count('data-testid="affiliations"') == 0
    # ending needs the confirmation box
    response = client.post(f"/admin/parties/{affiliation.id}/end", data={"reason": "已转让"})
    assert response.status_code == 422 and affiliation.is_active
    response = client.post(f"/admin/parties/{affiliation.id}/end", data={"reason": "已转让", "confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert not db.session.get(Affiliation, affiliation.id).is_active
    assert buyer.organisation.legal_name in client.get("/admin/parties/?status=ended").get_data(as_text=True)


def test_bad_input_lands_on_the_form(client, auth, operator, buyer, seller):
    auth.login(operator)
    response = client.post("/admin/parties/new", data={"organisation_a": "不存在的公司", "organisation_b": seller.organisation.credit_code,
                                                       "kind": "group", "reason": "x"})
    assert response.status_code == 422 and 'id="organisation_a-error"' in response.get_data(as_text=True)
    assert "没有机构使用此信用代码或名称" in response.get_data(as_text=True)  # the user's language (zh by default)
    parties.record_affiliation(operator, buyer.organisation_id, seller.organisation_id, "group", "一")
    db.session.commit()
    response = record_via_form(client, buyer.organisation, seller.organisation)
    assert response.status_code == 422
    assert client.get("/admin/parties/999").status_code == 404
    assert client.get("/admin/parties/?status=bogus").status_code == 404


def test_empty_state_and_search(client, auth, operator):
    auth.login(operator)
    page = client.get("/admin/parties/?q=无此公司").get_data(as_text=True)
    assert 'class="empty-state"' in page


def test_details_edit_page(client, auth, operator, seller):
    auth.login(operator)
    org = seller.organisation
    form = {"legal_representative": "赵六", "city": org.city, "contact_name": org.contact_name,
            "contact_phone": org.contact_phone, "contact_email": "", "registered_address": "厦门市思明区软件园二期"}
    response = client.post(f"/admin/organisations/{org.id}/details", data=form)
    assert response.status_code == 302
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "organisation.details"))
    assert set(entry.after) == {"legal_representative", "registered_address"}
    log = client.get("/admin/audit").get_data(as_text=True)
    assert "机构信息已更正" in log and "注册地址" in log  # the action and the field as words
    bad = client.post(f"/admin/organisations/{org.id}/details", data={**form, "contact_email": "not-an-email"})
    assert bad.status_code == 422
    assert client.get(f"/admin/organisations/{org.id}").status_code == 200


def test_auditor_reads_but_cannot_write(client, auth, auditor, buyer, seller, operator):
    affiliation = parties.record_affiliation(operator, buyer.organisation_id, seller.organisation_id, "group", "一")
    db.session.commit()
    auth.login(auditor)
    assert client.get(f"/admin/parties/{affiliation.id}").status_code == 200
    assert "End this affiliation" not in client.get(f"/admin/parties/{affiliation.id}").get_data(as_text=True)
    assert client.post(f"/admin/parties/{affiliation.id}/end", data={"reason": "x", "confirm": "y"}).status_code == 403
    assert record_via_form(client, buyer.organisation, seller.organisation).status_code == 403


def test_exception_pages(client, auth, operator, buyer, seller):
    parties.record_affiliation(operator, buyer.organisation_id, seller.organisation_id, "group", "一")
    db.session.commit()
    auth.login(operator)
    response = client.post("/admin/parties/exceptions/new", data={
        "enterprise": buyer.organisation.credit_code, "provider": seller.organisation.credit_code, "reason": "书面同意"})
    assert response.status_code == 302
    page = client.get("/admin/parties/exceptions").get_data(as_text=True)
    assert "书面同意" in page
    response = client.post("/admin/parties/exceptions/new", data={
        "enterprise": seller.organisation.credit_code, "provider": buyer.organisation.credit_code, "reason": "反了"})
    assert response.status_code == 422
