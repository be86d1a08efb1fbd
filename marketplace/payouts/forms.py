from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField

from marketplace.forms import Form, length, required, strip


class BankAccountForm(Form):
    account_name = StringField(_l("Account name (开户名)"), filters=[strip], validators=[required(), length(100)],
                               description=_l("Usually your organisation's registered name."))
    bank_name = StringField(_l("Bank (开户行)"), filters=[strip], validators=[required(), length(100)])
    branch = StringField(_l("Branch (支行, optional)"), filters=[strip], validators=[length(100)])
    account_number = StringField(_l("Account number"), filters=[strip], validators=[required(), length(40)])


class NoteForm(Form):
    note = TextAreaField(_l("Reason"), filters=[strip], validators=[length(2000)])


class ReferenceForm(Form):
    reference = StringField(_l("Bank reference"), filters=[strip], validators=[required(), length(60)])


class BatchNoteForm(Form):
    note = TextAreaField(_l("Note (optional)"), filters=[strip], validators=[length(2000)])
