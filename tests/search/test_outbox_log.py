"""Each host's index follows the search outbox as a log from the position committed with it: a
rebuild covers the outbox up to its snapshot (nothing is applied twice), changes made during a
rebuild still arrive, a transaction that commits late is never skipped, several replicas follow
independently and pruning keeps what the live ones need."""
import os

import pytest
from sqlalchemy import func, select, text

from marketplace.catalog import listings
from marketplace.catalog.importer import import_listings
from marketplace.catalog.models import SearchOutbox
from marketplace.extensions import db
from marketplace.search import documents, indexer, services
from marketplace.search.backend import SearchRequest
from marketplace.search.models import SearchReplica
from tests.catalog.conftest import make_listing, make_provider  # noqa: F401 (fixtures)

HEADER = "external_id,provider,category,title,description,price_yuan,voucher_eligible,tags\n"


def found(q):
    return [hit["id"] for hit in services.search(SearchRequest(q=q, per_page=50)).hits]


def import_csv(count, start=0):
    rows = "".join(f"x{n},厦门导入检测{n % 3}有限公司,testing,电池检测服务{n},描述{n},{100 + n},true,检测\n"
                   for n in range(start, start + count))
    report = import_listings((HEADER + rows).encode())
    db.session.commit()
    assert not report.errors
    return report


def outbox_rows():
    return db.session.scalar(select(func.count()).select_from(SearchOutbox))


def test_rebuild_covers_the_outbox_up_to_its_snapshot(app, runner):
    import_csv(120)
    assert outbox_rows() == 120
    assert indexer.rebuild() == 120
    assert indexer.lag() == 0
    result = runner.invoke(args=["search", "sync"])
    assert result.exit_code == 0 and result.output.startswith("Applied 0 outbox row(s)")
    assert len(found("电池检测")) == 50


def test_a_change_made_while_rebuilding_is_applied_afterwards(app, make_provider, make_listing, monkeypatch):  # noqa: F811
    user = make_provider()
    kept, changed = make_listing(user, title="锂电池安全检测"), make_listing(user, title="电磁兼容预测试")
    read_all = documents.all_documents

    def change_then_read(session):
        listings.unpublish_listing(user, changed.id)  # another writer, after the snapshot began
        db.session.commit()
        yield from read_all(session)

    monkeypatch.setattr(documents, "all_documents", change_then_read)
    indexer.rebuild()
    assert found("电磁兼容") == [changed.id]  # the snapshot still had it published
    assert indexer.lag() == 1 and indexer.sync() == 1
    assert found("电磁兼容") == [] and found("锂电池") == [kept.id]


def test_the_repair_rebuild_also_records_its_position(app, runner):
    import_csv(30)
    assert indexer.sync() == 0  # no index yet: repaired by a rebuild, which covers all 30 rows
    assert indexer.index_status()["auto_rebuild_reason"].startswith("no search index")
    assert indexer.lag() == 0 and len(found("电池检测")) == 30
    live = os.path.realpath(app.config["SEARCH_INDEX_DIR"])
    for name in os.listdir(live):
        if name.startswith("outbox_position_"):
            os.remove(os.path.join(live, name))
    import_csv(5, start=30)
    assert indexer.sync() == 0  # an index without a position cannot follow the log: rebuilt
    assert "no outbox position" in indexer.index_status()["auto_rebuild_reason"]
    assert indexer.lag() == 0 and len(found("电池检测")) == 35


def test_a_failed_index_commit_keeps_the_old_position(app, make_provider, make_listing, monkeypatch):  # noqa: F811
    listing = make_listing(make_provider(), title="锂电池安全检测")
    indexer.sync()
    before = indexer.backend().position()
    db.session.add(SearchOutbox(listing_id=listing.id, action="update"))
    db.session.commit()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("whoosh.writing.SegmentWriter.update_document", fail)
    with pytest.raises(OSError):
        indexer.sync()
    assert indexer.backend().position() == before and indexer.lag() == 1
    monkeypatch.undo()
    assert indexer.sync() == 1 and indexer.lag() == 0


def test_development_requests_apply_one_small_batch_and_say_when_behind(app, client, caplog):
    import_csv(3)
    indexer.rebuild()
    import_csv(120, start=3)
    app.config["SEARCH_SYNC_AFTER_REQUEST"] = True
    assert client.get("/").status_code == 200
    assert indexer.lag() == 120 - 50
    assert "outbox rows behind" in caplog.text


def use_replica(app, tmp_path, name):
    app.config.update(SEARCH_INDEX_DIR=str(tmp_path / name), SEARCH_REPLICA=name)


def test_replicas_follow_independently_and_pruning_keeps_what_live_ones_need(app, tmp_path, make_provider,
                                                                             make_listing):  # noqa: F811
    user = make_provider()
    first = make_listing(user, title="锂电池安全检测")
    use_replica(app, tmp_path, "host-a")
    indexer.sync()
    use_replica(app, tmp_path, "host-b")
    indexer.sync()
    written = outbox_rows()
    assert indexer.prune_outbox() == written - 1  # both passed every row; the newest stays
    second = make_listing(user, title="电磁兼容预测试")
    new_rows = outbox_rows() - 1
    use_replica(app, tmp_path, "host-a")
    assert indexer.sync() == new_rows and found("电磁兼容") == [second.id]
    indexer.prune_outbox()  # only the row both had passed may go: host-b has not applied the new ones
    lags = {replica["name"]: replica["lag"] for replica in indexer.index_status()["replicas"]}
    assert lags == {"host-a": 0, "host-b": new_rows} and outbox_rows() == new_rows
    use_replica(app, tmp_path, "host-b")
    assert found("电磁兼容") == [] and indexer.sync() >= 1 and found("电磁兼容") == [second.id]
    assert indexer.prune_outbox() > 0
    assert outbox_rows() == 1
    assert found("锂电池") == [first.id]


def test_a_replica_dropped_as_dead_rebuilds_when_it_returns(app, tmp_path, make_provider, make_listing):  # noqa: F811
    from datetime import timedelta

    from marketplace.database import utcnow

    user = make_provider()
    use_replica(app, tmp_path, "host-a")
    indexer.sync()
    use_replica(app, tmp_path, "host-b")
    indexer.sync()
    db.session.execute(SearchReplica.__table__.update().where(SearchReplica.name == "host-b")
                       .values(seen_at=utcnow() - timedelta(days=30)))
    db.session.commit()
    gone = make_listing(user, title="电磁兼容预测试")
    use_replica(app, tmp_path, "host-a")
    indexer.sync()
    indexer.prune_outbox()
    db.session.commit()
    assert db.session.get(SearchReplica, "host-b") is None
    use_replica(app, tmp_path, "host-b")
    indexer.sync()
    assert "not registered" in indexer.index_status()["auto_rebuild_reason"]
    assert found("电磁兼容") == [gone.id]


@pytest.mark.postgres_only
def test_a_row_committed_late_is_not_skipped(app, make_provider, make_listing):  # noqa: F811
    """PostgreSQL draws ids at insert: a transaction holding id N may commit after N+1 is read."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time: ids are commit order there")
    user = make_provider()
    early, late = make_listing(user, title="锂电池安全检测"), make_listing(user, title="电磁兼容预测试")
    indexer.sync()
    listings.unpublish_listing(user, early.id)
    listings.unpublish_listing(user, late.id)
    db.session.commit()
    indexer.rebuild()
    slow = db.engine.connect()
    transaction = slow.begin()
    slow.execute(text("INSERT INTO search_outbox (txid, listing_id, action, created_at) "
                      "VALUES (pg_current_xact_id()::text::bigint, :id, 'update', now())"), {"id": early.id})
    listings.republish_listing(user, late.id)  # a later transaction, committed first
    db.session.commit()
    with db.engine.begin() as other:  # what the slow writer would commit with its row
        other.execute(text("UPDATE listings SET status = 'published' WHERE id = :id"), {"id": early.id})
    assert indexer.sync() == 0  # the late row is behind the horizon: nothing is taken past it
    transaction.commit()
    slow.close()
    assert indexer.sync() == 2
    assert sorted(set(found("检测") + found("测试"))) == sorted([early.id, late.id])
