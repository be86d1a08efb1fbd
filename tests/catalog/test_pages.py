"""Public catalogue pages, taxonomy, Markdown sanitising, the moderation diff and demo data."""
import pytest
from sqlalchemy import func, select

from marketplace.catalog import listings, moderation
from marketplace.catalog.markdown import render_markdown
from marketplace.catalog.models import Category, Listing, ListingRevision, ProviderProfile
from marketplace.extensions import db
from tests.catalog.conftest import listing_data

SLUGS = ["ip", "testing", "rnd", "consulting", "transfer", "finance", "incubation", "training", "data"]


def test_taxonomy_is_seeded_with_chinese_and_english_names(app):
    top = db.session.scalars(select(Category).where(Category.parent_id.is_(None)).order_by(Category.position)).all()
    assert [c.slug for c in top] == SLUGS
    assert top[0].name_zh == "知识产权" and top[0].name_en == "Intellectual property"
    assert all(c.children for c in top)


def test_home_links_every_category_and_shows_featured(client, make_provider, make_listing):
    page = client.get("/").get_data(as_text=True)
    for slug in SLUGS:
        assert f'href="/categories/{slug}"' in page
    assert "暂无已上架的服务" in page
    listing = make_listing(make_provider())
    page = client.get("/").get_data(as_text=True)
    assert f"/listings/{listing.id}" in page and "¥6,800.00 起" in page and "可用创新券" in page


def test_featured_listings_vary_providers_and_categories_before_repeating(make_provider, make_listing):
    from marketplace.catalog.queries import featured_listing_ids, featured_listings

    busy, quiet = make_provider(), make_provider()
    make_listing(quiet, title="电磁兼容检测", category_slug="testing")
    for n in range(8):  # the busy provider's shelf is newer than the quiet one's listing
        make_listing(busy, title=f"专利服务{n}")
    featured = featured_listings(featured_listing_ids(limit=4))
    assert len(featured) == 4
    assert {listing.provider_id for listing in featured[:2]} == {busy.organisation_id, quiet.organisation_id}


def test_english_category_names(client):
    client.get("/auth/language/en")
    page = client.get("/categories/testing").get_data(as_text=True)
    assert "Testing, inspection and certification" in page and "EMC testing" in page


def test_category_page_sorts_and_paginates(client, app, make_provider, make_listing):
    app.config["PER_PAGE"] = 2
    user = make_provider()
    for title, price in (("甲", 300), ("乙", 100), ("丙", 200)):
        make_listing(user, title=f"服务{title}", packages=(listings.PackageData("标准", price * 100),))
    make_listing(user, title="服务丁", packages=(), price_on_request=True, category_slug="ip-patent")

    def titles(query):
        page = client.get(f"/categories/ip{query}").get_data(as_text=True)
        return [t for t in ("服务甲", "服务乙", "服务丙", "服务丁") if t in page]

    assert titles("?sort=price_asc") == ["服务乙", "服务丙"]
    assert titles("?sort=price_asc&page=2") == ["服务甲", "服务丁"]
    assert titles("?sort=price_desc") == ["服务甲", "服务丙"]
    assert titles("?sort=newest") == ["服务丙", "服务丁"]
    assert titles("?sort=bogus") == titles("?sort=newest")
    assert "第 1/2 页" in client.get("/categories/ip").get_data(as_text=True) or \
        "rel=\"next\"" in client.get("/categories/ip").get_data(as_text=True)
    assert titles("") and client.get("/categories/ip?page=abc").status_code == 404
    assert "服务丁" in client.get("/categories/ip-patent").get_data(as_text=True)


def test_empty_category_is_friendly(client):
    page = client.get("/categories/finance").get_data(as_text=True)
    assert "此类别暂无服务" in page and "浏览其他类别" in page
    assert client.get("/categories/astrology").status_code == 404


def test_listing_detail_shows_packages_provider_card_and_reviews_placeholder(client, make_provider, make_listing):
    user = make_provider()
    listing = make_listing(user, description="## 流程\n\n- 检索\n- 撰写")
    page = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "标准版" in page and "¥6,800.00" in page and "¥9,800.00" in page and "30 天交付" in page
    assert user.organisation.legal_name in page and "已入库认证" in page and "CNAS L0001" in page
    assert "CNAS 实验室认可" in page and "评价" in page and "<li>检索</li>" in page
    assert f'/providers/{user.organisation_id}"' in page


def test_provider_page_lists_its_published_services(client, make_provider, make_listing):
    user = make_provider()
    make_listing(user, title="已上架的服务")
    make_listing(user, title="还是草稿", published=False)
    page = client.get(f"/providers/{user.organisation_id}").get_data(as_text=True)
    assert "已上架的服务" in page and "还是草稿" not in page and "1 项服务" in page
    unadmitted = make_provider(status="pending")
    assert client.get(f"/providers/{unadmitted.organisation_id}").status_code == 404


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
    '<a href="jav&#x61;script:alert(1)">x</a>', "<svg onload=alert(1)>", "<iframe src=//evil></iframe>",
    '<p style="background:url(javascript:alert(1))">x</p>', "[x](JAVASCRIPT:alert(1))",
    "<details open ontoggle=alert(1)>", '<a href="data:text/html,<script>alert(1)</script>">x</a>',
])
def test_markdown_is_sanitised(source):
    html = str(render_markdown(source)).lower()
    assert "<script" not in html and "onerror" not in html and "onload" not in html and "ontoggle" not in html
    assert "javascript:" not in html and "<iframe" not in html and "style=" not in html and "data:text" not in html


def test_markdown_keeps_formatting():
    html = str(render_markdown("**粗体**\n\n- 一\n- 二\n\n[官网](https://example.com)"))
    assert "<strong>粗体</strong>" in html and "<li>一</li>" in html
    assert 'href="https://example.com"' in html and 'rel="nofollow noopener noreferrer"' in html


def test_moderation_diff_shows_changed_fields(client, auth, make_provider, make_listing, make_user):
    user = make_provider()
    listing = make_listing(user, title="旧标题", description="第一行\n第二行")
    listings.update_listing(user, listing.id, listing_data(title="新标题", description="第一行\n第二行改了"))
    listings.submit_listing(user, listing.id)
    db.session.commit()
    changes = {c.label: c for c in moderation.revision_diff(listing.working_revision)}
    assert changes["Title"].changed and (changes["Title"].old, changes["Title"].new) == ("旧标题", "新标题")
    assert not changes["Category"].changed
    assert "+ 第二行改了" in changes["Service description"].lines and "- 第二行" in changes["Service description"].lines
    auth.login(make_user("admin"))
    queue = client.get("/admin/catalog/listings").get_data(as_text=True)
    assert "新标题" in queue and "已上架服务的修改" in queue
    page = client.get(f"/admin/catalog/listings/{listing.working_revision_id}").get_data(as_text=True)
    assert "旧标题" in page and "新标题" in page and "diff-add" in page


def test_admin_approves_and_rejects_from_the_review_page(client, auth, make_provider, make_user):
    user = make_provider()
    first = listings.create_listing(user, listing_data(title="第一项"))
    second = listings.create_listing(user, listing_data(title="第二项"))
    listings.submit_listing(user, first.id)
    listings.submit_listing(user, second.id)
    db.session.commit()
    auth.login(make_user("admin"))
    client.post(f"/admin/catalog/listings/{first.working_revision_id}/approve", data={})
    rejected = second.working_revision_id
    assert client.post(f"/admin/catalog/listings/{rejected}/reject", data={"reason": ""}).status_code == 422
    client.post(f"/admin/catalog/listings/{rejected}/reject", data={"reason": "价格不清楚"})
    db.session.expire_all()
    assert db.session.get(Listing, first.id).status == "published"
    assert db.session.get(Listing, second.id).status == "rejected"
    assert db.session.get(ListingRevision, rejected).review_reason == "价格不清楚"


def test_demo_seed_publishes_at_least_60_listings_in_every_category(runner):
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    counted = db.session.scalar(select(func.count()).select_from(Listing))
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(Listing)) == counted >= 60
    top = func.coalesce(Category.parent_id, Category.id)
    categories = db.session.scalars(
        select(func.distinct(top)).select_from(Listing)
        .join(ListingRevision, Listing.published_revision_id == ListingRevision.id)
        .join(Category, ListingRevision.category_id == Category.id).where(Listing.status == "published")).all()
    assert len(categories) == 9
    assert db.session.scalar(select(func.count()).select_from(ProviderProfile)
                             .where(ProviderProfile.status == "admitted")) == 4
