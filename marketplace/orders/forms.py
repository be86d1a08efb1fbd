from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import HiddenField, IntegerField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from marketplace.forms import Form, YuanField, length, required, strip


class PlaceOrderForm(Form):
    listing_id = HiddenField(validators=[InputRequired()])
    package_id = HiddenField(validators=[InputRequired()])
    # One per rendered checkout page: a double-clicked confirm finds the order it already placed.
    request_key = HiddenField(validators=[InputRequired()])


class ReasonForm(Form):
    reason = TextAreaField(_l("Reason"), filters=[strip], validators=[required(), length(2000)])


class OptionalReasonForm(Form):
    reason = TextAreaField(_l("Reason (optional)"), filters=[strip], validators=[length(2000)])


class DeliverForm(Form):
    report = FileField(_l("Delivery report (PDF or image)"))
    note = TextAreaField(_l("Note to the buyer"), filters=[strip], validators=[length(2000)])


class MessageForm(Form):
    body = TextAreaField(_l("Message"), filters=[strip], validators=[length(4000)])
    attachment = FileField(_l("Attachment (PDF or image, optional)"))


class ReviewForm(Form):
    rating = RadioField(_l("Rating"), coerce=int, validators=[InputRequired(message=_l("Choose 1 to 5 stars."))],
                        choices=[SelectChoice(n, "★" * n) for n in range(5, 0, -1)])
    body = TextAreaField(_l("Your review"), filters=[strip], validators=[length(4000)])


class ReplyForm(Form):
    reply = TextAreaField(_l("Your reply"), filters=[strip], validators=[required(), length(4000)])


class ResolveForm(Form):
    outcome = RadioField(_l("Decision"), validators=[InputRequired()],
                         choices=[SelectChoice("post", _l("Pay the provider (post the voucher share)")),
                                  SelectChoice("refund", _l("Refund the buyer (release the vouchers, refund the cash)"))])
    voucher = YuanField(_l("Voucher share to post (yuan; empty = all)"), validators=[Optional()])
    cash_refund = YuanField(_l("Cash to refund to the buyer (yuan; empty = none)"), validators=[Optional()])
    reason = TextAreaField(_l("Reason"), filters=[strip], validators=[required(), length(2000)])


class QuoteRequestForm(Form):
    request = TextAreaField(_l("What do you need?"), filters=[strip], validators=[required(), length(2000)])


class QuoteForm(Form):
    price = YuanField(_l("Price (yuan)"), validators=[InputRequired(message=_l("This field is required."))])
    delivery_days = IntegerField(_l("Delivery time (days)"), validators=[Optional(), NumberRange(1, 3650)])
    note = TextAreaField(_l("Note"), filters=[strip], validators=[length(2000)])


class AcceptQuoteForm(Form):
    request_key = HiddenField(validators=[InputRequired()])


class ClawbackForm(Form):
    reason = TextAreaField(_l("Reason"), filters=[strip], validators=[required(), length(2000)])
    cash_refund = YuanField(_l("Also refund the buyer's cash (yuan, optional)"), validators=[Optional()],
                            description=_l("Taken from the provider's payable; if its cash was already paid out, "
                                           "the debt is netted in its next payout."))
