from marketplace.audit.integrity import run_verify
from marketplace.extensions import db


def test_dashboard_shows_the_latest_integrity_check(client, auth, make_user):
    admin = make_user("admin")
    auth.login(admin)
    assert "尚未在后台校验过账本" in client.get("/admin/").get_data(as_text=True)
    db.session.commit()
    run_verify(admin)
    db.session.commit()
    page = client.get("/admin/").get_data(as_text=True)
    assert "完好" in page and "已校验 0 笔转账" in page
