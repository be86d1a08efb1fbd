"""Synonym groups expanded at query time, edited by admins (seeded by the search migrations)."""
from pathlib import Path

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db

SEED_SYNONYMS = [
    "IP, 知识产权", "EMC, 电磁兼容, 电磁兼容性", "高企, 高新技术企业, 国高企", "软著, 软件著作权, 软件版权, software copyright",
    "检测, 测试, 检验", "认证, certification", "专利, patent", "商标, trademark", "贯标, 知识产权管理体系",
    "加计扣除, 研发费用加计扣除", "孵化, 孵化器, 众创空间", "培训, 内训, training", "融资, 贷款",
    "工业设计, industrial design", "可靠性, 环境试验", "SEM, 扫描电镜", "XRD, X射线衍射",
]


SYNONYM_FILE = Path(__file__).with_name("data") / "synonyms.txt"


def synonym_file_groups():
    """The groups of data/synonyms.txt (their source is documented in its header), canonical
    ('a, b, c') and unique, in file order."""
    groups = []
    for line in SYNONYM_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            joined = ", ".join(split_terms(line))
            if joined not in groups:
                groups.append(joined)
    return groups


def seed_synonym_groups():
    """The synonym groups a new installation starts with: the first seed (migration
    d6e1a2c30006) and the file's (migration c8d9e0f10017), as term lists."""
    return [split_terms(terms) for terms in dict.fromkeys(SEED_SYNONYMS + synonym_file_groups())]


class Synonym(db.Model):
    """One group of equivalent terms, e.g. '检测, 测试, 检验' (comma-separated as typed)."""

    __tablename__ = "search_synonyms"

    id: Mapped[int] = mapped_column(primary_key=True)
    terms: Mapped[str] = mapped_column(String(300), unique=True)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def term_list(self):
        return split_terms(self.terms)


def split_terms(text):
    """'IP，知识产权; ip' → ['IP', '知识产权'] (trimmed, unique ignoring case, in order)."""
    seen, terms = set(), []
    for term in (text or "").replace("，", ",").replace("；", ",").replace(";", ",").replace("、", ",").split(","):
        term = " ".join(term.split())
        if term and term.lower() not in seen:
            seen.add(term.lower())
            terms.append(term)
    return terms


class SearchReplica(db.Model):
    """A host's search index as its indexer last reported it: its position in the outbox log
    (the copy that counts is committed with the index itself) and when it was last seen. The
    admin search page shows every replica's lag; pruning keeps every row a live replica needs."""

    __tablename__ = "search_replicas"

    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    position_txid: Mapped[int] = mapped_column(BigInteger)
    position_id: Mapped[int] = mapped_column(BigInteger)
    documents: Mapped[int | None] = mapped_column(Integer)
    seen_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
