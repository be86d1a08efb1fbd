from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, FieldList, FormField, IntegerField, SelectField, StringField, \
    TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, NumberRange, Optional, ValidationError

from marketplace.catalog.models import QUALIFICATION_KINDS
from marketplace.forms import Form, MultiCheckboxField, YuanField, length, required, strip


class ProfileForm(Form):
    description = TextAreaField(_l("About your organisation"), filters=[strip],
                                validators=[required(), length(5000, 20)],
                                description=_l("What you do, for whom, your team and equipment. Shown on your public page."))
    city = StringField(_l("City"), filters=[strip], validators=[required(), length(50)])
    website = StringField(_l("Website"), filters=[strip],
                          validators=[Optional(), length(200), URL(message=_l("Enter a web address starting with http:// or https://."))])
    categories = MultiCheckboxField(_l("Service categories"), choices=[],
                                    validators=[required()])


class QualificationForm(Form):
    kind = SelectField(_l("Type"), choices=[SelectChoice(key, _l(label)) for key, label in QUALIFICATION_KINDS.items()],
                       validators=[required()])
    number = StringField(_l("Certificate number"), filters=[strip], validators=[required(), length(80)])
    issuer = StringField(_l("Issued by"), filters=[strip], validators=[required(), length(100)])
    valid_until = DateField(_l("Valid until"), validators=[required()],
                            description=_l("The expiry date printed on the certificate."))
    file = FileField(_l("Scan of the certificate"), validators=[FileRequired(_l("Choose a file to upload."))],
                     description=_l("PDF, JPEG, PNG or WebP, at most 10 MB."))


class PackageForm(Form):
    class Meta:
        csrf = False

    name = StringField(_l("Package name"), filters=[strip], validators=[length(60)])
    price = YuanField(_l("Price (yuan)"))
    delivery_days = IntegerField(_l("Delivery (days)"), validators=[Optional(), NumberRange(1, 3650, message=_l("Enter 1 to 3650 days."))])
    includes = TextAreaField(_l("What is included"), filters=[strip], validators=[length(2000)])

    def is_blank(self):
        return not (self.name.data or getattr(self.price, "raw", "") or self.includes.data or self.delivery_days.data)


class ListingForm(Form):
    title = StringField(_l("Title"), filters=[strip], validators=[required(), length(120)])
    category = SelectField(_l("Category"), choices=[], validators=[required()])
    summary = StringField(_l("Summary"), filters=[strip], validators=[length(300)],
                          description=_l("One sentence shown on the listing cards."))
    description = TextAreaField(_l("Service description"), filters=[strip], validators=[length(20000)],
                                description=_l("Markdown: **bold**, lists with -, links. HTML is not allowed."))
    tags = StringField(_l("Tags"), filters=[strip], validators=[length(300)],
                       description=_l("Separate tags with semicolons, e.g. 专利;发明;PCT."))
    city = StringField(_l("City"), filters=[strip], validators=[length(50)])
    service_area = StringField(_l("Service area"), filters=[strip], validators=[length(100)],
                               description=_l("Where you deliver, e.g. 厦门市 / 福建省 / 全国."))
    delivery_time = StringField(_l("Delivery time"), filters=[strip], validators=[length(100)],
                                description=_l("E.g. 15 working days after the order."))
    voucher_eligible = BooleanField(_l("Eligible for innovation vouchers"))
    price_on_request = BooleanField(_l("Price on request (custom work)"))
    packages = FieldList(FormField(PackageForm), min_entries=3, max_entries=3)

    def validate_packages(self, field):
        for entry in field.entries:
            package = entry.form
            if not package.is_blank() and (not package.name.data or package.price.data is None):
                raise ValidationError(_l("Each package needs a name and a price."))
        if not self.price_on_request.data and all(entry.form.is_blank() for entry in field.entries):
            raise ValidationError(_l("Add at least one package with a price, or choose price on request."))


class ImageForm(Form):
    image = FileField(_l("Add an image"), validators=[FileRequired(_l("Choose a file to upload."))],
                      description=_l("JPEG, PNG or WebP, at most 5 MB; up to six images."))


class LogoForm(Form):
    logo = FileField(_l("Logo"), validators=[FileRequired(_l("Choose a file to upload."))],
                     description=_l("JPEG, PNG or WebP, at most 5 MB; a square image of at least 320 pixels looks best."))


class ImportForm(Form):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a file to upload."))],
                     description=_l("Columns: external_id,provider,category,title,description,price_yuan,voucher_eligible,tags. UTF-8 or GBK."))
    skip_invalid = BooleanField(_l("Import the valid rows even if some rows are invalid"))


class ReasonForm(Form):
    reason = TextAreaField(_l("Reason"), filters=[strip], validators=[required(), length(1000)],
                           description=_l("The provider sees this text."))
