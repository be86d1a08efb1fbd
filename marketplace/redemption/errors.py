from marketplace.errors import Duplicate, InvalidState, NotFound, ValidationFailed
from marketplace.i18n import N_


class RedemptionClosed(InvalidState):
    message = N_("Redemption requests for this program closed on %(date)s.")


class NotClaimable(ValidationFailed):
    message = N_("Order %(number)s cannot be claimed: only your completed orders in this program with a posted voucher share, not already in another request.")


class NothingSelected(ValidationFailed):
    message = N_("Select at least one order.")


class EvidenceMissing(ValidationFailed):
    message = N_("Upload the evidence: at least the contract, the invoice or the acceptance report.")


class EvidenceIncomplete(ValidationFailed):
    message = N_("This program requires this evidence, still missing: %(missing)s.")

    def __init__(self, labels, field="evidence"):
        self.labels = labels  # msgids of the missing kinds, each translated where shown
        super().__init__(field=field, missing=", ".join(labels))

    def translated(self):
        from flask_babel import gettext

        return gettext(self.message) % {"missing": "、".join(gettext(label) for label in self.labels)}


class RequestNotFound(NotFound):
    message = N_("This redemption request does not exist.")


class BatchNotFound(NotFound):
    message = N_("This settlement batch does not exist.")


class WrongState(InvalidState):
    message = N_("This cannot be done while the request is “%(state)s”.")


class BatchWrongState(InvalidState):
    message = N_("This cannot be done while the batch is “%(state)s”.")


class BatchNotApproved(InvalidState):
    message = N_("A second operator approves the batch before it is paid.")


class ReferenceUsed(Duplicate):
    message = N_("The bank reference %(reference)s has already been used for another batch.")


class ProviderSuspended(InvalidState):
    message = N_("Your organisation is suspended: redemption requests wait until it is reinstated.")
