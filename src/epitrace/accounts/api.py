"""JSON routes: sign-in (one-time codes, tokens), own account, dependents, staff accounts."""

from __future__ import annotations

import uuid

from fastapi import Request, Response

from epitrace.accounts import access
from epitrace.accounts import service as account_service
from epitrace.accounts.models import Person, UserAccount
from epitrace.accounts.schemas import (
    DependentIn,
    GrantOut,
    MeOut,
    OtpRequest,
    OtpRequested,
    PasswordChange,
    PasswordReset,
    PersonOut,
    ProfileIn,
    SessionOut,
    SignedOut,
    StaffGrantIn,
    StaffGrantOut,
    StaffIn,
    StaffOut,
    StaffUpdate,
    TokenOut,
    TokenRequest,
)
from epitrace.security import audit, ratelimit
from epitrace.security.permissions import public
from epitrace.web import sessions as web_sessions
from epitrace.web.deps import AppSettings, CurrentPrincipal, DbSession, Sms, bearer, client_ip
from epitrace.web.routing import make_router

router = make_router(prefix="/api/v1", tags=["accounts"])


@router.post("/auth/otp", response_model=OtpRequested, status_code=202)
@public
def request_code(
    body: OtpRequest, request: Request, session: DbSession, settings: AppSettings, sms: Sms
) -> OtpRequested:
    """Send a one-time sign-in code by SMS to a Vietnamese mobile number."""
    phone = account_service.request_otp(
        session,
        phone=body.phone,
        address=client_ip(request),
        sms=sms,
        ttl_seconds=settings.otp_ttl_seconds,
        length=settings.otp_length,
        limits=account_service.otp_limits(settings),
    )
    return OtpRequested(phone=phone, expires_in=settings.otp_ttl_seconds)


@router.post("/auth/token", response_model=TokenOut)
@public
def issue_token(
    body: TokenRequest, request: Request, session: DbSession, settings: AppSettings
) -> TokenOut:
    """Exchange staff credentials, or a phone number and one-time code, for a bearer token."""
    ratelimit.hit(
        session,
        key=f"login-ip:{client_ip(request)}",
        limit=settings.login_rate_limit,
        window_seconds=settings.login_rate_window_seconds,
    )
    account: UserAccount
    if body.username is not None and body.password is not None:
        account_service.count_login_attempt(
            session,
            username=body.username,
            limit=settings.login_rate_limit,
            window_seconds=settings.login_rate_window_seconds,
        )
        account = account_service.authenticate_staff(
            session, username=body.username, password=body.password
        )
    else:
        account = account_service.verify_otp(
            session,
            phone=body.phone or "",
            code=body.code or "",
            live_codes=settings.limit_otp_live_codes,
        )
    token, ttl = account_service.issue_token(
        session, account=account, ttl_seconds=settings.api_token_ttl_seconds
    )
    return TokenOut(access_token=token, expires_in=ttl)


@router.post("/auth/logout", status_code=204)
def revoke(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    """Revoke the bearer token used for this call."""
    access.signed_in(principal)
    token = request.headers.get("authorization", "").partition(" ")[2].strip()
    if token:
        account_service.revoke_token(session, token=token)
    return Response(status_code=204)


@router.get("/me/sessions", response_model=list[SessionOut])
def my_sessions(
    request: Request, session: DbSession, settings: AppSettings, principal: CurrentPrincipal
) -> list[SessionOut]:
    """The account's browser sessions that are still open, most recently used first."""
    user = access.signed_in(principal)
    current = web_sessions.current_session_id(request)
    rows = web_sessions.sessions_of(session, user_id=user.user_id, settings=settings)
    return [
        SessionOut.model_validate(row).model_copy(update={"current": row.id == current})
        for row in rows
    ]


@router.post("/me/sign-out-everywhere", response_model=SignedOut)
def sign_out_everywhere(session: DbSession, principal: CurrentPrincipal) -> SignedOut:
    """End every browser session and bearer token of the account, this one included."""
    user = access.signed_in(principal)
    ended = account_service.end_access(session, user_id=user.user_id)
    audit.record(
        session, actor=user, action="sign_out", subject_type="user_account", subject_id=user.user_id
    )
    return SignedOut(ended=ended)


@router.put("/me/password", status_code=204)
def change_password(
    body: PasswordChange, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    """Change one's own staff password; the account's other sessions and tokens end."""
    user = access.signed_in(principal)
    account = account_service.get_account_or_404(session, user_id=user.user_id)
    account_service.change_own_password(
        session,
        account=account,
        current_password=body.current_password,
        new_password=body.new_password,
        keep_session_id=web_sessions.current_session_id(request),
        keep_token=bearer(request),
    )
    audit.record(
        session, actor=user, action="password", subject_type="user_account", subject_id=user.user_id
    )
    return Response(status_code=204)


@router.get("/me", response_model=MeOut)
def me(principal: CurrentPrincipal) -> MeOut:
    """The signed-in account and its roles."""
    user = access.signed_in(principal)
    return MeOut(
        user_id=user.user_id,
        kind=user.kind,
        display_name=user.display_name,
        person_id=user.person_id,
        grants=[GrantOut(role=g.role, area_code=g.area_code) for g in user.grants],
    )


@router.put("/me/profile", response_model=PersonOut)
def update_profile(body: ProfileIn, session: DbSession, principal: CurrentPrincipal) -> Person:
    """Set the citizen's own name, birth year and home ward."""
    user = access.citizen_self(principal)
    account = account_service.get_account_or_404(session, user_id=user.user_id)
    return account_service.update_profile(
        session,
        account=account,
        full_name=body.full_name,
        birth_year=body.birth_year,
        ward_code=body.ward_code,
        address=body.address,
    )


@router.get("/me/dependents", response_model=list[PersonOut])
def list_dependents(session: DbSession, principal: CurrentPrincipal) -> list[Person]:
    """Relatives the citizen declares and checks in for."""
    person_id = access.citizen_person_id(principal)
    return account_service.get_dependents(session, guardian_id=person_id)


@router.post("/me/dependents", response_model=PersonOut, status_code=201)
def add_dependent(
    body: DependentIn, session: DbSession, principal: CurrentPrincipal, settings: AppSettings
) -> Person:
    """Add a relative without a smartphone (at most EPITRACE_LIMIT_DEPENDENTS)."""
    person_id = access.citizen_person_id(principal)
    return account_service.add_dependent(
        session,
        guardian_id=person_id,
        full_name=body.full_name,
        birth_year=body.birth_year,
        relationship=body.relationship,
        gender=body.gender,
        max_dependents=settings.limit_dependents,
    )


@router.delete("/me/dependents/{dependent_id}", status_code=204)
def remove_dependent(
    dependent_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> Response:
    """Remove a relative from the citizen's list."""
    person_id = access.citizen_person_id(principal)
    account_service.remove_dependent(session, guardian_id=person_id, dependent_id=dependent_id)
    return Response(status_code=204)


def _staff_out(account: UserAccount) -> StaffOut:
    return StaffOut(
        id=account.id,
        username=account.username or "",
        display_name=account.display_name,
        is_active=account.is_active,
        created_at=account.created_at,
        grants=[StaffGrantOut(id=g.id, role=g.role, area_code=g.area_code) for g in account.grants],
    )


@router.get("/users", response_model=list[StaffOut])
def list_staff(session: DbSession, principal: CurrentPrincipal) -> list[StaffOut]:
    """Staff accounts of the administrator's area, with their roles."""
    user = access.manage_users(principal)
    return [_staff_out(a) for a in account_service.get_all_staff(session, granter=user)]


@router.post("/users", response_model=StaffOut, status_code=201)
def create_staff(body: StaffIn, session: DbSession, principal: CurrentPrincipal) -> StaffOut:
    """Create a staff account; each role at or below the administrator's own, in their area."""
    user = access.manage_users(principal)
    account = account_service.create_staff(
        session,
        username=body.username,
        password=body.password,
        display_name=body.display_name,
        grants=[(g.role, g.area_code) for g in body.grants],
        granter=user,
    )
    audit.record(
        session,
        actor=user,
        action="create",
        subject_type="user_account",
        subject_id=account.id,
        detail={"grants": [[g.role.value, g.area_code] for g in body.grants]},
    )
    return _staff_out(account)


@router.get("/users/{user_id}", response_model=StaffOut)
def get_staff(user_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> StaffOut:
    """One staff account of the administrator's area (403 outside it)."""
    user = access.manage_users(principal)
    return _staff_out(account_service.get_staff_for(session, granter=user, user_id=user_id))


@router.patch("/users/{user_id}", response_model=StaffOut)
def update_staff(
    user_id: uuid.UUID, body: StaffUpdate, session: DbSession, principal: CurrentPrincipal
) -> StaffOut:
    """Rename, deactivate or reactivate a staff account of the administrator's area."""
    user = access.manage_users(principal)
    account = account_service.get_staff_for(session, granter=user, user_id=user_id)
    account_service.update_staff(
        session,
        account=account,
        granter=user,
        display_name=body.display_name,
        is_active=body.is_active,
    )
    audit.record(
        session,
        actor=user,
        action="update",
        subject_type="user_account",
        subject_id=account.id,
        detail=body.model_dump(exclude_none=True),
    )
    return _staff_out(account)


@router.post("/users/{user_id}/grants", response_model=StaffOut, status_code=201)
def add_grant(
    user_id: uuid.UUID, body: StaffGrantIn, session: DbSession, principal: CurrentPrincipal
) -> StaffOut:
    """Grant one more role, at or below the administrator's own, inside their area."""
    user = access.manage_users(principal)
    account = account_service.get_staff_for(session, granter=user, user_id=user_id)
    account_service.grant_role(
        session, account=account, role=body.role, area_code=body.area_code, granter=user
    )
    audit.record(
        session,
        actor=user,
        action="grant",
        subject_type="user_account",
        subject_id=account.id,
        detail={"grant": [body.role.value, body.area_code]},
    )
    return _staff_out(account)


@router.delete("/users/{user_id}/grants/{grant_id}", response_model=StaffOut)
def remove_grant(
    user_id: uuid.UUID, grant_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> StaffOut:
    """Take one role away (an account keeps at least one)."""
    user = access.manage_users(principal)
    account = account_service.get_staff_for(session, granter=user, user_id=user_id)
    grant = account_service.revoke_role(session, account=account, grant_id=grant_id, granter=user)
    audit.record(
        session,
        actor=user,
        action="revoke",
        subject_type="user_account",
        subject_id=account.id,
        detail={"grant": [grant.role.value, grant.area_code]},
    )
    return _staff_out(account)


@router.post("/users/{user_id}/password", status_code=204)
def reset_password(
    user_id: uuid.UUID, body: PasswordReset, session: DbSession, principal: CurrentPrincipal
) -> Response:
    """Set a new password for a staff account of the administrator's area."""
    user = access.manage_users(principal)
    account = account_service.get_staff_for(session, granter=user, user_id=user_id)
    account_service.reset_password(session, account=account, password=body.password, granter=user)
    audit.record(
        session,
        actor=user,
        action="password",
        subject_type="user_account",
        subject_id=account.id,
    )
    return Response(status_code=204)


@router.post("/users/{user_id}/sign-out", response_model=SignedOut)
def sign_out_staff(
    user_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> SignedOut:
    """End every session and token of a staff account of the administrator's area."""
    user = access.manage_users(principal)
    account = account_service.get_staff_for(session, granter=user, user_id=user_id)
    ended = account_service.sign_out_account(session, account=account, granter=user)
    audit.record(
        session, actor=user, action="sign_out", subject_type="user_account", subject_id=account.id
    )
    return SignedOut(ended=ended)
