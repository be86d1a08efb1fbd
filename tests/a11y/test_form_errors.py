"""Every error a form shows is tied to its control: the message has an id, the control (or its
group's options) names it in aria-describedby and says aria-invalid — so a screen reader reads the
error with the field, not somewhere on the page. Checked on forms of each kind of control."""
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.catalog.conftest import form_for_listing, make_provider  # noqa: F401 (a fixture)
from tests.vouchers.test_views import PROGRAM_FORM

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
CONTROLS = {"input", "select", "textarea", "fieldset"}


class ErrorWiring(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.errors, self.described = [], {}  # error ids; id → controls that point at it
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "error-text" in (attrs.get("class") or "").split():
            self.errors.append(attrs.get("id"))
        if tag in CONTROLS:
            for target in (attrs.get("aria-describedby") or "").split():
                self.described.setdefault(target, []).append((tag, attrs))

    def loose_errors(self):
        """Error messages no control points at, and controls pointing at an error without saying invalid."""
        loose = [error for error in self.errors if not error or error not in self.described]
        loose += [f"{error}: {tag} {attrs.get('name')} not aria-invalid" for error in self.errors
                  for tag, attrs in self.described.get(error, ()) if tag != "fieldset" and attrs.get("aria-invalid") != "true"]
        return loose


def assert_errors_tied(response, at_least=1):
    assert response.status_code in (200, 400, 422)
    wiring = ErrorWiring(response.get_data(as_text=True))
    assert len(wiring.errors) >= at_least, "the form showed no field error"
    assert wiring.loose_errors() == []


def test_text_fields(client):
    assert_errors_tied(client.post("/auth/login", data={"email": "", "password": ""}), at_least=2)


def test_radio_group_and_fields(client):
    assert_errors_tied(client.post("/auth/register", data={"kind": "nonsense"}), at_least=3)


def test_checkbox_group(client, auth, make_user):
    auth.login(make_user("provider"))
    assert_errors_tied(client.post("/my/profile", data={"description": "x" * 20, "city": "厦门", "categories": []}))


def test_package_group_and_fields(client, auth, make_provider):
    auth.login(make_provider())
    data = form_for_listing()
    data = {key: ("" if key.startswith("packages-") else value) for key, value in data.items()}
    assert_errors_tied(client.post("/my/listings/new", data=data))


@pytest.mark.parametrize("field, value", [("eligible_categories", []), ("ratio", "101"), ("required_evidence", ["nonsense"])])
def test_program_form(client, auth, admin, field, value):
    auth.login(admin)
    assert_errors_tied(client.post("/admin/programs/new", data={**PROGRAM_FORM, field: value}))


def test_single_checkbox(client, auth, admin, make_program, enterprise, issue):
    voucher = issue(make_program(), enterprise, 5_000_00)
    auth.login(admin)
    assert_errors_tied(client.post(f"/admin/vouchers/{voucher.id}/revoke", data={"reason": "关联交易"}))


def test_templates_render_field_errors_only_through_the_form_macros():
    """A hand-written error line would not be tied to its field: field errors come from _forms.html."""
    hand_written = [str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*.html")
                    if path.name != "_forms.html" and ".errors|join" in path.read_text()
                    and path.name != "my_listing.html"]  # its upload error shows where the form is hidden
    assert hand_written == []
