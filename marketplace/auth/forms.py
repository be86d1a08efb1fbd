from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, EqualTo, Regexp, ValidationError

from marketplace.auth import credit_code
from marketplace.auth.services import password_problem
from marketplace.forms import Form, length, required, strip, upper

PHONE = Regexp(r"^[0-9+\-() ]{7,30}$", message=_l("Enter a phone number of 7 to 30 digits (+, -, spaces allowed)."))


class OrganisationFields(Form):
    legal_name = StringField(_l("Legal name of the organisation"), filters=[strip],
                             validators=[required(), length(100, 2)])
    credit_code = StringField(_l("Unified social credit code"), filters=[strip, upper],
                              validators=[required()],
                              description=_l("18 characters, printed on the business licence."))
    legal_representative = StringField(_l("Legal representative"), filters=[strip],
                                       validators=[required(), length(50)])
    city = StringField(_l("City"), filters=[strip], default="厦门", validators=[required(), length(50)])
    contact_phone = StringField(_l("Contact phone"), filters=[strip], validators=[required(), PHONE])
    registered_address = StringField(_l("Registered address (optional)"), filters=[strip], validators=[length(200)],
                                     description=_l("As on the business licence."))

    def validate_credit_code(self, field):
        problem = credit_code.problem(credit_code.normalise(field.data))
        if problem:
            raise ValidationError(_l(problem))


class RegistrationForm(OrganisationFields):
    kind = RadioField(_l("I am registering"), default="enterprise", validators=[required()],
                      choices=[SelectChoice("enterprise", _l("an enterprise that buys services")),
                               SelectChoice("provider", _l("a service provider that sells services"))])
    name = StringField(_l("Your name (contact person)"), filters=[strip], validators=[required(), length(50)])
    email = EmailField(_l("E-mail"), filters=[strip],
                       validators=[required(), length(254),
                                   Email(message=_l("Enter a valid e-mail address."))])
    password = PasswordField(_l("Password"), validators=[required()],
                             description=_l("At least 10 characters, with letters and digits."))
    confirm = PasswordField(_l("Repeat the password"),
                            validators=[required(), EqualTo("password", message=_l("The passwords do not match."))])

    def validate_password(self, field):
        problem = password_problem(field.data)
        if problem:
            raise ValidationError(_l(problem))


class ResubmitForm(OrganisationFields):
    contact_name = StringField(_l("Contact person"), filters=[strip], validators=[required(), length(50)])


class LoginForm(Form):
    email = EmailField(_l("E-mail"), filters=[strip], validators=[required(), length(254)])
    password = PasswordField(_l("Password"), validators=[required(), length(128)])


class RejectForm(Form):
    reason = TextAreaField(_l("Reason for rejection"), filters=[strip],
                           validators=[required(), length(1000)],
                           description=_l("The applicant sees this text and can correct the registration."))


class PasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[required(), length(128)])
    new_password = PasswordField(_l("New password"), validators=[required(), length(128)],
                                 description=_l("10 to 128 characters, with letters and digits."))
    confirm = PasswordField(_l("New password again"), validators=[
        required(), EqualTo("new_password", message=_l("The two new passwords differ."))])


class RejectApplicationForm(RejectForm):
    reason = TextAreaField(_l("Reason for rejection"), filters=[strip], validators=[required(), length(1000)],
                           description=_l("The enterprise sees this text and may apply again."))


class ConfirmForm(Form):
    """An empty form: its CSRF token protects one-click actions such as approve or log out."""


class AttributesForm(Form):
    is_high_tech = BooleanField(_l("National high-tech enterprise (国家高新技术企业)"))
    is_sme = BooleanField(_l("Technology-based SME (科技型中小企业)"))
