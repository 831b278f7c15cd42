"""Accounts: phone sign-up with one-time codes, staff accounts and roles, dependents, tokens."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from epitrace.accounts import phone as phone_numbers
from epitrace.accounts import sessions as web_sessions
from epitrace.accounts import usernames
from epitrace.accounts.models import OtpChallenge, Person, RoleGrant, UserAccount, new_pseudonym
from epitrace.accounts.sms import SmsChannel
from epitrace.config import Settings
from epitrace.db import UTCDateTime, affected, utcnow
from epitrace.errors import N_, Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from epitrace.places import service as place_service
from epitrace.places.models import AdminUnit
from epitrace.security import audit, ratelimit
from epitrace.security.models import ApiToken
from epitrace.security.passwords import hash_password, verify_password
from epitrace.security.permissions import Grant, Principal, is_nationwide_admin, may_grant
from epitrace.security.roles import ROLE_ACTIONS, Action, Role, roles_at_or_below

OTP_MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class OtpLimits:
    """Budgets of sign-in code requests (EPITRACE_LIMIT_OTP_*), per window.

    Counted narrowest first: (number, address), then address, then number. A request refused
    by a narrower budget does not spend the broader ones, so a stranger on one address spends
    at most `per_number_address` of a number's `per_number` and cannot lock out its owner.
    """

    per_number_address: int = 3
    per_address: int = 60
    per_number: int = 10
    window_seconds: int = 3600
    live_codes: int = 3


def _hash_code(phone: str, code: str) -> str:
    # Bound to the phone so that one leaked hash cannot be replayed for another number.
    return hashlib.sha256(f"{phone}:{code}".encode()).hexdigest()


def otp_limits(settings: Settings) -> OtpLimits:
    return OtpLimits(
        per_number_address=settings.limit_otp_per_number_address,
        per_address=settings.limit_otp_per_address,
        per_number=settings.limit_otp_per_number,
        window_seconds=settings.limit_otp_window_seconds,
        live_codes=settings.limit_otp_live_codes,
    )


# -- citizens -----------------------------------------------------------------------------


def request_otp(
    session: Session,
    *,
    phone: str,
    address: str,
    sms: SmsChannel,
    ttl_seconds: int,
    length: int = 6,
    limits: OtpLimits | None = None,
) -> str:
    """Send a one-time code to a mobile number; returns the canonical number.

    `address` is the requester's network address, for the per-address budgets.
    """
    canonical = phone_numbers.normalise(phone)
    limits = limits or OtpLimits()
    ratelimit.hit_in_order(
        session,
        budgets=[
            (f"otp-na:{canonical}|{address}", limits.per_number_address),
            (f"otp-ip:{address}", limits.per_address),
            (f"otp:{canonical}", limits.per_number),
        ],
        window_seconds=limits.window_seconds,
    )
    code = "".join(secrets.choice("0123456789") for _ in range(length))
    session.add(
        OtpChallenge(
            phone=canonical,
            code_hash=_hash_code(canonical, code),
            expires_at=utcnow() + timedelta(seconds=ttl_seconds),
        )
    )
    minutes = max(1, ttl_seconds // 60)
    sms.send(
        canonical,
        f"Ma xac thuc epitrace cua ban la {code}, hieu luc {minutes} phut. "
        f"Khong chia se ma nay cho bat ky ai.",
    )
    return canonical


def verify_otp(
    session: Session,
    *,
    phone: str,
    code: str,
    live_codes: int = 3,
    notice_version: str | None = None,
) -> UserAccount:
    """Check a one-time code; signs up the citizen on first success.

    Any of the number's latest `live_codes` unexpired codes is accepted, so that a new request
    (the owner's impatience, or a stranger's) does not void the code the owner is typing.
    Success consumes every outstanding code of the number. `notice_version` is the privacy
    notice shown beside the code field: a new account records that it accepted it.
    """
    canonical = phone_numbers.normalise(phone)
    now = utcnow()
    latest = list(
        session.scalars(
            select(OtpChallenge)
            .where(OtpChallenge.phone == canonical, OtpChallenge.expires_at >= now)
            .order_by(OtpChallenge.created_at.desc(), OtpChallenge.id)
            .limit(live_codes)
        )
    )
    invalid = Unauthorized(
        N_("The code is wrong or has expired. Request a new code."),
        fields={"code": N_("The code is wrong or has expired.")},
        code="invalid_code",
    )
    # Counted in its own transaction: a wrong code still uses up one of the attempts.
    ratelimit.hit(
        session, key=f"otp-verify:{canonical}", limit=OTP_MAX_ATTEMPTS, window_seconds=900
    )
    given = _hash_code(canonical, code.strip())
    matches = [
        c
        for c in latest
        if c.consumed_at is None and hmac.compare_digest(c.code_hash, given)  # every one compared
    ]
    if not matches:
        raise invalid
    outstanding = session.scalars(
        select(OtpChallenge).where(
            OtpChallenge.phone == canonical, OtpChallenge.consumed_at.is_(None)
        )
    )
    for challenge in outstanding:
        challenge.consumed_at = now
    account = session.scalars(select(UserAccount).where(UserAccount.phone == canonical)).first()
    if account is None:
        person = Person(full_name="", phone=canonical)
        session.add(person)
        session.flush()
        account = UserAccount(
            kind="citizen",
            phone=canonical,
            display_name=phone_numbers.display(canonical),
            person_id=person.id,
            is_active=True,
            privacy_notice_version=notice_version,
            privacy_notice_accepted_at=now if notice_version else None,
        )
        session.add(account)
    if not account.is_active:
        raise Forbidden(N_("This account is disabled."))
    account.last_login_at = utcnow()
    session.flush()
    return account


def update_profile(
    session: Session,
    *,
    account: UserAccount,
    full_name: str,
    birth_year: int | None,
    ward_code: str | None,
    address: str | None,
) -> Person:
    person = get_person(session, person_id=_person_id(account))
    if ward_code:
        place_service.get_or_404(session, code=ward_code)
    person.full_name = full_name.strip()
    person.birth_year = birth_year
    person.ward_code = ward_code or None
    person.address = (address or "").strip() or None
    if person.full_name:
        account.display_name = person.full_name
    session.flush()
    return person


def _person_id(account: UserAccount) -> uuid.UUID:
    if account.person_id is None:
        raise Forbidden(N_("Only citizens have a personal profile."))
    return account.person_id


def get_person(session: Session, *, person_id: uuid.UUID) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(N_("This person does not exist."))
    return person


def get_by_pseudonym(session: Session, *, pseudonym: str) -> Person | None:
    return session.scalars(select(Person).where(Person.pseudonym == pseudonym)).first()


def create_person(
    session: Session,
    *,
    full_name: str,
    phone: str | None = None,
    id_number: str | None = None,
    birth_year: int | None = None,
    ward_code: str | None = None,
    address: str | None = None,
) -> Person:
    """A person known to the system without an account (e.g. registered by a health officer)."""
    if not full_name.strip():
        raise InvalidInput(N_("Full name is required."), fields={"full_name": N_("Required.")})
    person = Person(
        full_name=full_name.strip(),
        phone=phone_numbers.normalise(phone) if phone else None,
        id_number=id_number,
        birth_year=birth_year,
        ward_code=ward_code,
        address=address,
    )
    session.add(person)
    session.flush()
    return person


# -- dependents ---------------------------------------------------------------------------


def add_dependent(
    session: Session,
    *,
    guardian_id: uuid.UUID,
    full_name: str,
    birth_year: int | None,
    relationship: str | None,
    gender: str | None = None,
    max_dependents: int | None = None,
) -> Person:
    """Add a relative in the citizen's care, at most `max_dependents` of them (then 409)."""
    name = full_name.strip()
    if not name:
        raise InvalidInput(N_("Full name is required."), fields={"full_name": N_("Required.")})
    if birth_year is not None and not 1900 <= birth_year <= utcnow().year:
        raise InvalidInput(
            N_("Birth year must be between 1900 and this year."),
            fields={"birth_year": N_("Birth year must be between 1900 and this year.")},
        )
    guardian = get_person(session, person_id=guardian_id)
    if max_dependents is not None:
        held = session.scalar(
            select(func.count())
            .select_from(Person)
            .where(Person.guardian_id == guardian.id, Person.merged_into_id.is_(None))
        )
        if (held or 0) >= max_dependents:
            # Waiting does not help (no Retry-After): removing a relative frees a place.
            raise Conflict(
                N_("You already have %(limit)s relatives, the most one account may hold."),
                params={"limit": max_dependents},
                code="limit_reached",
            )
    dependent = Person(
        full_name=name,
        birth_year=birth_year,
        gender=gender,
        guardian_id=guardian.id,
        relationship_to_guardian=(relationship or "").strip() or None,
        ward_code=guardian.ward_code,
        address=guardian.address,
    )
    session.add(dependent)
    session.flush()
    return dependent


def get_dependents(session: Session, *, guardian_id: uuid.UUID) -> list[Person]:
    stmt = select(Person).where(Person.guardian_id == guardian_id).order_by(Person.created_at)
    return list(session.scalars(stmt))


def get_dependent(session: Session, *, guardian_id: uuid.UUID, dependent_id: uuid.UUID) -> Person:
    person = session.get(Person, dependent_id)
    if person is None or person.guardian_id != guardian_id:
        raise NotFound(N_("This dependent does not exist."))
    return person


def remove_dependent(session: Session, *, guardian_id: uuid.UUID, dependent_id: uuid.UUID) -> None:
    person = get_dependent(session, guardian_id=guardian_id, dependent_id=dependent_id)
    session.delete(person)
    session.flush()


def may_act_for(session: Session, *, account_person_id: uuid.UUID, person_id: uuid.UUID) -> bool:
    """A citizen acts for themselves and their own dependents."""
    if account_person_id == person_id:
        return True
    person = session.get(Person, person_id)
    return person is not None and person.guardian_id == account_person_id


# -- staff --------------------------------------------------------------------------------
#
# Every function that creates, changes or reveals a staff account takes `granter`: the
# principal acting, or None for the operator at the server's console (CLI, demo seed), who
# holds the whole country. The rule is `permissions.may_grant`: roles at or below the
# granter's own, inside the granter's area; an account is managed (and seen) only by an
# administrator who could have granted every role it holds.


def _area_path(session: Session, area_code: str | None) -> str | None:
    if area_code is None:
        return None
    return place_service.get_or_404(session, code=area_code).path


def check_grantable(
    session: Session, *, granter: Principal | None, role: Role, area_code: str | None
) -> None:
    """Refuse (403) a grant the granter may not give."""
    if role is Role.CITIZEN:
        raise InvalidInput(N_("The citizen role cannot be granted."))
    path = _area_path(session, area_code)
    if area_code is None and role is not Role.SYSTEM_ADMIN:
        raise InvalidInput(
            N_("Role %(role)s must be bound to an area."), params={"role": role.value}
        )
    if granter is not None and not may_grant(granter, role, path):
        raise Forbidden(
            N_("You may grant only roles at or below your own, inside your own area."),
            code="grant_refused",
        )


def may_manage(session: Session, *, granter: Principal | None, account: UserAccount) -> bool:
    """True when the granter could have granted every role the account holds.

    An account without roles belongs to the whole country: only a nationwide administrator
    manages it.
    """
    if granter is None:
        return True
    if account.kind != "staff":
        return False
    if not account.grants:
        return is_nationwide_admin(granter)
    paths = dict(
        session.execute(
            select(AdminUnit.code, AdminUnit.path).where(
                AdminUnit.code.in_([g.area_code for g in account.grants if g.area_code])
            )
        ).all()
    )
    return all(
        may_grant(granter, g.role, paths.get(g.area_code) if g.area_code else None)
        for g in account.grants
    )


def _grant_covered(granter: Principal) -> ColumnElement[bool]:
    """SQL condition on a `role_grant` row: the granter could have given it (`may_grant`)."""
    conditions: list[ColumnElement[bool]] = []
    for held in granter.grants:
        if held.role not in ROLE_ACTIONS[Action.USERS_MANAGE]:
            continue
        roles = roles_at_or_below(held.role)
        if held.area_path is None:
            conditions.append(RoleGrant.role.in_(roles))
        else:
            conditions.append(
                and_(
                    RoleGrant.role.in_(roles),
                    RoleGrant.area_code.is_not(None),
                    RoleGrant.area_code.in_(place_service.descendant_codes(held.area_path)),
                )
            )
    return or_(*conditions) if conditions else false()


def managed_account_ids(granter: Principal | None) -> Select[uuid.UUID] | None:
    """The staff accounts the granter manages, as a subquery of ids; None: every account."""
    if granter is None or is_nationwide_admin(granter):
        return None
    holds_a_role = exists().where(RoleGrant.user_id == UserAccount.id)
    holds_one_outside = exists().where(
        RoleGrant.user_id == UserAccount.id, not_(_grant_covered(granter))
    )
    return select(UserAccount.id).where(
        UserAccount.kind == "staff", holds_a_role, ~holds_one_outside
    )


def get_staff_for(
    session: Session, *, granter: Principal | None, user_id: uuid.UUID
) -> UserAccount:
    """A staff account the granter manages: 404 when there is none, 403 outside their area."""
    account = session.get(UserAccount, user_id)
    if account is None or account.kind != "staff":
        raise NotFound(N_("This account does not exist."))
    if not may_manage(session, granter=granter, account=account):
        raise Forbidden(N_("This account is outside your area."), code="account_outside_area")
    return account


def create_staff(
    session: Session,
    *,
    username: str,
    password: str,
    granter: Principal | None,
    display_name: str | None = None,
    grants: Sequence[tuple[Role, str | None]] = (),
) -> UserAccount:
    username = usernames.normalise(username)
    reason = usernames.problem(username)
    if reason is not None:
        raise InvalidInput(reason, fields={"username": reason})
    if len(password) < 10:
        raise InvalidInput(
            N_("Passwords need at least 10 characters."),
            fields={"password": N_("Passwords need at least 10 characters.")},
        )
    # Every grant is checked before anything is written.
    for role, area in grants:
        check_grantable(session, granter=granter, role=role, area_code=area)
    if granter is not None and not grants:
        raise InvalidInput(
            N_("Give the new account at least one role."),
            fields={"grants": N_("Give the new account at least one role.")},
        )
    if session.scalars(select(UserAccount).where(UserAccount.username == username)).first():
        raise Conflict(N_("The username %(username)s is taken."), params={"username": username})
    account = UserAccount(
        kind="staff",
        is_active=True,
        username=username,
        password_hash=hash_password(password),
        display_name=display_name or username,
    )
    session.add(account)
    session.flush()
    for role, area in grants:
        grant_role(session, account=account, role=role, area_code=area, granter=granter)
    return account


def grant_role(
    session: Session,
    *,
    account: UserAccount,
    role: Role,
    area_code: str | None,
    granter: Principal | None,
) -> RoleGrant:
    if account.kind != "staff":
        raise InvalidInput(N_("Roles are granted to staff accounts only."))
    check_grantable(session, granter=granter, role=role, area_code=area_code)
    for held in account.grants:
        if held.role is role and held.area_code == area_code:
            raise Conflict(N_("The account already holds this role in this area."))
    grant = RoleGrant(user_id=account.id, role=role, area_code=area_code)
    account.grants.append(grant)
    session.flush()
    return grant


def revoke_role(
    session: Session, *, account: UserAccount, grant_id: uuid.UUID, granter: Principal | None
) -> RoleGrant:
    """Take one role away; an account keeps at least one (deactivate it instead)."""
    for grant in account.grants:
        if grant.id == grant_id:
            check_grantable(session, granter=granter, role=grant.role, area_code=grant.area_code)
            if granter is not None and len(account.grants) == 1:
                raise Conflict(
                    N_("An account keeps at least one role; deactivate it instead."),
                    code="last_role",
                )
            account.grants.remove(grant)
            session.flush()
            return grant
    raise NotFound(N_("This role grant does not exist."))


def update_staff(
    session: Session,
    *,
    account: UserAccount,
    granter: Principal | None,
    display_name: str | None = None,
    is_active: bool | None = None,
) -> UserAccount:
    """Rename, deactivate or reactivate a staff account (not one's own deactivation)."""
    if granter is not None and not may_manage(session, granter=granter, account=account):
        raise Forbidden(N_("This account is outside your area."), code="account_outside_area")
    if display_name is not None:
        name = " ".join(display_name.split())
        if not name:
            raise InvalidInput(
                N_("Enter the name."), fields={"display_name": N_("Enter the name.")}
            )
        account.display_name = name
    if is_active is not None:
        if not is_active and granter is not None and granter.user_id == account.id:
            raise Conflict(N_("You cannot deactivate your own account."), code="self_deactivate")
        account.is_active = is_active
        if not is_active:
            end_access(session, user_id=account.id)
    session.flush()
    return account


def reset_password(
    session: Session, *, account: UserAccount, password: str, granter: Principal | None
) -> None:
    """An administrator sets a new password for a staff account they manage.

    Whoever knew the old password may be signed in with it: every session and bearer token
    of the account ends.
    """
    if granter is not None and not may_manage(session, granter=granter, account=account):
        raise Forbidden(N_("This account is outside your area."), code="account_outside_area")
    set_password(session, account=account, password=password)
    end_access(session, user_id=account.id)


def sign_out_account(session: Session, *, account: UserAccount, granter: Principal | None) -> int:
    """An administrator ends every session and token of an account they manage."""
    if granter is not None and not may_manage(session, granter=granter, account=account):
        raise Forbidden(N_("This account is outside your area."), code="account_outside_area")
    return end_access(session, user_id=account.id)


def change_own_password(
    session: Session,
    *,
    account: UserAccount,
    current_password: str,
    new_password: str,
    keep_session_id: uuid.UUID | None = None,
    keep_token: str | None = None,
) -> None:
    """A staff member replaces their password; their other sessions and tokens end."""
    if account.kind != "staff":
        raise Forbidden(N_("Only staff accounts have a password."))
    if not verify_password(account.password_hash, current_password):
        message = N_("The current password is wrong.")
        raise InvalidInput(message, fields={"current_password": message}, code="wrong_password")
    set_password(session, account=account, password=new_password)
    end_access(session, user_id=account.id, keep_session_id=keep_session_id, keep_token=keep_token)


def end_access(
    session: Session,
    *,
    user_id: uuid.UUID,
    keep_session_id: uuid.UUID | None = None,
    keep_token: str | None = None,
) -> int:
    """Sign an account out everywhere: its browser sessions end and its tokens are revoked,
    but for the session and token (if given) of the request doing it. Returns how many."""
    ended = web_sessions.end_all(session, user_id=user_id, except_id=keep_session_id)
    stmt = update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    if keep_token is not None:
        stmt = stmt.where(ApiToken.token_hash != _token_hash(keep_token))
    result = session.execute(
        stmt.values(revoked_at=utcnow()).execution_options(synchronize_session=False)
    )
    return ended + int(getattr(result, "rowcount", 0) or 0)


def count_login_attempt(
    session: Session, *, username: str, limit: int, window_seconds: int
) -> None:
    """Count one password sign-in against the username (429 once its attempts are spent).

    The counter is keyed by the normalised spelling, the one lookup uses, so no padded or
    differently cased spelling of a name gets fresh attempts.
    """
    ratelimit.hit(
        session, key=login_limit_key(username), limit=limit, window_seconds=window_seconds
    )


def login_limit_key(username: str) -> str:
    return f"login-user:{usernames.normalise(username)}"


def authenticate_staff(session: Session, *, username: str, password: str) -> UserAccount:
    account = session.scalars(
        select(UserAccount).where(
            UserAccount.username == usernames.normalise(username), UserAccount.kind == "staff"
        )
    ).first()
    if not verify_password(account.password_hash if account else None, password) or not account:
        raise Unauthorized(N_("Wrong username or password."), code="invalid_credentials")
    if not account.is_active:
        raise Forbidden(N_("This account is disabled."))
    account.last_login_at = utcnow()
    session.flush()
    return account


def set_password(session: Session, *, account: UserAccount, password: str) -> None:
    if len(password) < 10:
        raise InvalidInput(
            N_("Passwords need at least 10 characters."),
            fields={"password": N_("Passwords need at least 10 characters.")},
        )
    account.password_hash = hash_password(password)
    session.flush()


def get_account(session: Session, *, user_id: uuid.UUID) -> UserAccount | None:
    return session.get(UserAccount, user_id)


def get_account_or_404(session: Session, *, user_id: uuid.UUID) -> UserAccount:
    account = session.get(UserAccount, user_id)
    if account is None:
        raise NotFound(N_("This account does not exist."))
    return account


def get_by_username(session: Session, *, username: str) -> UserAccount | None:
    stmt = select(UserAccount).where(UserAccount.username == usernames.normalise(username))
    return session.scalars(stmt).first()


def get_all_staff(
    session: Session, *, granter: Principal | None, limit: int = 500
) -> list[UserAccount]:
    """Staff accounts the granter manages (all of them for the console), by username."""
    stmt = select(UserAccount).where(UserAccount.kind == "staff")
    scope = managed_account_ids(granter)
    if scope is not None:
        stmt = stmt.where(UserAccount.id.in_(scope))
    return list(session.scalars(stmt.order_by(UserAccount.username).limit(limit)))


def count_citizens(session: Session) -> int:
    stmt = select(func.count()).select_from(UserAccount).where(UserAccount.kind == "citizen")
    return session.scalar(stmt) or 0


def load_principal(
    session: Session, *, user_id: uuid.UUID, auth_method: str = "session"
) -> Principal | None:
    """The principal for an active account, with each grant's area path (one query)."""
    rows = session.execute(_principal_statement(token=False), {"user_id": user_id}).all()
    return _principal(rows, auth_method=auth_method)


def principal_for_token(session: Session, *, token: str) -> Principal | None:
    """The principal an API token stands for — valid token, active account, grants — in one
    query (every API request asks)."""
    params = {"token_hash": _token_hash(token), "now": utcnow()}
    rows = session.execute(_principal_statement(token=True), params).all()
    return _principal(rows, auth_method="token")


@functools.cache
def _principal_statement(*, token: bool) -> Select[*tuple[Any, ...]]:
    """Built once for each way in (every request asks): the account and its grants, with
    each grant's area path; by token hash (valid, not revoked) or by account id."""
    stmt = select(
        UserAccount.id,
        UserAccount.kind,
        UserAccount.display_name,
        UserAccount.username,
        UserAccount.person_id,
        RoleGrant.role,
        RoleGrant.area_code,
        AdminUnit.path,
    ).select_from(UserAccount)
    if token:
        stmt = stmt.join(ApiToken, ApiToken.user_id == UserAccount.id)
        where = [
            ApiToken.token_hash == bindparam("token_hash"),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at >= bindparam("now", type_=UTCDateTime()),
        ]
    else:
        where = [UserAccount.id == bindparam("user_id")]
    return (
        stmt.outerjoin(RoleGrant, RoleGrant.user_id == UserAccount.id)
        .outerjoin(AdminUnit, AdminUnit.code == RoleGrant.area_code)
        .where(UserAccount.is_active.is_(True), *where)
    )


def _principal(rows: Sequence[Row[Any]], *, auth_method: str) -> Principal | None:
    if not rows:
        return None
    first = rows[0]
    grants = tuple(
        Grant(role=row.role, area_code=row.area_code, area_path=row.path)
        for row in rows
        if row.role is not None
    )
    return Principal(
        user_id=first.id,
        kind=first.kind,
        display_name=first.display_name or first.username or "",
        person_id=first.person_id,
        grants=grants,
        auth_method=auth_method,
    )


# -- API tokens ---------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, *, account: UserAccount, ttl_seconds: int) -> tuple[str, int]:
    token = "ept_" + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            token_hash=_token_hash(token),
            user_id=account.id,
            expires_at=utcnow() + timedelta(seconds=ttl_seconds),
        )
    )
    session.flush()
    return token, ttl_seconds


def revoke_token(session: Session, *, token: str) -> None:
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _token_hash(token))).first()
    if row is not None:
        row.revoked_at = utcnow()
        session.flush()


def audit_person_read(session: Session, *, actor: Principal, person: Person, purpose: str) -> None:
    audit.record_person_read(session, actor=actor, person_ids=[person.id], purpose=purpose)


# -- reads for rollout oversight (counts and matches, no personal data leaves) ------------


def citizens_by_phone(
    session: Session, *, phones: Sequence[str]
) -> dict[str, tuple[uuid.UUID, uuid.UUID]]:
    """Citizen accounts by canonical phone number: phone → (account id, person id)."""
    found: dict[str, tuple[uuid.UUID, uuid.UUID]] = {}
    unique = sorted(set(phones))
    for start in range(0, len(unique), 5000):
        stmt = select(UserAccount.phone, UserAccount.id, UserAccount.person_id).where(
            UserAccount.kind == "citizen",
            UserAccount.person_id.is_not(None),
            UserAccount.phone.in_(unique[start : start + 5000]),
        )
        for phone, user_id, person_id in session.execute(stmt):
            if phone is not None and person_id is not None:
                found[phone] = (user_id, person_id)
    return found


def dependents_of(
    session: Session, *, guardian_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The dependents (relatives declared by a citizen) of each guardian: guardian → ids."""
    found: dict[uuid.UUID, list[uuid.UUID]] = {}
    unique = sorted(set(guardian_ids))
    for start in range(0, len(unique), 5000):
        stmt = select(Person.guardian_id, Person.id).where(
            Person.guardian_id.in_(unique[start : start + 5000])
        )
        for guardian_id, person_id in session.execute(stmt):
            if guardian_id is not None:
                found.setdefault(guardian_id, []).append(person_id)
    return found


# -- the privacy notice and erasure on request (mydata) ------------------------------------


def accept_privacy_notice(
    session: Session, *, account: UserAccount, version: str, at: datetime
) -> None:
    """Record that the account holder accepted this version of the privacy notice."""
    account.privacy_notice_version = version
    account.privacy_notice_accepted_at = at
    session.flush()


def people_in_care(session: Session, *, person_id: uuid.UUID) -> list[Person]:
    """The person, their dependents, and the records of either merged into them (history)."""
    people = [get_person(session, person_id=person_id)]
    people += get_dependents(session, guardian_id=person_id)
    known = {p.id for p in people}
    while True:
        merged = session.scalars(
            select(Person).where(Person.merged_into_id.in_(known), Person.id.not_in(known))
        ).all()
        if not merged:
            return people
        people += merged
        known |= {p.id for p in merged}


def accounts_of(session: Session, *, person_ids: Sequence[uuid.UUID]) -> list[UserAccount]:
    if not person_ids:
        return []
    return list(session.scalars(select(UserAccount).where(UserAccount.person_id.in_(person_ids))))


def _anonymise(person: Person) -> None:
    person.full_name = ""
    person.phone = None
    person.id_number = None
    person.birth_year = None
    person.gender = None
    person.ward_code = None
    person.address = None
    person.guardian_id = None
    person.relationship_to_guardian = None
    person.merged_into_id = None
    person.pseudonym = new_pseudonym()


def erase_people(
    session: Session, *, person_ids: Sequence[uuid.UUID], keep: set[uuid.UUID]
) -> dict[str, int]:
    """Delete these people's accounts (sessions, tokens, codes) and their person rows.

    A person in `keep` (named by a health record kept under the law) stays as an empty
    record: no name, phone, ID number, address, guardian, a new pseudonym.
    """
    people = list(session.scalars(select(Person).where(Person.id.in_(person_ids))))
    accounts = accounts_of(session, person_ids=person_ids)
    phones = sorted({p for p in [*(a.phone for a in accounts), *(x.phone for x in people)] if p})
    counts = {"user_account": len(accounts), "person": 0, "person_emptied": 0}
    if phones:
        counts["otp_challenge"] = affected(
            session.execute(delete(OtpChallenge).where(OtpChallenge.phone.in_(phones)))
        )
    for account in accounts:
        session.delete(account)
    session.flush()
    for person in people:
        if person.id in keep:
            _anonymise(person)
            counts["person_emptied"] += 1
        else:  # no row may point at it while it goes
            person.guardian_id = None
            person.merged_into_id = None
    session.flush()
    for person in people:
        if person.id not in keep:
            session.delete(person)
            counts["person"] += 1
    session.flush()
    return counts
