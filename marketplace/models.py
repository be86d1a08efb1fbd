"""Imports every feature's models so metadata is complete (migrations, autogenerate checks)."""
from marketplace.audit.models import AnomalyDismissal, AuditEntry, VerifyRun  # noqa: F401
from marketplace.auth.models import Organisation, OrganisationReview, User  # noqa: F401
from marketplace.catalog.models import Category, Listing, ListingRevision, ProviderProfile, SearchOutbox  # noqa: F401
from marketplace.ledger.models import Account, LedgerHead, Transfer  # noqa: F401
from marketplace.notifications.models import Notification, NotificationPreference, OutboxMail  # noqa: F401
from marketplace.vouchers.models import IssueBatch, IssueBatchRow, Voucher, VoucherApplication, VoucherProgram  # noqa: F401
from marketplace.orders.models import Order, OrderEvent, OrderMessage, OrderVoucher, Quote, Review  # noqa: F401
from marketplace.payments.models import Payment, Refund, StripeEvent  # noqa: F401
from marketplace.search.models import SearchReplica, Synonym  # noqa: F401
from marketplace.redemption.models import RedemptionEvidence, RedemptionItem, RedemptionRequest, SettlementBatch  # noqa: F401
from marketplace.jobs.models import JobFailure  # noqa: F401
from marketplace.approvals.models import Approval  # noqa: F401
from marketplace.payouts.models import BankAccount, PayoutBatch, PayoutItem, PayoutLine  # noqa: F401
from marketplace.parties.models import Affiliation, PartyException  # noqa: F401
