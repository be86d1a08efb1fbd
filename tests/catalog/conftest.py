import io
from datetime import date, timedelta

import pytest
from PIL import Image

from marketplace.catalog import listings, providers
from marketplace.catalog.models import AdmissionStatus, ProviderProfile, Qualification
from marketplace.extensions import db


def png_bytes(size=(64, 48), color="orange", fmt="PNG"):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def make_provider(make_user):
    """make_provider(status="admitted") → a committed provider user whose profile has that status."""
    def make(status=AdmissionStatus.ADMITTED, email=None):
        user = make_user("provider", email=email)
        if status is not None:
            profile = ProviderProfile(organisation=user.organisation, description="检测认证服务，拥有 CNAS 认可实验室。" * 2,
                                      city="厦门", status=status)
            profile.qualifications = [Qualification(kind="cnas", number="CNAS L0001", issuer="CNAS",
                                                    valid_until=date.today() + timedelta(days=365))]
            db.session.add(profile)
            db.session.commit()
        return user
    return make


def listing_data(**overrides):
    values = {"title": "发明专利申请代理", "category_slug": "ip", "summary": "资深代理师撰写",
              "description": "**全流程** 代理", "tags": "专利;发明", "city": "厦门", "voucher_eligible": True,
              "packages": (listings.PackageData("标准版", 680000, 30, "撰写与提交"),
                           listings.PackageData("加急版", 980000, 15, "优先撰写"))}
    return listings.ListingData(**{**values, **overrides})


@pytest.fixture
def make_listing():
    """make_listing(user, published=True, **data) → a committed listing of the user's organisation."""
    def make(user, published=True, **overrides):
        from marketplace.catalog import moderation
        from marketplace.auth.models import User

        listing = listings.create_listing(user, listing_data(**overrides))
        if published:
            listings.submit_listing(user, listing.id)
            admin = db.session.query(User).filter_by(role="admin").first()
            if admin is None:
                admin = User(email=f"moderator{listing.id}@example.com", name="审核员", role="admin")
                admin.set_password("x-pass-12345")
                db.session.add(admin)
                db.session.flush()
            moderation.approve_revision(admin, listing.working_revision_id)
        db.session.commit()
        return listing
    return make


def form_for_listing(**overrides):
    """The POST body of the listing form."""
    data = {"title": "CNAS 电磁兼容预测试", "category": "testing-emc", "summary": "半天出结果",
            "description": "暗室 **3 米法**", "tags": "EMC;预测试", "city": "厦门", "service_area": "福建省",
            "delivery_time": "3 个工作日", "voucher_eligible": "y",
            "packages-0-name": "半天", "packages-0-price": "3,500", "packages-0-delivery_days": "1",
            "packages-0-includes": "辐射与传导发射摸底"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


__all__ = ["png_bytes", "PDF", "listing_data", "form_for_listing", "providers"]
