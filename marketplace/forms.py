"""Form helpers shared by every feature: trimmed strings and messages in the user's language."""
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.errors import DomainError
from marketplace.inputs import EARLIEST_DAY, LATEST_DAY, one_line
from marketplace.money import format_fen, parse_yuan


class Form(FlaskForm):
    """Every form of the site. One-line fields (all but text areas) refuse tabs and line breaks:
    a name or number that spans lines is a pasted mistake or an attempt to forge CSV/log lines."""

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for field in self:
            problem = boundary_problem(field)
            if problem:
                field.errors = [*field.errors, problem]
                valid = False
        return valid


def boundary_problem(field):
    """What the input boundary refuses in a field whatever its form: a second line in a one-line
    field, a number typed with other than ASCII digits, a date outside 2000–2099."""
    if is_one_line(field) and not one_line(field.data):
        return _l("Use a single line, without tabs or line breaks.")
    if isinstance(field, IntegerField) and field.raw_data and not ASCII_NUMBER.fullmatch(field.raw_data[0].strip()):
        return _l("Type a whole number with the digits 0–9.")
    if isinstance(field, DateField) and field.data is not None and not EARLIEST_DAY <= field.data <= LATEST_DAY:
        return _l("Enter a date between 2000-01-01 and 2099-12-31.")
    return None


ASCII_NUMBER = re.compile(r"-?[0-9]{0,10}", re.ASCII)


def is_one_line(field):
    return isinstance(field, StringField) and not isinstance(field, TextAreaField) and isinstance(field.data, str)


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


class YuanField(StringField):
    """An amount typed in yuan (at most two decimals), held as integer fen in `data`."""

    def process_formdata(self, valuelist):
        self.raw = valuelist[0].strip() if valuelist else ""
        # Blank or whitespace only means empty, for InputRequired/Optional too (not a None amount
        # that passed "required" because the raw text was "  \t\n ").
        self.raw_data = [self.raw] if valuelist else []
        self.data = None
        if self.raw:
            try:
                self.data = parse_yuan(self.raw)
            except DomainError as error:
                raise ValueError(error.translated()) from error

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_fen(self.data, symbol="").replace(",", "") if self.data is not None else ""


class PercentField(StringField):
    """A percentage with at most two decimals (35 or 35.5), held as basis points in `data`."""

    def process_formdata(self, valuelist):
        text = valuelist[0].strip() if valuelist else ""
        self.data = None
        if text:
            match = re.fullmatch(r"(\d{1,3})(?:\.(\d{1,2}))?", text)
            if not match or int(match.group(1)) > 100:
                raise ValueError(_l("Enter a percentage between 0 and 100 with at most two decimals."))
            self.data = int(match.group(1)) * 100 + int((match.group(2) or "").ljust(2, "0"))
            if self.data > 10000:
                raise ValueError(_l("Enter a percentage between 0 and 100 with at most two decimals."))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return f"{self.data // 100}.{self.data % 100:02d}".rstrip("0").rstrip(".")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def attempt(form, work):
    """Run one service call as the request's unit of work (committed, retried on transient
    database refusals); a DomainError lands on the form. Returns (result, succeeded)."""
    from marketplace.extensions import db
    from marketplace.ledger import run_in_transaction

    try:
        return run_in_transaction(db.session, work), True
    except DomainError as error:
        apply_domain_error(form, error)
        return None, False
