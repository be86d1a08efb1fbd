from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from marketplace import limits
from marketplace.auth import services
from marketplace.auth.forms import ConfirmForm, LoginForm, PasswordForm, RegistrationForm, ResubmitForm
from marketplace.extensions import db, limiter, login_manager
from marketplace.forms import attempt
from marketplace.i18n import LOCALE_COOKIE
from marketplace.inputs import safe_next
from marketplace.ledger import run_in_transaction

bp = Blueprint("auth", __name__, url_prefix="/auth")
ORG_FIELDS = ("kind", "legal_name", "credit_code", "legal_representative", "city", "contact_phone",
              "registered_address")


@login_manager.user_loader
def load_user(session_id):
    return services.user_for_session(session_id)


@bp.route("/register", methods=["GET", "POST"])
@limits.registration
def register():
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    form = RegistrationForm()
    if form.validate_on_submit():
        org = services.OrganisationData(contact_name=form.name.data,
                                        **{name: getattr(form, name).data for name in ORG_FIELDS})
        account = services.AccountData(email=form.email.data, password=form.password.data, name=form.name.data)
        _result, ok = attempt(form, lambda: services.register_or_tell_owner(account, org))
        if ok:
            # The same answer whether or not the e-mail had an account (its owner is told by
            # e-mail), so the page cannot be used to find out who is registered.
            flash(_("Registration received. We have sent an e-mail to %(email)s; log in to follow the review.",
                    email=account.email), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form), 200 if not form.errors else 422


def login_failed(response):
    return response.status_code == 401


def login_rate_key():
    return f"{request.remote_addr}|{services.normalise_email(request.form.get('email'))}"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], key_func=login_rate_key,
               methods=["POST"], deduct_when=login_failed)
@limits.login_per_account
@limits.login_per_address
def login():
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = run_in_transaction(db.session, lambda: services.authenticate(form.email.data, form.password.data))
        except services.InvalidCredentials as error:
            form.form_errors.append(error.translated())
            return render_template("auth/login.html", form=form), 401
        login_user(user)
        return redirect(safe_next(request.args.get("next"), url_for("auth.account")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    if ConfirmForm().validate_on_submit():
        if current_user.is_authenticated:
            user = current_user._get_current_object()
            run_in_transaction(db.session, lambda: services.end_sessions(user))  # a copied cookie stops working too
        logout_user()
        flash(_("You have logged out."), "info")
    return redirect(url_for("catalog.home"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        _result, ok = attempt(form, lambda: services.change_password(user, form.current_password.data,
                                                                      form.new_password.data))
        if ok:
            login_user(current_user._get_current_object())  # this session goes on with the new version
            flash(_("Your password has been changed. Other sessions of your account have been logged out."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/password.html", form=form), 200 if not form.errors else 422


@bp.route("/account")
@login_required
def account():
    if current_user.is_admin:
        return redirect(url_for("admin.dashboard"))
    from marketplace.database import utcnow
    from marketplace.workspace.services import tasks_for

    organisation = current_user.organisation
    tasks = tasks_for(current_user, utcnow()) if organisation.is_approved else []
    from marketplace.notifications.services import email_kinds_for

    return render_template("auth/account.html", organisation=organisation, tasks=tasks,
                           email_kinds=email_kinds_for(current_user), preferences_form=ConfirmForm())


@bp.route("/account/resubmit", methods=["GET", "POST"])
@login_required
def resubmit():
    organisation = current_user.organisation
    if organisation is None or organisation.status != "rejected":
        return redirect(url_for("auth.account"))
    form = ResubmitForm(obj=organisation)
    if form.validate_on_submit():
        data = services.OrganisationData(kind=organisation.kind, **{
            name: getattr(form, name).data for name in ORG_FIELDS[1:] + ("contact_name",)})
        user = current_user._get_current_object()
        _result, ok = attempt(form, lambda: services.resubmit_organisation(user, data))
        if ok:
            flash(_("Your corrected registration is back in the review queue."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/resubmit.html", form=form)


@bp.route("/language/<code>")
def language(code):
    """Switch language; remembered in a cookie, and on the account when logged in."""
    languages = current_app.config["LANGUAGES"]
    target = safe_next(request.args.get("next"), url_for("catalog.home"))
    response = redirect(target)
    if code in languages:
        if current_user.is_authenticated:
            user = current_user._get_current_object()
            run_in_transaction(db.session, lambda: services.set_locale(user, code, languages))
        response.set_cookie(LOCALE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", False))  # HTTPS-only in production
    return response
