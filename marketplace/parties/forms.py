from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Optional, Regexp

from marketplace.forms import Form, length, required, strip, upper
from marketplace.parties.models import AFFILIATION_KINDS

PHONE = Regexp(r"^[0-9+\-() ]{7,30}$", message=_l("Enter a phone number of 7 to 30 digits (+, -, spaces allowed)."))
ORGANISATION_HINT = _l("Its unified social credit code or exact legal name.")


class AffiliationForm(Form):
    organisation_a = StringField(_l("First organisation"), filters=[strip], validators=[required(), length(100)],
                                 description=ORGANISATION_HINT)
    organisation_b = StringField(_l("Second organisation"), filters=[strip], validators=[required(), length(100)],
                                 description=ORGANISATION_HINT)
    kind = SelectField(_l("Kind of relationship"), choices=[SelectChoice(key, _l(label)) for key, label in AFFILIATION_KINDS.items()],
                       validators=[required()])
    reason = TextAreaField(_l("Reason and source"), filters=[strip], validators=[required(), length(2000)],
                           description=_l("Both organisations are told this text."))
    evidence = FileField(_l("Evidence (PDF or image, optional)"),
                         description=_l("E.g. a shareholder register extract or a declaration."))


class EndAffiliationForm(Form):
    reason = TextAreaField(_l("Reason for ending"), filters=[strip], validators=[required(), length(2000)])
    confirm = BooleanField(_l("I understand vouchers can be used between the two organisations again."),
                           validators=[InputRequired(message=_l("Tick the box to confirm."))])


class DetailsForm(Form):
    legal_representative = StringField(_l("Legal representative"), filters=[strip], validators=[length(50)])
    city = StringField(_l("City"), filters=[strip], validators=[length(50)])
    contact_name = StringField(_l("Contact person"), filters=[strip], validators=[length(50)])
    contact_phone = StringField(_l("Contact phone"), filters=[strip], validators=[Optional(), PHONE])
    contact_email = EmailField(_l("Contact e-mail"), filters=[strip],
                               validators=[Optional(), length(254), Email(message=_l("Enter a valid e-mail address."))])
    registered_address = StringField(_l("Registered address"), filters=[strip], validators=[length(200)])
    credit_code = StringField(_l("Unified social credit code"), filters=[strip, upper], validators=[length(18)],
                              description=_l("Replace the provisional code from the catalogue import with the one "
                                             "on the business licence."))


class ExceptionForm(Form):
    enterprise = StringField(_l("Enterprise"), filters=[strip], validators=[required(), length(100)],
                             description=ORGANISATION_HINT)
    provider = StringField(_l("Service provider"), filters=[strip], validators=[required(), length(100)],
                           description=ORGANISATION_HINT)
    reason = TextAreaField(_l("Reason"), filters=[strip], validators=[required(), length(2000)],
                           description=_l("Why vouchers may be used on this one order although the two are related; "
                                          "a second operator approves it."))
