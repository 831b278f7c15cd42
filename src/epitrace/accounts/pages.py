"""Sign-in pages (staff password, citizen phone + code), the citizen's page, staff admin."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from epitrace.accounts import access
from epitrace.accounts import phone as phone_numbers
from epitrace.accounts import service as account_service
from epitrace.accounts.models import UserAccount
from epitrace.accounts.privacy import PRIVACY_NOTICE_VERSION
from epitrace.domains import domain_modules
from epitrace.errors import N_, DomainError, InvalidInput
from epitrace.places import service as place_service
from epitrace.security import audit, ratelimit
from epitrace.security.permissions import Principal, grant_covers, public
from epitrace.security.roles import STAFF_ROLES, Role
from epitrace.web import fields, i18n
from epitrace.web import sessions as web_sessions
from epitrace.web.deps import (
    AppSettings,
    CurrentPrincipal,
    DbSession,
    Sms,
    check_csrf,
    client_ip,
    ensure_csrf,
    flash,
)
from epitrace.web.links import StaffLink
from epitrace.web.pages import ROLE_NAMES
from epitrace.web.redirects import safe_next
from epitrace.web.routing import make_router
from epitrace.web.templating import render

router = make_router(include_in_schema=False)


@lru_cache(maxsize=1)
def citizen_links() -> tuple[StaffLink, ...]:
    links: list[StaffLink] = []
    for module in domain_modules("links"):
        links.extend(getattr(module, "CITIZEN_LINKS", []))
    return tuple(links)


# -- staff sign-in ------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
@public
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    ensure_csrf(request)
    return render(
        request,
        "accounts/login.html",
        {"next": safe_next(next, ""), "errors": {}, "username": ""},
    )


@router.post("/login", response_class=HTMLResponse)
@public
async def login_submit(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    username: Annotated[str, Form(max_length=80)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    await check_csrf(request)
    try:
        ratelimit.hit(
            session,
            key=f"login-ip:{client_ip(request)}",
            limit=settings.login_rate_limit,
            window_seconds=settings.login_rate_window_seconds,
        )
        account_service.count_login_attempt(
            session,
            username=username,
            limit=settings.login_rate_limit,
            window_seconds=settings.login_rate_window_seconds,
        )
        account = account_service.authenticate_staff(session, username=username, password=password)
    except DomainError as exc:
        message = i18n.gettext(exc.message, **exc.params)
        return render(
            request,
            "accounts/login.html",
            {"next": safe_next(next, ""), "errors": {"form": message}, "username": username},
            status_code=exc.status_code,
        )
    web_sessions.sign_in(request, session, account, settings)
    return RedirectResponse(safe_next(next, "/staff"), status_code=303)


@router.post("/logout")
@public
async def logout(request: Request, session: DbSession) -> Response:
    """End this browser's session: its row goes, so a copy of the cookie is worthless."""
    if web_sessions.signed_in_user(request) is not None:
        await check_csrf(request)
    web_sessions.sign_out(request, session)
    return RedirectResponse("/", status_code=303)


# -- one's own account: sessions, signing out everywhere, password -------------------------


def _account_page(
    request: Request,
    session: Any,
    settings: Any,
    user: Principal,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "accounts/account.html",
        {
            "sessions": web_sessions.sessions_of(session, user_id=user.user_id, settings=settings),
            "current_id": web_sessions.current_session_id(request),
            "is_staff": user.kind == "staff",
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/account", response_class=HTMLResponse)
def account_page(
    request: Request, session: DbSession, settings: AppSettings, principal: CurrentPrincipal
) -> HTMLResponse:
    user = access.signed_in(principal)
    return _account_page(request, session, settings, user)


@router.post("/account/sign-out-everywhere")
def account_sign_out_everywhere(
    request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    user = access.signed_in(principal)
    account_service.end_access(session, user_id=user.user_id)
    audit.record(
        session, actor=user, action="sign_out", subject_type="user_account", subject_id=user.user_id
    )
    web_sessions.sign_out(request, session)
    flash(request, i18n.gettext("You were signed out on every device."))
    return RedirectResponse("/login" if user.kind == "staff" else "/signin", status_code=303)


@router.post("/account/password", response_class=HTMLResponse)
def account_password(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: CurrentPrincipal,
    current_password: Annotated[str, Form(max_length=200)] = "",
    new_password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    user = access.signed_in(principal)
    account = account_service.get_account_or_404(session, user_id=user.user_id)
    try:
        account_service.change_own_password(
            session,
            account=account,
            current_password=current_password,
            new_password=new_password,
            keep_session_id=web_sessions.current_session_id(request),
        )
    except DomainError as exc:
        session.rollback()
        return _account_page(
            request, session, settings, user, errors=_form_errors(exc), status_code=exc.status_code
        )
    audit.record(
        session, actor=user, action="password", subject_type="user_account", subject_id=user.user_id
    )
    flash(request, i18n.gettext("Your password was changed; your other sessions ended."))
    return RedirectResponse("/account", status_code=303)


# -- citizen sign-in ----------------------------------------------------------------------


@router.get("/signin", response_class=HTMLResponse)
@public
def signin_form(request: Request, next: str | None = None) -> HTMLResponse:
    ensure_csrf(request)
    return render(
        request,
        "accounts/signin.html",
        {
            "step": "phone",
            "phone": "",
            "next": safe_next(next, ""),
            "errors": {},
            "notice_version": PRIVACY_NOTICE_VERSION,
        },
    )


@router.post("/signin", response_class=HTMLResponse)
@public
async def signin_submit(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    sms: Sms,
    phone: Annotated[str, Form(max_length=20)] = "",
    code: Annotated[str, Form(max_length=10)] = "",
    next: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    await check_csrf(request)
    step = "code" if code else "phone"
    try:
        if step == "phone":
            canonical = account_service.request_otp(
                session,
                phone=phone,
                address=client_ip(request),
                sms=sms,
                ttl_seconds=settings.otp_ttl_seconds,
                length=settings.otp_length,
                limits=account_service.otp_limits(settings),
            )
            return render(
                request,
                "accounts/signin.html",
                {
                    "step": "code",
                    "phone": phone_numbers.display(canonical),
                    "next": safe_next(next, ""),
                    "errors": {},
                    "notice_version": PRIVACY_NOTICE_VERSION,
                },
            )
        account = account_service.verify_otp(
            session,
            phone=phone,
            code=code,
            live_codes=settings.limit_otp_live_codes,
            notice_version=PRIVACY_NOTICE_VERSION,  # shown above the code field
        )
    except DomainError as exc:
        errors = {k: i18n.gettext(v) for k, v in exc.fields.items()}
        errors.setdefault("form", i18n.gettext(exc.message, **exc.params))
        response = render(
            request,
            "accounts/signin.html",
            {
                "step": step,
                "phone": phone,
                "next": safe_next(next, ""),
                "errors": errors,
                "notice_version": PRIVACY_NOTICE_VERSION,
            },
            status_code=exc.status_code,
        )
        response.headers.update(exc.headers())
        return response
    web_sessions.sign_in(request, session, account, settings)
    return RedirectResponse(safe_next(next, "/me"), status_code=303)


# -- citizen's page -----------------------------------------------------------------------


@router.get("/me", response_class=HTMLResponse)
def my_page(request: Request, session: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    person_id = access.citizen_person_id(principal)
    return _my_page(request, session, person_id)


def _my_page(
    request: Request,
    session: DbSession,
    person_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    dependent: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The citizen's page; after a refused relative, with the message and what was typed."""
    person = account_service.get_person(session, person_id=person_id)
    ward = place_service.get(session, code=person.ward_code) if person.ward_code else None
    links = [{"href": link.href, "label": i18n.gettext(link.label)} for link in citizen_links()]
    return render(
        request,
        "accounts/me.html",
        {
            "person": person,
            "ward": ward,
            "dependents": account_service.get_dependents(session, guardian_id=person_id),
            "links": links,
            "errors": errors or {},
            "dependent": dependent or {},
        },
        status_code=status_code,
    )


def _birth_year(raw: str) -> int | None:
    year, problem, params = fields.parse_form_birth_year(raw)
    if problem is not None:
        raise fields.form_error("birth_year", problem, params)
    return year


@router.post("/me/profile")
def my_profile_submit(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    full_name: Annotated[str, Form(max_length=200)] = "",
    birth_year: Annotated[str, Form(max_length=4)] = "",
    ward_code: Annotated[str, Form(max_length=300)] = "",
    address: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    user = access.citizen_self(principal)
    account = account_service.get_account_or_404(session, user_id=user.user_id)
    year = _birth_year(birth_year)
    ward_code = place_service.resolve(session, text=ward_code, field="ward_code") or ""
    account_service.update_profile(
        session,
        account=account,
        full_name=full_name,
        birth_year=year,
        ward_code=ward_code or None,
        address=address,
    )
    flash(request, i18n.gettext("Your profile was saved."))
    return RedirectResponse("/me", status_code=303)


@router.post("/me/dependents")
def my_dependent_add(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    full_name: Annotated[str, Form(max_length=200)] = "",
    birth_year: Annotated[str, Form(max_length=4)] = "",
    relationship: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    person_id = access.citizen_person_id(principal)
    try:
        year = _birth_year(birth_year)
        account_service.add_dependent(
            session,
            guardian_id=person_id,
            full_name=full_name,
            birth_year=year,
            relationship=relationship,
            max_dependents=settings.limit_dependents,
        )
    except DomainError as exc:
        session.rollback()
        errors = {f"dependent_{k}": i18n.gettext(v) for k, v in exc.fields.items()}
        errors["dependent"] = i18n.gettext(exc.message, **exc.params)
        typed = {"full_name": full_name, "birth_year": birth_year, "relationship": relationship}
        response = _my_page(
            request,
            session,
            person_id,
            errors=errors,
            dependent=typed,
            status_code=exc.status_code,
        )
        response.headers.update(exc.headers())
        return response
    flash(request, i18n.gettext("The relative was added."))
    return RedirectResponse("/me", status_code=303)


@router.post("/me/dependents/{dependent_id}/delete")
def my_dependent_remove(
    dependent_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    person_id = access.citizen_person_id(principal)
    account_service.remove_dependent(session, guardian_id=person_id, dependent_id=dependent_id)
    flash(request, i18n.gettext("The relative was removed."))
    return RedirectResponse("/me", status_code=303)


# -- staff administration -----------------------------------------------------------------
#
# Administrators see and manage the accounts of their own area only, and grant roles at or
# below their own inside it (`accounts.service`, rule in `security.permissions.may_grant`).


def _role_names() -> dict[Role, str]:
    return {r: i18n.gettext(n) for r, n in ROLE_NAMES.items()}


def _grantable_roles(user: Principal) -> list[Role]:
    """Roles the administrator may grant somewhere (the form offers only these)."""
    return [r for r in STAFF_ROLES if any(grant_covers(g, r, g.area_path) for g in user.grants)]


def _users_page(
    request: Request,
    session: Any,
    user: Principal,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "accounts/admin_users.html",
        {
            "users": account_service.get_all_staff(session, granter=user),
            "roles": _grantable_roles(user),
            "role_names": _role_names(),
            "form": form or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


def _form_errors(exc: DomainError) -> dict[str, str]:
    errors = {k: i18n.gettext(v) for k, v in exc.fields.items()}
    errors["form"] = i18n.gettext(exc.message, **exc.params)
    return errors


@router.get("/admin/users", response_class=HTMLResponse)
def admin_users(request: Request, session: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    user = access.manage_users(principal)
    ensure_csrf(request)
    return _users_page(request, session, user)


@router.post("/admin/users", response_class=HTMLResponse)
def admin_users_create(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    username: Annotated[str, Form(max_length=80)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=30)] = "",
    area_code: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    user = access.manage_users(principal)
    form = {
        "username": username,
        "display_name": display_name,
        "role": role,
        "area_code": area_code,
    }
    try:
        area_code = (
            place_service.resolve(session, text=area_code, field="area_code", leaves_only=False)
            or ""
        )
        selected = _parse_role(role)
        account = account_service.create_staff(
            session,
            username=username,
            password=password,
            display_name=display_name or None,
            grants=[(selected, area_code.strip() or None)],
            granter=user,
        )
    except DomainError as exc:
        session.rollback()
        return _users_page(
            request,
            session,
            user,
            form=form,
            errors=_form_errors(exc),
            status_code=exc.status_code,
        )
    audit.record(
        session,
        actor=user,
        action="create",
        subject_type="user_account",
        subject_id=account.id,
        detail={"grants": [[selected.value, area_code.strip() or None]]},
    )
    flash(request, i18n.gettext("Account %(username)s was created.", username=account.username))
    return RedirectResponse(f"/admin/users/{account.id}", status_code=303)


def _parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput(
            N_("Choose one of the allowed values."),
            fields={"role": N_("Choose one of the allowed values.")},
        ) from None


def _user_page(
    request: Request,
    session: Any,
    user: Principal,
    account: UserAccount,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    codes = [g.area_code for g in account.grants if g.area_code]
    return render(
        request,
        "accounts/admin_user.html",
        {
            "account": account,
            "roles": _grantable_roles(user),
            "role_names": _role_names(),
            "area_names": place_service.names_of(session, codes=codes),
            "errors": errors or {},
            "is_self": account.id == user.user_id,
        },
        status_code=status_code,
    )


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def admin_user(
    user_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> HTMLResponse:
    user = access.manage_users(principal)
    account = account_service.get_staff_for(session, granter=user, user_id=user_id)
    ensure_csrf(request)
    return _user_page(request, session, user, account)


def _admin_change(
    request: Request,
    session: Any,
    principal: Principal | None,
    user_id: uuid.UUID,
    change: Callable[[Principal, UserAccount], tuple[str, dict[str, Any] | None, str]],
) -> Response:
    """Run one change to a managed account; re-render its page with the reason if refused."""
    user = access.manage_users(principal)
    account = account_service.get_staff_for(session, granter=user, user_id=user_id)
    try:
        action, detail, message = change(user, account)
    except DomainError as exc:
        session.rollback()
        account = account_service.get_staff_for(session, granter=user, user_id=user_id)
        return _user_page(
            request, session, user, account, errors=_form_errors(exc), status_code=exc.status_code
        )
    audit.record(
        session,
        actor=user,
        action=action,
        subject_type="user_account",
        subject_id=account.id,
        detail=detail,
    )
    flash(request, message)
    return RedirectResponse(f"/admin/users/{account.id}", status_code=303)


@router.post("/admin/users/{user_id}", response_class=HTMLResponse)
def admin_user_update(
    user_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    display_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    def change(user: Principal, account: UserAccount) -> tuple[str, dict[str, Any] | None, str]:
        account_service.update_staff(
            session, account=account, granter=user, display_name=display_name
        )
        return "update", {"display_name": display_name}, i18n.gettext("The account was saved.")

    return _admin_change(request, session, principal, user_id, change)


@router.post("/admin/users/{user_id}/active", response_class=HTMLResponse)
def admin_user_active(
    user_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    active: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    def change(user: Principal, account: UserAccount) -> tuple[str, dict[str, Any] | None, str]:
        if active not in ("yes", "no"):
            raise InvalidInput(N_("Choose one of the allowed values."))
        account_service.update_staff(
            session, account=account, granter=user, is_active=active == "yes"
        )
        message = (
            i18n.gettext("The account was reactivated.")
            if account.is_active
            else i18n.gettext("The account was deactivated.")
        )
        return "update", {"is_active": account.is_active}, message

    return _admin_change(request, session, principal, user_id, change)


@router.post("/admin/users/{user_id}/grants", response_class=HTMLResponse)
def admin_user_grant(
    user_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    role: Annotated[str, Form(max_length=30)] = "",
    area_code: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    def change(user: Principal, account: UserAccount) -> tuple[str, dict[str, Any] | None, str]:
        selected = _parse_role(role)
        area = place_service.resolve(session, text=area_code, field="area_code", leaves_only=False)
        account_service.grant_role(
            session, account=account, role=selected, area_code=area, granter=user
        )
        return "grant", {"grant": [selected.value, area]}, i18n.gettext("The role was granted.")

    return _admin_change(request, session, principal, user_id, change)


@router.post("/admin/users/{user_id}/grants/{grant_id}/delete", response_class=HTMLResponse)
def admin_user_revoke(
    user_id: uuid.UUID,
    grant_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> Response:
    def change(user: Principal, account: UserAccount) -> tuple[str, dict[str, Any] | None, str]:
        grant = account_service.revoke_role(
            session, account=account, grant_id=grant_id, granter=user
        )
        detail = {"grant": [grant.role.value, grant.area_code]}
        return "revoke", detail, i18n.gettext("The role was taken away.")

    return _admin_change(request, session, principal, user_id, change)


@router.post("/admin/users/{user_id}/sign-out", response_class=HTMLResponse)
def admin_user_sign_out(
    user_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    def change(user: Principal, account: UserAccount) -> tuple[str, dict[str, Any] | None, str]:
        account_service.sign_out_account(session, account=account, granter=user)
        return "sign_out", None, i18n.gettext("The account was signed out on every device.")

    return _admin_change(request, session, principal, user_id, change)


@router.post("/admin/users/{user_id}/password", response_class=HTMLResponse)
def admin_user_password(
    user_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    def change(user: Principal, account: UserAccount) -> tuple[str, dict[str, Any] | None, str]:
        account_service.reset_password(session, account=account, password=password, granter=user)
        return "password", None, i18n.gettext("The new password was set.")

    return _admin_change(request, session, principal, user_id, change)
