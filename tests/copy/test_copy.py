"""Words on pages say what is true for the reader: fixes found by reading the product as users do."""
from marketplace.extensions import db
from marketplace.orders import services as orders
from marketplace.database import utcnow
from marketplace.vouchers import wallet
from tests.orders.conftest import buyer, funded_buyer, listing, make_listing, make_provider, package_of, seller  # noqa: F401


def place(buyer, listing):
    order = orders.place_order(buyer, orders.offer_for(listing.id, package_of(listing).id), "copy-1")
    db.session.commit()
    return order


def test_a_voucher_with_only_a_hold_is_not_partly_used(funded_buyer, listing):
    buyer, _program, voucher = funded_buyer
    place(buyer, listing)
    [row] = wallet.wallet(buyer.organisation_id, utcnow())
    assert row.held > 0 and row.used == 0 and row.status == "active"


def test_one_day_is_singular(app):
    from marketplace.templating import days_text

    with app.test_request_context(headers={"Cookie": "lang=en"}), app.app_context():
        import flask_babel

        with flask_babel.force_locale("en"):
            assert days_text(1) == "1 day" and days_text(3) == "3 days"
        with flask_babel.force_locale("zh_Hans_CN"):
            assert days_text(1) == "1 天"


def test_the_home_page_promises_the_highest_open_ratio(client, make_program):
    assert "35%" not in client.get("/").get_data(as_text=True)  # nothing open: no promise
    make_program(ratio_bp=4000, category_ratios={"testing": 5000})
    page = client.get("/").get_data(as_text=True)
    assert "50%" in page and "35%" not in page


def test_program_cards_show_category_ratios_and_who_may_apply(client, auth, buyer, make_program):
    make_program(ratio_bp=4000, category_ratios={"testing": 5000}, required_flags=["sme"])
    auth.login(buyer)
    page = client.get("/vouchers/programs").get_data(as_text=True)
    assert "40%" in page and "50%" in page
    assert "科技型中小企业" in page


def test_the_provider_is_spoken_to_on_its_own_order_page(client, auth, funded_buyer, listing, seller, pay_order):
    buyer = funded_buyer[0]
    order = pay_order(place(buyer, listing))
    auth.login(seller)
    mine = client.get(f"/orders/{order.number}").get_data(as_text=True)
    assert "请在" in mine and "接受或拒绝订单" in mine and "服务机构将于" not in mine
    auth.logout()
    auth.login(buyer)
    theirs = client.get(f"/orders/{order.number}").get_data(as_text=True)
    assert "请在" not in theirs.split('data-testid="next-step"')[1].split("</section>")[0]


def test_a_refused_attachment_does_not_speak_of_certificates(app):
    from marketplace.catalog import uploads
    from marketplace.errors import ValidationFailed

    class Org:
        id = 1

    for purpose, mentions_certificate in (("order", False), ("qualification", True)):
        try:
            uploads.store_document(Org(), uploads.Upload("x.txt", b"not a document"), purpose)
        except ValidationFailed as error:
            assert ("certificate" in error.message) is mentions_certificate
        else:
            raise AssertionError("a text file was stored")


def test_the_program_form_choices_are_in_the_users_language(client, auth, admin):
    auth.login(admin)
    page = client.get("/admin/programs/new").get_data(as_text=True)
    for chinese in ("知识产权", "国家高新技术企业", "审核制", "验收报告"):
        assert chinese in page
    for english in ("Intellectual property", "National high-tech enterprise", "Reviewed: an operator"):
        assert english not in page
    client.get("/auth/language/en")
    assert "Intellectual property" in client.get("/admin/programs/new").get_data(as_text=True)
