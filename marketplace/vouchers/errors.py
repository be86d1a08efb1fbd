"""Typed refusals of the voucher rules, each with a message the user can act on."""
from marketplace.errors import DomainError, InvalidState, NotFound, ValidationFailed
from marketplace.i18n import N_


class ProgramNotOpen(InvalidState):
    message = N_("This program is not open for applications.")


class ProgramPaused(InvalidState):
    message = N_("This program is paused: applications and issuance wait until it resumes. Vouchers already issued can still be used.")


class ProgramNotStarted(InvalidState):
    message = N_("This program opens for applications on %(date)s.")


class ProgramEnded(InvalidState):
    message = N_("This program has ended: its vouchers could be used until %(date)s.")


class NotEligible(DomainError):
    status_code = 403
    message = N_("Your enterprise is not eligible for this program.")


class OverCap(ValidationFailed):
    message = N_("You can apply for at most %(remaining)s more in this program (cap %(cap)s).")


class ReclaimBlocked(InvalidState):
    message = N_("You have used %(used)s of the %(held)s you hold in this program; new applications "
                 "are accepted once you have used %(threshold)s%%.")


class ApplicationPending(InvalidState):
    message = N_("You already have an application in this program waiting for review.")


class AlreadyDecided(InvalidState):
    message = N_("This application has already been decided; the decision stands.")


class BudgetExhausted(InvalidState):
    message = N_("The program budget has %(left)s left, not enough to issue %(amount)s.")


class ProgramLocked(InvalidState):
    message = N_("Issuance has started: %(fields)s can no longer be changed.")


class ProgramNotFound(NotFound):
    message = N_("This voucher program does not exist.")


class VoucherNotFound(NotFound):
    message = N_("This voucher does not exist.")


class ApplicationNotFound(NotFound):
    message = N_("This application does not exist.")


class AlreadyRevoked(InvalidState):
    message = N_("This voucher has already been revoked.")


class BadUpload(ValidationFailed):
    message = N_("The file could not be read.")
