"""Form helpers shared by every feature: trimmed strings and messages in the user's language."""
from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, Length


def strip(value):
    return value.strip() if isinstance(value, str) else value


def required():
    return DataRequired(message=_l("This field is required."))


def length(maximum, minimum=0):
    if minimum:
        message = _l("Enter between %(min)d and %(max)d characters.")
    else:
        message = _l("Enter at most %(max)d characters.")
    return Length(min=minimum, max=maximum, message=message)


def apply_domain_error(form, error):
    """Show a service's DomainError next to the field it names, or above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.translated()]
    else:
        form.form_errors.append(error.translated())


def upper(value):
    return value.upper() if isinstance(value, str) else value
