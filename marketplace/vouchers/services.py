"""The vouchers feature's public operations (each module's functions document their errors)."""
from marketplace.vouchers.applications import (application_problem, applications_of, apply, approve,  # noqa: F401
                                               get_application, holding, reject)
from marketplace.vouchers.batch import OUTCOMES, confirm as confirm_batch, outcome_counts, preview as preview_batch  # noqa: F401
from marketplace.vouchers.expiry import (expire_program, expire_vouchers, request_revocation, revoke,  # noqa: F401
                                         send_expiry_reminders)
from marketplace.vouchers.issuance import budget_left, issue_vouchers  # noqa: F401
from marketplace.vouchers.programs import (ProgramData, close_program, create_program, get_program,  # noqa: F401
                                           issuance_started, open_program, update_program)
from marketplace.vouchers.rules import local_date  # noqa: F401
from marketplace.vouchers.wallet import statement, voucher_for, wallet, wallet_row  # noqa: F401
