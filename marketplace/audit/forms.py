from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, TextAreaField
from wtforms.validators import InputRequired

from marketplace.forms import Form, length, required, strip


class DismissForm(Form):
    rule = HiddenField(validators=[InputRequired()])
    key = HiddenField(validators=[InputRequired()])
    reason = TextAreaField(_l("Why this is not a problem"), filters=[strip], validators=[required(), length(2000)])
