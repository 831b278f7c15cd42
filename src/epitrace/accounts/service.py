"""Accounts: phone sign-up with one-time codes, staff accounts and roles, dependents, tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epitrace.accounts import phone as phone_numbers
from epitrace.accounts.models import OtpChallenge, Person, RoleGrant, UserAccount
from epitrace.accounts.sms import SmsChannel
from epitrace.db import utcnow
from epitrace.errors import N_, Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from epitrace.places import service as place_service
from epitrace.places.models import AdminUnit
from epitrace.security import audit, ratelimit
from epitrace.security.models import ApiToken
from epitrace.security.passwords import hash_password, verify_password
from epitrace.security.permissions import Grant, Principal
from epitrace.security.roles import Role

OTP_MAX_ATTEMPTS = 5
OTP_REQUESTS_PER_HOUR = 5


def _hash_code(phone: str, code: str) -> str:
    # Bound to the phone so that one leaked hash cannot be replayed for another number.
    return hashlib.sha256(f"{phone}:{code}".encode()).hexdigest()


# -- citizens -----------------------------------------------------------------------------


def request_otp(
    session: Session, *, phone: str, sms: SmsChannel, ttl_seconds: int, length: int = 6
) -> str:
    """Send a one-time code to a mobile number; returns the canonical number."""
    canonical = phone_numbers.normalise(phone)
    ratelimit.hit(session, key=f"otp:{canonical}", limit=OTP_REQUESTS_PER_HOUR, window_seconds=3600)
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


def verify_otp(session: Session, *, phone: str, code: str) -> UserAccount:
    """Check a one-time code; signs up the citizen on first success."""
    canonical = phone_numbers.normalise(phone)
    challenge = session.scalars(
        select(OtpChallenge)
        .where(OtpChallenge.phone == canonical, OtpChallenge.consumed_at.is_(None))
        .order_by(OtpChallenge.created_at.desc())
        .limit(1)
    ).first()
    invalid = Unauthorized(
        N_("The code is wrong or has expired. Request a new code."),
        fields={"code": N_("The code is wrong or has expired.")},
        code="invalid_code",
    )
    # Counted in its own transaction: a wrong code still uses up one of the attempts.
    ratelimit.hit(
        session, key=f"otp-verify:{canonical}", limit=OTP_MAX_ATTEMPTS, window_seconds=900
    )
    if challenge is None or challenge.expires_at < utcnow():
        raise invalid
    if not hmac.compare_digest(challenge.code_hash, _hash_code(canonical, code.strip())):
        raise invalid
    challenge.consumed_at = utcnow()
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
) -> Person:
    name = full_name.strip()
    if not name:
        raise InvalidInput(N_("Full name is required."), fields={"full_name": N_("Required.")})
    if birth_year is not None and not 1900 <= birth_year <= utcnow().year:
        raise InvalidInput(
            N_("Birth year must be between 1900 and this year."),
            fields={"birth_year": N_("Birth year must be between 1900 and this year.")},
        )
    guardian = get_person(session, person_id=guardian_id)
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


def create_staff(
    session: Session,
    *,
    username: str,
    password: str,
    display_name: str | None = None,
    grants: Sequence[tuple[Role, str | None]] = (),
) -> UserAccount:
    username = username.strip().lower()
    if not username or len(username) > 80:
        raise InvalidInput(N_("A username is required."), fields={"username": N_("Required.")})
    if len(password) < 10:
        raise InvalidInput(
            N_("Passwords need at least 10 characters."),
            fields={"password": N_("Passwords need at least 10 characters.")},
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
        grant_role(session, account=account, role=role, area_code=area)
    return account


def grant_role(
    session: Session, *, account: UserAccount, role: Role, area_code: str | None
) -> RoleGrant:
    if account.kind != "staff":
        raise InvalidInput(N_("Roles are granted to staff accounts only."))
    if role is Role.CITIZEN:
        raise InvalidInput(N_("The citizen role cannot be granted."))
    if area_code is not None:
        place_service.get_or_404(session, code=area_code)
    elif role is not Role.SYSTEM_ADMIN:
        raise InvalidInput(
            N_("Role %(role)s must be bound to an area."), params={"role": role.value}
        )
    grant = RoleGrant(user_id=account.id, role=role, area_code=area_code)
    account.grants.append(grant)
    session.flush()
    return grant


def revoke_role(session: Session, *, account: UserAccount, grant_id: uuid.UUID) -> None:
    for grant in account.grants:
        if grant.id == grant_id:
            account.grants.remove(grant)
            session.flush()
            return
    raise NotFound(N_("This role grant does not exist."))


def authenticate_staff(session: Session, *, username: str, password: str) -> UserAccount:
    account = session.scalars(
        select(UserAccount).where(
            UserAccount.username == username.strip().lower(), UserAccount.kind == "staff"
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
        raise InvalidInput(N_("Passwords need at least 10 characters."))
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
    stmt = select(UserAccount).where(UserAccount.username == username.strip().lower())
    return session.scalars(stmt).first()


def get_all_staff(session: Session, *, limit: int = 500) -> list[UserAccount]:
    stmt = select(UserAccount).where(UserAccount.kind == "staff").order_by(UserAccount.username)
    return list(session.scalars(stmt.limit(limit)))


def count_citizens(session: Session) -> int:
    stmt = select(func.count()).select_from(UserAccount).where(UserAccount.kind == "citizen")
    return session.scalar(stmt) or 0


def load_principal(
    session: Session, *, user_id: uuid.UUID, auth_method: str = "session"
) -> Principal | None:
    """The principal for an active account, with each grant's area path (one query)."""
    account = session.get(UserAccount, user_id)
    if account is None or not account.is_active:
        return None
    rows = session.execute(
        select(RoleGrant.role, RoleGrant.area_code, AdminUnit.path)
        .outerjoin(AdminUnit, AdminUnit.code == RoleGrant.area_code)
        .where(RoleGrant.user_id == user_id)
    )
    grants = tuple(Grant(role=r, area_code=a, area_path=p) for r, a, p in rows)
    return Principal(
        user_id=account.id,
        kind=account.kind,
        display_name=account.display_name or account.username or "",
        person_id=account.person_id,
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


def resolve_token(session: Session, *, token: str) -> uuid.UUID | None:
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _token_hash(token))).first()
    if row is None or row.revoked_at is not None or row.expires_at < utcnow():
        return None
    return row.user_id


def revoke_token(session: Session, *, token: str) -> None:
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _token_hash(token))).first()
    if row is not None:
        row.revoked_at = utcnow()
        session.flush()


def audit_person_read(session: Session, *, actor: Principal, person: Person, purpose: str) -> None:
    audit.record(
        session,
        actor=actor,
        action="read",
        subject_type="person",
        subject_id=person.id,
        purpose=purpose,
    )
