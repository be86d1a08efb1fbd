import pytest

from marketplace.audit import anomalies
from marketplace.extensions import db
from marketplace.parties.contacts import address_key, email_domain_key, phone_key


@pytest.mark.parametrize("first, second", [
    ("0592-5555555", "+86 592 5555555"), ("0592-5555555", "0086-592-5555555"), ("138 0000 1234", "+86 13800001234"),
    ("０５９２－５５５５５５５", "0592 5555555"), ("(0592) 555-5555", "05925555555")])
def test_phones_agree_however_written(first, second):
    assert phone_key(first) == phone_key(second) is not None


def test_different_or_blank_phones_do_not():
    assert phone_key("0592-5555555") != phone_key("0592-5555556")
    assert phone_key("") is None and phone_key("123") is None


@pytest.mark.parametrize("email", ["a@qq.com", "b@163.com", "c@126.com", "d@GMAIL.com", "e@outlook.com",
                                   "f@hotmail.com", "g@sina.com", "h@foxmail.com", "", "no-at-sign"])
def test_public_mail_domains_and_blanks_say_nothing(email):
    assert email_domain_key(email) is None


def test_company_domains_compare_case_insensitively():
    assert email_domain_key("Sales@HaiCang-Tech.cn") == email_domain_key("boss@haicang-tech.cn ") == "haicang-tech.cn"


def test_addresses_compare_without_spaces_or_punctuation():
    assert address_key("厦门市思明区软件园二期 观日路 24 号") == address_key("厦门市思明区软件园二期，观日路24号。")
    assert address_key("厦门市思明区软件园二期观日路24号") != address_key("厦门市思明区软件园二期观日路26号")
    assert address_key("  ") is None


def flagged(rule):
    return [flag for flag, _ in anomalies.flags() if flag.rule == rule]


def test_flags_only_for_pairs_that_trade(complete_order, buyer, seller, make_org):
    stranger = make_org(kind="provider", contact_phone="+86 592 1234567", contact_email="x@shared-co.cn",
                        registered_address="厦门市湖里区 创新路 1 号")
    enterprise, provider = buyer.organisation, seller.organisation
    enterprise.contact_phone, enterprise.contact_email = "0592-1234567", "a@shared-co.cn"
    enterprise.registered_address = "厦门市湖里区创新路1号"
    db.session.commit()
    assert flagged("shared_phone") == [] and flagged("shared_email_domain") == []  # no orders with the stranger
    order = complete_order()
    assert flagged("shared_phone") == []
    provider.contact_phone, provider.contact_email = "0086 592 1234567", "b@Shared-Co.cn"
    provider.registered_address = "厦门市湖里区，创新路 1 号"
    db.session.commit()
    for rule in ("shared_phone", "shared_email_domain", "shared_address"):
        (flag,) = flagged(rule)
        assert flag.order_number == order.number and flag.key == f"pair:{enterprise.id}:{provider.id}"
    assert stranger.id not in {int(f.key.split(":")[2]) for f in flagged("shared_phone")}


def test_public_mail_is_no_flag(complete_order, buyer, seller):
    complete_order()
    buyer.organisation.contact_email, seller.organisation.contact_email = "a@qq.com", "b@qq.com"
    db.session.commit()
    assert flagged("shared_email_domain") == []


def test_registration_stores_the_contact_email_and_address(client):
    from sqlalchemy import select

    from marketplace.auth.models import Organisation

    response = client.post("/auth/register", data={
        "kind": "enterprise", "legal_name": "厦门测试注册有限公司", "credit_code": "91330100716105852F",
        "legal_representative": "张三", "city": "厦门", "contact_phone": "0592-1111111", "name": "张三",
        "email": "Zhang@Example-Co.cn", "password": "a-long-pass-1", "confirm": "a-long-pass-1",
        "registered_address": "厦门市思明区软件园二期观日路24号"})
    assert response.status_code == 302
    organisation = db.session.scalar(select(Organisation).where(Organisation.credit_code == "91330100716105852F"))
    assert organisation.contact_email == "zhang@example-co.cn"
    assert organisation.registered_address == "厦门市思明区软件园二期观日路24号"
