"""Imports every feature's models so metadata is complete (migrations, autogenerate checks)."""
from marketplace.auth.models import Organisation, OrganisationReview, User  # noqa: F401
from marketplace.ledger.models import Account, LedgerHead, Transfer  # noqa: F401
