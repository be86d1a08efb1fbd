"""Invoices (发票) quoted in a redemption claim: the format of the code and number, the amount,
and one live claim per invoice and provider.

* 数电发票 (fully digitised e-invoice, from 2021): a 20-digit number and no code; its first two
  digits are the year it was issued (21 … this year).
* Older invoices (增值税专用/普通发票, paper or electronic): a 10- or 12-digit invoice code and an
  8-digit invoice number.
Spaces, hyphens and full-width digits are folded before checking (“０１２-３４５” → 012345).
The amount must equal the voucher share claimed for the order; the same invoice can back one live
claim of a provider only (also a database constraint on `live_invoice`)."""
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select

from marketplace.errors import Duplicate, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.money import format_fen

DIGITAL_NUMBER = re.compile(r"[0-9]{20}")
OLD_CODE = re.compile(r"[0-9]{10}|[0-9]{12}")
OLD_NUMBER = re.compile(r"[0-9]{8}")
FIRST_DIGITAL_YEAR = 21
FOLD_OUT = str.maketrans("", "", " \t-‐‑‒–—―−")
FORMAT_HELP = N_("数电发票 (fully digitised e-invoice): leave the code empty and enter the 20-digit invoice number. "
                 "Older invoices: the 10- or 12-digit invoice code and the 8-digit invoice number. Spaces and "
                 "hyphens are ignored. The amount is the voucher share claimed for the order.")


class InvoiceInvalid(ValidationFailed):
    message = N_("Order %(number)s: the invoice is not valid. %(problem)s")


class InvoiceUsed(Duplicate):
    message = N_("Order %(number)s: invoice %(invoice)s already backs another of your claims.")


@dataclass(frozen=True)
class Invoice:
    code: str  # "" for a 数电发票
    number: str
    amount_fen: int

    @property
    def is_digital(self):
        return not self.code

    @property
    def key(self):
        """What `live_invoice` stores: one value per invoice whichever way it was typed."""
        return self.number if self.is_digital else f"{self.code}-{self.number}"

    @property
    def display(self):
        return self.number if self.is_digital else f"{self.code} {self.number}"


def fold(text):
    """Full-width characters to ASCII, spaces and hyphens dropped."""
    return unicodedata.normalize("NFKC", text or "").translate(FOLD_OUT)


def format_problem(code, number, year):
    """None if code and number are a well-formed invoice issued by `year`, else an English msgid."""
    if not code:
        if not DIGITAL_NUMBER.fullmatch(number):
            return N_("A 数电发票 number has 20 digits (an older invoice also needs its 10- or 12-digit code).")
        if not FIRST_DIGITAL_YEAR <= int(number[:2]) <= year % 100:
            return N_("A 数电发票 number starts with the two digits of the year it was issued (21 to this year).")
        return None
    if not OLD_CODE.fullmatch(code):
        return N_("An invoice code has 10 or 12 digits (leave it empty for a 数电发票).")
    if not OLD_NUMBER.fullmatch(number):
        return N_("With an invoice code, the invoice number has 8 digits.")
    return None


def parse(order_number, code, number, amount_fen, expected_fen, year):
    """The checked Invoice for one claimed order. Raises InvoiceInvalid naming the order and the
    problem (format, year, or an amount other than the voucher share `expected_fen`)."""
    code, number = fold(code), fold(number)
    if not number:
        raise InvoiceInvalid(number=order_number,
                             problem=N_("Enter the invoice number."), field="orders")
    problem = format_problem(code, number, year)
    if problem is None and amount_fen is None:
        problem = N_("Enter the invoice amount.")
    if problem is None and amount_fen != expected_fen:
        raise InvoiceInvalid(N_("Order %(number)s: the invoice amount %(amount)s must equal the voucher share "
                                "claimed, %(share)s."), field="orders", number=order_number,
                             amount=format_fen(amount_fen), share=format_fen(expected_fen))
    if problem:
        raise InvoiceInvalid(number=order_number, problem=problem, field="orders")
    return Invoice(code, number, amount_fen)


def check_unused(provider_id, invoice, order_number, except_item_id=None):
    """Refuse an invoice that already backs a live claim of this provider (the database refuses
    it too: UNIQUE(provider_id, live_invoice)). Raises InvoiceUsed."""
    from marketplace.redemption.models import RedemptionItem

    query = select(RedemptionItem.id).where(RedemptionItem.provider_id == provider_id,
                                            RedemptionItem.live_invoice == invoice.key)
    if except_item_id is not None:
        query = query.where(RedemptionItem.id != except_item_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise InvoiceUsed(number=order_number, invoice=invoice.display, field="orders")


def sample_number(serial, year):
    """A well-formed 数电发票 number for demo data and the simulation: the year, then `serial`."""
    return f"{year % 100:02d}{serial:018d}"
