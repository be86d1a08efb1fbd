import re

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, Regexp, ValidationError

from marketplace.catalog.taxonomy import CATEGORY_LABELS
from marketplace.forms import Form, MultiCheckboxField, PercentField, YuanField, length, required, strip, upper
from marketplace.vouchers.models import CLAWBACK_TARGETS, ENTERPRISE_FLAGS, EVIDENCE_CHECKLIST, ISSUANCE_MODES
from marketplace.vouchers.programs import ProgramData

RATIO_ITEM = re.compile(r"^\s*([a-z]+)\s*[=:：]\s*(\d{1,3}(?:\.\d{1,2})?)\s*%?\s*$")


class IsoDateField(DateField):
    """A YYYY-MM-DD date whose format error says what to type."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_l("Enter a date (YYYY-MM-DD).")) from error


def date_field(label):
    return IsoDateField(label, validators=[InputRequired(message=_l("Enter a date (YYYY-MM-DD)."))],
                        format="%Y-%m-%d")


class ProgramForm(Form):
    code = StringField(_l("Program code"), filters=[strip, upper],
                       validators=[required(), Regexp(r"^[A-Z0-9]{2,12}$", message=_l("2 to 12 capital letters or digits, e.g. HJ2026."))],
                       description=_l("Starts every voucher number, e.g. HJ2026-000123-K."))
    name = StringField(_l("Program name"), filters=[strip], validators=[required(), length(100)])
    funder = StringField(_l("Funder"), filters=[strip], default="厦门火炬高技术产业开发区管理委员会",
                         validators=[required(), length(100)])
    description = TextAreaField(_l("Description"), filters=[strip], validators=[length(2000)])
    budget = YuanField(_l("Budget (yuan)"), validators=[InputRequired(message=_l("This field is required."))])
    valid_from = date_field(_l("Valid from"))
    use_by = date_field(_l("Use by (last day a voucher may be used on an order)"))
    redeem_by = date_field(_l("Redeem by (last day providers may request redemption)"))
    enterprise_cap = YuanField(_l("Cap per enterprise (yuan)"), validators=[InputRequired(message=_l("This field is required."))])
    order_cap = YuanField(_l("Cap per order (yuan, optional)"), validators=[Optional()])
    ratio = PercentField(_l("Subsidy ratio (%)"), default=3500, validators=[InputRequired(message=_l("This field is required."))])
    category_ratios = StringField(_l("Ratio per category (optional)"), filters=[strip], validators=[length(300)],
                                  description=_l("e.g. testing=40, ip=50 — overrides the ratio for those categories."))
    full_cover_below = YuanField(_l("Fully covered below (yuan, optional)"), validators=[Optional()])
    eligible_categories = MultiCheckboxField(_l("Eligible service categories"),
                                             choices=[SelectChoice(slug, label) for slug, label in CATEGORY_LABELS.items()])
    required_flags = MultiCheckboxField(_l("Only for enterprises that are"),
                                        choices=[SelectChoice(flag, label) for flag, label in ENTERPRISE_FLAGS.items()])
    required_evidence = MultiCheckboxField(_l("Evidence a redemption request must include"),
                                           choices=[SelectChoice(key, _l(label)) for key, label in EVIDENCE_CHECKLIST.items()])
    issuance_mode = RadioField(_l("How applications are issued"), default="reviewed",
                               choices=[SelectChoice(key, label) for key, label in ISSUANCE_MODES.items()])
    clawback_to = RadioField(_l("A clawed-back voucher share goes"), default="voucher",
                             choices=[SelectChoice(key, label) for key, label in CLAWBACK_TARGETS.items()])
    reclaim_threshold = PercentField(_l("Re-claim threshold (%)"), default=8000,
                                     validators=[InputRequired(message=_l("This field is required."))],
                                     description=_l("An enterprise may apply again once it has used this share of what it holds."))

    def validate_budget(self, field):
        if field.data is not None and field.data <= 0:
            raise ValidationError(_l("The amount must be greater than zero."))

    validate_enterprise_cap = validate_budget

    def validate_ratio(self, field):
        if field.data is not None and field.data <= 0:
            raise ValidationError(_l("The ratio must be greater than zero."))

    def validate_category_ratios(self, field):
        self.parsed_ratios = parse_category_ratios(field.data)

    def to_data(self):
        return ProgramData(
            code=self.code.data, name=self.name.data, funder=self.funder.data, description=self.description.data or "",
            budget_fen=self.budget.data, valid_from=self.valid_from.data, use_by=self.use_by.data,
            redeem_by=self.redeem_by.data, enterprise_cap_fen=self.enterprise_cap.data,
            order_cap_fen=self.order_cap.data, ratio_bp=self.ratio.data, category_ratios=self.parsed_ratios,
            full_cover_below_fen=self.full_cover_below.data, eligible_categories=list(self.eligible_categories.data),
            required_flags=list(self.required_flags.data), required_evidence=list(self.required_evidence.data or []),
            reclaim_threshold_bp=self.reclaim_threshold.data,
            issuance_mode=self.issuance_mode.data, clawback_to=self.clawback_to.data)

    def fill_from(self, program):
        for name in ("code", "name", "funder", "description", "valid_from", "use_by", "redeem_by",
                     "eligible_categories", "required_flags", "required_evidence", "issuance_mode", "clawback_to"):
            getattr(self, name).data = getattr(program, name)
        self.budget.data, self.enterprise_cap.data = program.budget_fen, program.enterprise_cap_fen
        self.order_cap.data, self.full_cover_below.data = program.order_cap_fen, program.full_cover_below_fen
        self.ratio.data, self.reclaim_threshold.data = program.ratio_bp, program.reclaim_threshold_bp
        self.category_ratios.data = ", ".join(f"{slug}={bp // 100}.{bp % 100:02d}".rstrip("0").rstrip(".")
                                              for slug, bp in (program.category_ratios or {}).items())


def parse_category_ratios(text):
    """'testing=40, ip=50.5' → {'testing': 4000, 'ip': 5050}; ValidationError names the bad part."""
    ratios = {}
    for item in filter(None, re.split(r"[,，;；\n]", text or "")):
        match = RATIO_ITEM.match(item)
        if not match or match.group(1) not in CATEGORY_LABELS:
            raise ValidationError(_l("Write category=percent pairs such as testing=40 with known category codes."))
        whole, _, cents = match.group(2).partition(".")
        bp = int(whole) * 100 + int(cents.ljust(2, "0") or 0)
        if not 0 < bp <= 10000:
            raise ValidationError(_l("Enter a percentage between 0 and 100 with at most two decimals."))
        ratios[match.group(1)] = bp
    return ratios


class ApplicationForm(Form):
    amount = YuanField(_l("Amount (yuan)"), validators=[InputRequired(message=_l("This field is required."))])
    purpose = TextAreaField(_l("What will you use the vouchers for?"), filters=[strip],
                            validators=[required(), length(2000)],
                            description=_l("e.g. patent applications for our new sensor; EMC testing before CE marking."))

    def validate_amount(self, field):
        if field.data is not None and field.data <= 0:
            raise ValidationError(_l("The amount must be greater than zero."))


class ApproveForm(Form):
    amount = YuanField(_l("Amount to issue (yuan)"), validators=[InputRequired(message=_l("This field is required."))])


class RevokeForm(Form):
    reason = TextAreaField(_l("Reason for revoking"), filters=[strip], validators=[required(), length(1000)])
    confirm = BooleanField(_l("I understand the remaining balance lapses and this cannot be undone."),
                           validators=[InputRequired(message=_l("Tick the box to confirm."))])


class BatchUploadForm(Form):
    file = FileField(_l("CSV file"), validators=[FileRequired(message=_l("Choose a CSV file.")),
                                                 FileAllowed(["csv", "txt"], _l("Upload a .csv file."))],
                     description=_l("Columns: credit_code,amount_yuan,memo — UTF-8 or GBK (as Excel saves it)."))


class ExtendForm(Form):
    use_by = IsoDateField(_l("New use-by date (optional)"), validators=[Optional()], format="%Y-%m-%d")
    redeem_by = IsoDateField(_l("New redeem-by date (optional)"), validators=[Optional()], format="%Y-%m-%d")
    reason = TextAreaField(_l("Reason"), filters=[strip], validators=[required(), length(2000)])


class BudgetForm(Form):
    budget = YuanField(_l("New budget (yuan)"), validators=[InputRequired(message=_l("This field is required."))])
    reason = TextAreaField(_l("Reason"), filters=[strip], validators=[required(), length(2000)])


class CloneForm(Form):
    code = StringField(_l("Program code"), filters=[strip, upper],
                       validators=[required(), Regexp(r"^[A-Z0-9]{2,12}$", message=_l("2 to 12 capital letters or digits, e.g. HJ2026."))])
    name = StringField(_l("Program name"), filters=[strip], validators=[required(), length(100)])


class PauseForm(Form):
    reason = TextAreaField(_l("Reason (optional)"), filters=[strip], validators=[length(2000)])
