"""Every "open the file" link opens the file itself (issue 15): delivery reports, redemption
evidence, qualification files, message attachments and full-size listing images — thumbnails
only where a thumbnail is meant. (The links once pointed at /thumb, a 404 for every PDF.)"""
import re

from marketplace.extensions import db
from marketplace.orders import services as orders
from tests.redemption.conftest import claim, complete_order, evidence, program  # noqa: F401
from tests.orders.conftest import buyer, funded_buyer, listing, make_listing, make_provider, seller  # noqa: F401

LINK = re.compile(r'href="(/files/[0-9a-f]{32}[^"]*)"[^>]*>\s*([^<]*)')


def opened(client, page_url, text):
    """GET the page, follow the link whose text contains `text`, return that response."""
    page = client.get(page_url).get_data(as_text=True)
    hrefs = [href for href, label in LINK.findall(page) if text in label]
    assert hrefs, f"no file link with {text!r} on {page_url}"
    assert not any(href.endswith("/thumb") for href in hrefs)
    return client.get(hrefs[0])


def test_the_delivery_report_and_a_message_attachment_open(complete_order, buyer, client, auth):
    from marketplace.catalog import uploads
    from tests.catalog.conftest import PDF

    order = complete_order()
    note = uploads.store_document(buyer.organisation, uploads.Upload("补充材料.pdf", PDF), "order")
    orders.post_message(order, buyer, "附件见此", note)
    db.session.commit()
    auth.login(buyer)
    report = opened(client, f"/orders/{order.number}", "打开交付报告")
    assert report.status_code == 200 and report.mimetype == "application/pdf" and report.data.startswith(b"%PDF")
    attachment = opened(client, f"/orders/{order.number}", "补充材料.pdf")
    assert attachment.status_code == 200 and attachment.data.startswith(b"%PDF")


def test_redemption_evidence_opens_for_the_operator(complete_order, seller, program, admin, client, auth):
    from marketplace.redemption import services as redemption

    order = complete_order()
    request = redemption.submit(seller, program.id, [claim(order, program)], [evidence("合同.pdf")])
    db.session.commit()
    auth.login(admin)
    response = opened(client, f"/admin/redemptions/{request.id}", "合同.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_a_qualification_file_opens_on_the_admission_page(make_provider, admin, client, auth):
    from marketplace.catalog import uploads
    from marketplace.catalog.models import ProviderProfile
    from tests.catalog.conftest import PDF

    provider = make_provider()
    profile = db.session.scalar(db.select(ProviderProfile).where(ProviderProfile.organisation_id == provider.organisation_id))
    profile.qualifications[0].file = uploads.store_document(provider.organisation, uploads.Upload("CNAS证书.pdf", PDF),
                                                            "qualification")
    db.session.commit()
    auth.login(admin)
    response = opened(client, f"/admin/catalog/providers/{profile.id}", "CNAS证书.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_a_listing_image_links_to_the_full_size_image(seller, make_listing, client):
    from marketplace.catalog import listings, uploads
    from tests.catalog.conftest import png_bytes

    item = make_listing(seller)
    listings.add_image(seller, item.id, uploads.Upload("cover.png", png_bytes((1200, 900))))
    from marketplace.catalog import moderation
    from marketplace.auth.models import User

    listings.submit_listing(seller, item.id)
    moderation.approve_revision(db.session.scalar(db.select(User).where(User.role == "admin")), item.working_revision_id)
    db.session.commit()
    page = client.get(f"/listings/{item.id}").get_data(as_text=True)
    full, webp, jpeg = re.search(r'<a href="(/files/[0-9a-f]{32})"[^>]*><picture[^>]*><source type="image/webp" '
                                 r'srcset="(/files/[0-9a-f]{32}/\d+\.webp) [^"]*"[^>]*><img src="(/files/[0-9a-f]{32}/\d+\.jpg)"',
                                 page).groups()
    assert client.get(full).mimetype in ("image/png", "image/jpeg", "image/webp")
    assert client.get(webp).mimetype == "image/webp" and client.get(jpeg).mimetype == "image/jpeg"
