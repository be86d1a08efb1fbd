"""Synonyms at scale: the shipped groups, their seeding migration, and analysis that does not
depend on the queries a process has served."""
import importlib.util
from pathlib import Path

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.search import analysis
from marketplace.search.models import SYNONYM_FILE, Synonym, seed_synonym_groups, synonym_file_groups
from marketplace.search.services import clean_terms
from tests.search.conftest import SYNONYMS_WITH_NEW_WORDS

MIGRATION = next(Path("migrations/versions").glob("*_c8d9e0f10017_*.py"))


def migration_seed():
    spec = importlib.util.spec_from_file_location("synonym_migration", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SEED


def test_the_file_has_over_300_valid_groups_and_says_where_they_come_from():
    groups = synonym_file_groups()
    assert len(groups) >= 300
    assert all(clean_terms(group) == group for group in groups)  # what the admin form would accept
    header = SYNONYM_FILE.read_text(encoding="utf-8").split("\n\n")[0]
    assert "Source" in header and "c8d9e0f10017" in header
    for expected in ("高企", "软著", "知产", "技术移转", "FTO"):
        assert any(expected in group.split(", ") for group in groups), expected


def test_the_migration_holds_a_copy_of_the_file():
    assert migration_seed() == synonym_file_groups(), "synonyms.txt changed: add a migration seeding the change"


def test_the_migration_seeded_the_admin_editable_table(app):
    with app.app_context():
        stored = set(db.session.scalars(select(Synonym.terms)))
        assert set(synonym_file_groups()) <= stored
        assert db.session.scalar(select(func.count(Synonym.id))) >= 300
    assert len(seed_synonym_groups()) >= 300


def test_analysis_does_not_learn_words_from_queries(run):
    """Before, query-time synonym groups taught the global segmenter their words, so what was
    indexed depended on the queries a process had served."""
    text = "火炬芯片流片验证服务"
    before = analysis.analyse(text)
    run.with_synonyms("火炬芯片流片", SYNONYMS_WITH_NEW_WORDS)  # groups holding words the segmenter lacks
    assert analysis.analyse(text) == before
    assert not analysis.segmenter().has_word("火炬芯片流片")


def test_a_synonym_added_at_run_time_still_matches(run):
    from tests.search.catalogue import key_of

    result = run.with_synonyms("暗房租借", [["暗房租借", "电波暗室租用"]])
    assert key_of(result.hits[0]["id"]) == "emc-chamber"


def test_the_synonym_table_is_paged_and_searchable(client, auth, make_user):
    from marketplace.admin.search_views import SYNONYMS_PER_PAGE
    from marketplace.extensions import db
    from marketplace.search.models import Synonym

    for n in range(SYNONYMS_PER_PAGE + 5):
        db.session.add(Synonym(terms=f"试验术语{n:03d}, zzterm{n:03d}"))
    db.session.commit()
    auth.login(make_user("admin"))
    first = client.get("/admin/search/synonyms?find=试验术语").get_data(as_text=True)
    assert "试验术语000" in first and "试验术语054" not in first and "第 1 页，共 2 页" in first
    assert "分组数：55" in first and "data-confirm" in first  # removing a group asks first
    second = client.get("/admin/search/synonyms?find=试验术语&page=2").get_data(as_text=True)
    assert "试验术语054" in second and "试验术语000" not in second
    assert "没有包含" in client.get("/admin/search/synonyms?find=%25").get_data(as_text=True)
    last = db.session.query(Synonym).filter_by(terms="试验术语054, zzterm054").one()
    editing = client.get(f"/admin/search/synonyms/{last.id}").get_data(as_text=True)
    assert 'name="terms"' in editing and 'value="试验术语054, zzterm054"' in editing  # the page the group is on
