"""ledger chain linked at commit: transfers keep a content hash, their chain links (gapless
sequence, prev_hash, hash) move to the insert-only table ledger_chain, written on PostgreSQL by a
deferred trigger so writers hold the chain head only while committing; existing transfers are
re-linked in the v2 format

Revision ID: a9c1d2e30009
Revises: f8a9b0c10008
Create Date: 2026-11-28 09:20:00

"""
import hashlib
import json
from datetime import timezone

from alembic import op
import sqlalchemy as sa

import marketplace.database

# revision identifiers, used by Alembic.
revision = 'a9c1d2e30009'
down_revision = 'f8a9b0c10008'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
TRANSFERS_IMMUTABLE = "ledger transfers are append-only: post a compensating transfer instead"
CHAIN_IMMUTABLE = "the ledger chain is append-only"

# Frozen copy of marketplace/ledger/chain.py (v2) for re-linking rows written before this revision.
CONTENT_COLUMNS = (
    "ledger", "debit_account_id", "credit_account_id", "amount", "kind", "pending",
    "timeout_at", "pending_id", "reverses_id", "order_id", "application_id", "settlement_id",
    "voucher_id", "actor_id", "created_at", "memo", "idempotency_key", "request_hash",
)

# Deferred row trigger: fires at COMMIT, once per transfer in insertion (= id) order, so the
# chain head stays locked only from this transaction's first link to the end of its commit.
# The first firing links every transfer the transaction wrote (ids from its first to the
# session's last `nextval`: other writers' rows in that range are either committed, and so
# already linked, or invisible) in one pass; the later firings find their row linked.
LINK_FUNCTION = """
CREATE FUNCTION ledger_link_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    seq bigint;
    prev text;
    last_id bigint;
    item record;
    seqs bigint[] := '{}';
    ids bigint[] := '{}';
    prevs text[] := '{}';
    hashes text[] := '{}';
BEGIN
    IF EXISTS (SELECT 1 FROM ledger_chain WHERE transfer_id = NEW.id) THEN
        RETURN NULL;
    END IF;
    SELECT sequence, hash INTO seq, prev FROM ledger_head WHERE id = 1 FOR UPDATE;
    last_id := currval('ledger_transfer_ids');
    IF last_id <= NEW.id THEN  -- the usual single transfer: no search
        seq := seq + 1;
        seqs := ARRAY[seq];
        ids := ARRAY[NEW.id];
        prevs := ARRAY[prev];
        prev := encode(sha256(convert_to(
            'v2|' || seq || '|' || NEW.id || '|' || prev || '|' || NEW.content_hash, 'UTF8')), 'hex');
        hashes := ARRAY[prev];
    ELSE
        FOR item IN
            SELECT t.id, t.content_hash FROM ledger_transfers t
            WHERE t.id BETWEEN NEW.id AND last_id
              AND NOT EXISTS (SELECT 1 FROM ledger_chain c WHERE c.transfer_id = t.id)
            ORDER BY t.id
        LOOP
            seq := seq + 1;
            seqs := seqs || seq;
            ids := ids || item.id;
            prevs := prevs || prev;
            prev := encode(sha256(convert_to(
                'v2|' || seq || '|' || item.id || '|' || prev || '|' || item.content_hash, 'UTF8')), 'hex');
            hashes := hashes || prev;
        END LOOP;
    END IF;
    INSERT INTO ledger_chain (sequence, transfer_id, prev_hash, hash)
        SELECT * FROM unnest(seqs, ids, prevs, hashes);
    UPDATE ledger_head SET sequence = seq, hash = prev WHERE id = 1;
    RETURN NULL;
END $$
"""

POSTGRESQL_UP = [
    LINK_FUNCTION,
    """CREATE CONSTRAINT TRIGGER ledger_transfers_link AFTER INSERT ON ledger_transfers
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_link_chain()""",
    f"""CREATE FUNCTION ledger_chain_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '{CHAIN_IMMUTABLE}' USING ERRCODE = 'restrict_violation'; END $$""",
    """CREATE TRIGGER ledger_chain_no_update_delete BEFORE UPDATE OR DELETE ON ledger_chain
        FOR EACH ROW EXECUTE FUNCTION ledger_chain_immutable()""",
    """CREATE TRIGGER ledger_chain_no_truncate BEFORE TRUNCATE ON ledger_chain
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_chain_immutable()""",
]
POSTGRESQL_DOWN = [
    "DROP TRIGGER IF EXISTS ledger_transfers_link ON ledger_transfers",
    "DROP FUNCTION IF EXISTS ledger_link_chain()",
    "DROP TRIGGER IF EXISTS ledger_chain_no_update_delete ON ledger_chain",
    "DROP TRIGGER IF EXISTS ledger_chain_no_truncate ON ledger_chain",
    "DROP FUNCTION IF EXISTS ledger_chain_immutable()",
]
SQLITE_UP = [
    f"""CREATE TRIGGER ledger_chain_no_{action.lower()} BEFORE {action} ON ledger_chain
        BEGIN SELECT RAISE(ABORT, '{CHAIN_IMMUTABLE}'); END"""
    for action in ("UPDATE", "DELETE")
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS ledger_chain_no_update",
               "DROP TRIGGER IF EXISTS ledger_chain_no_delete"]

# The row trigger against UPDATE/DELETE on transfers is lifted while existing rows get their
# content hash (TRUNCATE stays refused throughout), then restored.
LIFT_TRANSFER_TRIGGERS = {
    "sqlite": ["DROP TRIGGER IF EXISTS ledger_transfers_no_update",
               "DROP TRIGGER IF EXISTS ledger_transfers_no_delete"],
    "postgresql": ["DROP TRIGGER IF EXISTS ledger_transfers_no_update_delete ON ledger_transfers"],
}
RESTORE_TRANSFER_TRIGGERS = {
    "sqlite": [f"""CREATE TRIGGER ledger_transfers_no_{action.lower()} BEFORE {action} ON ledger_transfers
                   BEGIN SELECT RAISE(ABORT, '{TRANSFERS_IMMUTABLE}'); END"""
               for action in ("UPDATE", "DELETE")],
    "postgresql": ["""CREATE TRIGGER ledger_transfers_no_update_delete BEFORE UPDATE OR DELETE ON ledger_transfers
                      FOR EACH ROW EXECUTE FUNCTION ledger_transfers_immutable()"""],
}

transfers = sa.table(
    "ledger_transfers", sa.column("id", sa.BigInteger), sa.column("content_hash", sa.String),
    *(sa.column(name, marketplace.database.UTCDateTime() if name in ("timeout_at", "created_at")
                else None) for name in CONTENT_COLUMNS))
chain = sa.table("ledger_chain", sa.column("sequence"), sa.column("transfer_id"),
                 sa.column("prev_hash"), sa.column("hash"))


def timestamp(value):
    return None if value is None else value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def content_hash(row):
    fields = ["v2", *(row[name] for name in CONTENT_COLUMNS)]
    for position in (CONTENT_COLUMNS.index("timeout_at") + 1, CONTENT_COLUMNS.index("created_at") + 1):
        fields[position] = timestamp(fields[position])
    fields[CONTENT_COLUMNS.index("pending") + 1] = bool(fields[CONTENT_COLUMNS.index("pending") + 1])
    canonical = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def relink_existing(connection):
    """Give rows written before this revision a v2 content hash and a link, in id order (their
    ids were the gapless v1 sequence)."""
    sequence, prev = 0, GENESIS
    rows = connection.execute(sa.select(transfers).order_by(transfers.c.id)).mappings().all()
    for row in rows:
        sequence += 1
        content = content_hash(row)
        link = hashlib.sha256(f"v2|{sequence}|{row['id']}|{prev}|{content}".encode()).hexdigest()
        connection.execute(transfers.update().where(transfers.c.id == row["id"])
                           .values(content_hash=content))
        connection.execute(chain.insert().values(sequence=sequence, transfer_id=row["id"],
                                                 prev_hash=prev, hash=link))
        prev = link
    connection.execute(sa.text("UPDATE ledger_head SET sequence = :sequence, hash = :hash WHERE id = 1")
                       .bindparams(sequence=sequence, hash=prev))
    return sequence


def upgrade():
    connection = op.get_bind()
    dialect = connection.dialect.name
    for statement in LIFT_TRANSFER_TRIGGERS[dialect]:
        op.execute(statement)
    op.create_table(
        'ledger_chain',
        sa.Column('sequence', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('transfer_id', sa.BigInteger(), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['transfer_id'], ['ledger_transfers.id'],
                                name=op.f('fk_ledger_chain_transfer_id_ledger_transfers')),
        sa.PrimaryKeyConstraint('sequence', name=op.f('pk_ledger_chain')),
        sa.UniqueConstraint('transfer_id', name=op.f('uq_ledger_chain_transfer_id')),
    )
    op.add_column('ledger_transfers', sa.Column('content_hash', sa.String(length=64),
                                                nullable=False, server_default=""))
    last = relink_existing(connection)
    op.execute("ALTER TABLE ledger_transfers DROP COLUMN prev_hash")
    op.execute("ALTER TABLE ledger_transfers DROP COLUMN hash")
    if dialect == "postgresql":
        op.execute("ALTER TABLE ledger_transfers ALTER COLUMN content_hash DROP DEFAULT")
        op.execute(f"CREATE SEQUENCE ledger_transfer_ids START WITH {last + 1} "
                   "OWNED BY ledger_transfers.id")
        op.execute("ALTER TABLE ledger_transfers ALTER COLUMN id "
                   "SET DEFAULT nextval('ledger_transfer_ids')")
    for statement in {"postgresql": POSTGRESQL_UP, "sqlite": SQLITE_UP}[dialect] + RESTORE_TRANSFER_TRIGGERS[dialect]:
        op.execute(statement)


def downgrade():
    connection = op.get_bind()
    dialect = connection.dialect.name
    if connection.execute(sa.text("SELECT count(*) FROM ledger_transfers")).scalar():
        raise RuntimeError("downgrading would need the v1 chain back: restore a backup instead")
    for statement in {"postgresql": POSTGRESQL_DOWN, "sqlite": SQLITE_DOWN}[dialect]:
        op.execute(statement)
    for statement in LIFT_TRANSFER_TRIGGERS[dialect]:
        op.execute(statement)
    if dialect == "postgresql":
        op.execute("ALTER TABLE ledger_transfers ALTER COLUMN id DROP DEFAULT")
        op.execute("DROP SEQUENCE IF EXISTS ledger_transfer_ids")
    op.drop_table('ledger_chain')
    op.execute("ALTER TABLE ledger_transfers DROP COLUMN content_hash")
    op.add_column('ledger_transfers', sa.Column('prev_hash', sa.String(length=64), nullable=False,
                                                server_default=""))
    op.add_column('ledger_transfers', sa.Column('hash', sa.String(length=64), nullable=False,
                                                server_default=""))
    for statement in RESTORE_TRANSFER_TRIGGERS[dialect]:
        op.execute(statement)
