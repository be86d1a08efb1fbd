from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField

from marketplace.forms import Form, length, required, strip


class EvidenceFields:
    """Three evidence slots; invoice numbers come per order as `invoice-<order id>` fields."""

    contract = FileField(_l("Contract (PDF or image)"))
    invoice = FileField(_l("Invoice (PDF or image)"))
    acceptance = FileField(_l("Acceptance report (PDF or image)"))
    note = TextAreaField(_l("Note to the reviewers (optional)"), filters=[strip], validators=[length(2000)])


class RequestForm(EvidenceFields, Form):
    pass


class ReviewForm(Form):
    reason = TextAreaField(_l("Reason (required to return or reject)"), filters=[strip], validators=[length(2000)])


class BatchForm(Form):
    note = TextAreaField(_l("Note (optional)"), filters=[strip], validators=[length(2000)])


class PaidForm(Form):
    reference = StringField(_l("Bank reference"), filters=[strip], validators=[required(), length(60)],
                            description=_l("The reference on the bank's payment advice. Entering it twice pays nothing twice."))


EVIDENCE_SLOTS = ("contract", "invoice", "acceptance")
