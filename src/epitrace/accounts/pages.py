"""Sign-in pages (staff password, citizen phone + code), the citizen's page, staff admin."""

from __future__ import annotations

import secrets
import uuid
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from epitrace.accounts import access
from epitrace.accounts import phone as phone_numbers
from epitrace.accounts import service as account_service
from epitrace.accounts.models import UserAccount
from epitrace.domains import domain_modules
from epitrace.errors import DomainError
from epitrace.places import service as place_service
from epitrace.security import audit, ratelimit
from epitrace.security.permissions import public
from epitrace.security.roles import STAFF_ROLES, Role
from epitrace.web import i18n
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
from epitrace.web.routing import make_router
from epitrace.web.templating import render

router = make_router(include_in_schema=False)


def start_session(request: Request, account: UserAccount) -> None:
    """A fresh session (new CSRF token) for a freshly signed-in account."""
    request.session.clear()
    request.session["uid"] = str(account.id)
    request.session["csrf"] = secrets.token_urlsafe(24)


def safe_next(target: str | None, default: str) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return default


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
        request, "accounts/login.html", {"next": next or "", "errors": {}, "username": ""}
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
        ratelimit.hit(
            session,
            key=f"login-user:{username.lower()}",
            limit=settings.login_rate_limit,
            window_seconds=settings.login_rate_window_seconds,
        )
        account = account_service.authenticate_staff(session, username=username, password=password)
    except DomainError as exc:
        message = i18n.gettext(exc.message, **exc.params)
        return render(
            request,
            "accounts/login.html",
            {"next": next, "errors": {"form": message}, "username": username},
            status_code=exc.status_code,
        )
    start_session(request, account)
    return RedirectResponse(safe_next(next, "/staff"), status_code=303)


@router.post("/logout")
@public
async def logout(request: Request) -> Response:
    if request.session.get("uid"):
        await check_csrf(request)
    request.session.clear()
    return RedirectResponse("/", status_code=303)


# -- citizen sign-in ----------------------------------------------------------------------


@router.get("/signin", response_class=HTMLResponse)
@public
def signin_form(request: Request, next: str | None = None) -> HTMLResponse:
    ensure_csrf(request)
    return render(
        request,
        "accounts/signin.html",
        {"step": "phone", "phone": "", "next": next or "", "errors": {}},
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
            ratelimit.hit(
                session,
                key=f"otp-ip:{client_ip(request)}",
                limit=settings.login_rate_limit * 3,
                window_seconds=settings.login_rate_window_seconds,
            )
            canonical = account_service.request_otp(
                session,
                phone=phone,
                sms=sms,
                ttl_seconds=settings.otp_ttl_seconds,
                length=settings.otp_length,
            )
            return render(
                request,
                "accounts/signin.html",
                {
                    "step": "code",
                    "phone": phone_numbers.display(canonical),
                    "next": next,
                    "errors": {},
                },
            )
        account = account_service.verify_otp(session, phone=phone, code=code)
    except DomainError as exc:
        errors = {k: i18n.gettext(v) for k, v in exc.fields.items()}
        errors.setdefault("form", i18n.gettext(exc.message, **exc.params))
        return render(
            request,
            "accounts/signin.html",
            {"step": step, "phone": phone, "next": next, "errors": errors},
            status_code=exc.status_code,
        )
    start_session(request, account)
    return RedirectResponse(safe_next(next, "/me"), status_code=303)


# -- citizen's page -----------------------------------------------------------------------


@router.get("/me", response_class=HTMLResponse)
def my_page(request: Request, session: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    person_id = access.citizen_person_id(principal)
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
            "errors": {},
        },
    )


@router.post("/me/profile")
def my_profile_submit(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    full_name: Annotated[str, Form(max_length=200)] = "",
    birth_year: Annotated[str, Form(max_length=4)] = "",
    ward_code: Annotated[str, Form(max_length=16)] = "",
    address: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    user = access.citizen_self(principal)
    account = account_service.get_account_or_404(session, user_id=user.user_id)
    year = int(birth_year) if birth_year.isdigit() else None
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
    full_name: Annotated[str, Form(max_length=200)] = "",
    birth_year: Annotated[str, Form(max_length=4)] = "",
    relationship: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    person_id = access.citizen_person_id(principal)
    year = int(birth_year) if birth_year.isdigit() else None
    account_service.add_dependent(
        session,
        guardian_id=person_id,
        full_name=full_name,
        birth_year=year,
        relationship=relationship,
    )
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


def _users_context(session: Any) -> dict[str, Any]:
    return {"users": account_service.get_all_staff(session), "roles": STAFF_ROLES}


@router.get("/admin/users", response_class=HTMLResponse)
def admin_users(request: Request, session: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    access.manage_users(principal)
    return render(request, "accounts/admin_users.html", {**_users_context(session), "errors": {}})


@router.post("/admin/users", response_class=HTMLResponse)
def admin_users_create(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    username: Annotated[str, Form(max_length=80)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=30)] = "",
    area_code: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    user = access.manage_users(principal)
    try:
        selected = Role(role)
        account = account_service.create_staff(
            session,
            username=username,
            password=password,
            display_name=display_name or None,
            grants=[(selected, area_code or None)],
        )
    except (DomainError, ValueError) as exc:
        session.rollback()
        message = (
            i18n.gettext(exc.message, **exc.params)
            if isinstance(exc, DomainError)
            else i18n.gettext("Choose one of the allowed values.")
        )
        return render(
            request,
            "accounts/admin_users.html",
            {**_users_context(session), "errors": {"form": message}},
            status_code=422,
        )
    audit.record(
        session,
        actor=user,
        action="create",
        subject_type="user_account",
        subject_id=account.id,
        detail={"grants": [[selected.value, area_code or None]]},
    )
    flash(request, i18n.gettext("Account %(username)s was created.", username=account.username))
    return RedirectResponse("/admin/users", status_code=303)
