"""The outbox keeps the index fresh; only published listings of admitted providers are found;
a missing or corrupt index is rebuilt and search never answers 500."""
import os

import pytest
from sqlalchemy import select

from marketplace.catalog import listings
from marketplace.catalog.models import AdmissionStatus, ProviderProfile, SearchOutbox
from marketplace.extensions import db
from marketplace.search import indexer, services
from marketplace.search.backend import SearchRequest
from tests.catalog.conftest import make_listing, make_provider  # noqa: F401 (fixtures)


def found(q):
    return [hit["id"] for hit in services.search(SearchRequest(q=q)).hits]


@pytest.fixture
def published(make_provider, make_listing):  # noqa: F811
    user = make_provider()
    listing = make_listing(user, title="發明專利申請代理", tags="专利;发明")
    indexer.sync()
    return user, listing


def test_sync_applies_the_outbox_and_moves_the_position(published):
    _, listing = published
    assert found("专利申请") == [listing.id] and found("zhuanli") == [listing.id]
    assert indexer.lag() == 0 and indexer.sync() == 0


def test_drafts_are_never_indexed(make_provider, make_listing):  # noqa: F811
    make_listing(make_provider(), published=False, title="未发布的专利草稿")
    indexer.sync()
    assert found("草稿") == []


def test_update_reaches_the_index_only_once_approved(published):
    user, listing = published
    listings.update_listing(user, listing.id, listings.ListingData(
        title="电磁兼容预测试", category_slug="testing-emc", packages=(listings.PackageData("半天", 350000),)))
    db.session.commit()
    indexer.sync()
    assert found("专利申请") == [listing.id] and found("电磁兼容") == []


def test_unpublish_and_delete_remove_the_listing(published):
    user, listing = published
    listings.unpublish_listing(user, listing.id)
    db.session.commit()
    indexer.sync(batch_size=1)
    assert found("专利") == []
    listings.republish_listing(user, listing.id)
    db.session.commit()
    indexer.sync()
    assert found("专利") == [listing.id]
    listings.delete_listing(user, listing.id)
    db.session.commit()
    indexer.sync()
    assert found("专利") == []


def test_a_provider_that_is_no_longer_admitted_disappears_even_before_its_listings_change(published):
    user, listing = published
    profile = db.session.scalar(select(ProviderProfile).where(ProviderProfile.organisation_id == user.organisation_id))
    profile.status = AdmissionStatus.SUSPENDED
    db.session.add(SearchOutbox(listing_id=listing.id, action="update"))
    db.session.commit()
    indexer.sync()
    assert found("专利") == []


def test_reindex_builds_beside_and_swaps_atomically(app, published):
    _, listing = published
    path = app.config["SEARCH_INDEX_DIR"]
    first = os.path.realpath(path)
    assert indexer.rebuild() == 1
    assert os.path.islink(path) and os.path.realpath(path) != first
    assert found("专利") == [listing.id]


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_unusable_index_falls_back_then_is_rebuilt_with_a_warning(app, client, published, damage, caplog):
    _, listing = published
    live = os.path.realpath(app.config["SEARCH_INDEX_DIR"])
    for name in os.listdir(live):
        if damage == "missing":
            os.remove(os.path.join(live, name))
        else:
            with open(os.path.join(live, name), "wb") as handle:
                handle.write(b"\x00garbage")
    indexer.backend().forget()
    response = client.get("/search?q=专利")
    assert response.status_code == 200 and "發明專利申請代理" in response.get_data(as_text=True)
    api = client.get("/api/v1/search?q=专利").get_json()
    assert api["total"] == 1 and api["hits"][0]["id"] == listing.id
    assert not indexer.index_status()["healthy"]
    indexer.sync()
    assert "rebuilding" in caplog.text and indexer.index_status()["healthy"]
    assert indexer.index_status()["auto_rebuilt_at"]
    assert services.search(SearchRequest(q="专利")).stage == "strict"


def test_second_indexer_does_not_wait(app, published):
    with indexer.indexer_lock():
        assert indexer.sync() == 0


def test_cli_reindex_sync_and_status(runner, published):
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "Indexed 1 published listing(s)" in result.output
    assert runner.invoke(args=["search", "sync"]).output.startswith("Applied 0")
    assert "healthy: True" in runner.invoke(args=["search", "status"]).output


def test_worker_runs_the_search_job(runner, make_provider, make_listing):  # noqa: F811
    listing = make_listing(make_provider(), title="锂电池安全检测")
    assert runner.invoke(args=["worker", "--once"]).exit_code == 0
    assert found("锂电池") == [listing.id]
