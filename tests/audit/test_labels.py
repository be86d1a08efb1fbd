"""Admin pages speak the reader's language (issue 15): transfer kinds, account codes, audit actions,
the fields they changed and the memos our code writes appear as words, never as raw codes."""
import re

from marketplace.extensions import db
from marketplace.ledger.models import Account, ChainLink
from tests.redemption.conftest import complete_order, program  # noqa: F401
from tests.orders.conftest import buyer, funded_buyer, listing, make_listing, make_provider, seller  # noqa: F401

RAW = re.compile(r"program:[A-Z0-9]+:|voucher:[A-Z0-9-]+|cash:(payable|stripe_clearing)|application\.approved|"
                 r"program\.(open|create)|budget_fen|\b(fund|issue|hold|post)\b</")


def visible(html):
    """The page's text, without attribute values (codes may stay in a title for hovering)."""
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]*>", "<", text)


def test_ledger_pages_name_accounts_kinds_and_memos(complete_order, admin, client, auth):
    order = complete_order()
    auth.login(admin)
    receivable = db.session.scalar(db.select(Account).where(Account.kind == "provider_receivable"))
    last = db.session.scalar(db.select(ChainLink.sequence).order_by(ChainLink.sequence.desc()))
    for url in ("/admin/ledger", "/admin/audit", f"/admin/ledger/accounts/{receivable.id}",
                f"/admin/ledger/transfers/{last}"):
        page = client.get(url).get_data(as_text=True)
        assert not RAW.search(visible(page)), (url, RAW.search(visible(page)).group(0))
    ledger_page = client.get("/admin/ledger").get_data(as_text=True)
    assert "预算" in ledger_page and "应收" in ledger_page and order.provider.legal_name in ledger_page
    assert "已拨入" in ledger_page or "预算拨付" in ledger_page
    audit_page = client.get("/admin/audit").get_data(as_text=True)
    assert "开放项目" in audit_page or "项目已开放" in audit_page
