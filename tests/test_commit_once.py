"""Views commit once, through the transaction helper: a transient refusal at commit is retried
with the same input (never a 500, nothing saved twice), and no view commits by hand."""
import io
import pathlib
import re

from sqlalchemy import func, select

from marketplace.audit.models import VerifyRun
from marketplace.auth.models import Organisation
from marketplace.catalog.models import Listing, ListingRevision
from marketplace.extensions import db
from tests.catalog.conftest import form_for_listing, listing_data, make_provider  # noqa: F401 (a fixture)
from tests.catalog.test_import import HEADER, ROWS


def count(model):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_no_view_commits_by_hand():
    package = pathlib.Path(__file__).parent.parent / "marketplace"
    by_hand = [f"{path.relative_to(package)}:{number}" for path in package.rglob("*views*.py")
               for number, line in enumerate(path.read_text().splitlines(), 1)
               if re.search(r"session\.commit\(\)", line)]
    assert by_hand == []


def test_a_provider_saves_a_listing_although_the_first_commit_is_refused(client, auth, make_provider,
                                                                         refuse_next_commit):
    auth.login(make_provider())
    calls = refuse_next_commit()
    response = client.post("/my/listings/new", data=form_for_listing())
    assert response.status_code == 302
    assert calls == ["commit", "commit"] and count(Listing) == 1 and count(ListingRevision) == 1


def test_an_operator_approves_a_revision_although_the_first_commit_is_refused(client, auth, make_user,
                                                                             make_provider, refuse_next_commit):
    from marketplace.catalog import listings

    provider = make_provider()
    listing = listings.create_listing(provider, listing_data())
    listings.submit_listing(provider, listing.id)
    db.session.commit()
    revision_id = listing.working_revision_id
    auth.login(make_user("admin"))
    calls = refuse_next_commit()
    response = client.post(f"/admin/catalog/listings/{revision_id}/approve", data={})
    assert response.status_code == 302 and response.location.endswith("/admin/catalog/listings")
    assert len(calls) == 2 and db.session.get(Listing, listing.id).status == "published"


def test_an_import_is_kept_once_although_the_first_commit_is_refused(client, auth, make_user, refuse_next_commit):
    auth.login(make_user("admin"))
    organisations = count(Organisation)
    calls = refuse_next_commit()
    response = client.post("/admin/catalog/import", content_type="multipart/form-data",
                           data={"file": (io.BytesIO((HEADER + ROWS).encode()), "listings.csv")})
    assert response.status_code == 200 and "新建 4 项" in response.get_data(as_text=True)
    assert len(calls) == 2 and count(Listing) == 4 and count(Organisation) == organisations + 2


def test_a_stopped_import_keeps_nothing_not_even_its_providers(client, auth, make_user):
    auth.login(make_user("admin"))
    organisations = count(Organisation)
    bad = HEADER + ROWS + "C-2,某机构,astrology,标题,描述,100,1,\n"
    response = client.post("/admin/catalog/import", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(bad.encode()), "bad.csv")})
    assert response.status_code == 200 and "未导入任何数据" in response.get_data(as_text=True)
    assert count(Listing) == 0 and count(Organisation) == organisations


def test_the_verify_button_keeps_one_run_although_the_first_commit_is_refused(client, auth, make_user,
                                                                             refuse_next_commit):
    auth.login(make_user("admin"))
    calls = refuse_next_commit()
    assert client.post("/admin/integrity/verify", data={}).status_code == 302
    assert len(calls) == 2 and count(VerifyRun) == 1
