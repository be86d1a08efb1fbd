"""The buttons of the pay and 3-D Secure pages (CSRF-protected forms with one choice each)."""
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from marketplace.forms import Form
from marketplace.payments.gateway import TEST_METHODS


class TestPaymentForm(Form):
    method = SelectField(_l("Test payment method"), choices=[SelectChoice(m, m) for m in TEST_METHODS])


class AuthenticateForm(Form):
    outcome = SelectField(_l("Bank check"), choices=[SelectChoice("approve", "approve"), SelectChoice("fail", "fail")])
