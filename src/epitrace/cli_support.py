"""What every domain's CLI shares: a refusal in words, and the staff account a command acts as."""

from __future__ import annotations

import typer
from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.errors import DomainError
from epitrace.security.permissions import Principal
from epitrace.web import i18n


def explain(exc: DomainError) -> str:
    """A refusal in English (the operator's console), with the fields it names."""
    i18n.set_locale("en")
    text = i18n.gettext(exc.message, **exc.params)
    if exc.fields:
        text += " " + "; ".join(f"{k}: {i18n.gettext(v)}" for k, v in exc.fields.items())
    return text


def acting(session: Session, username: str) -> Principal:
    """The staff account a command acts as (`--as`): its area rules apply and the audit log
    names it."""
    account = account_service.get_by_username(session, username=username)
    principal = (
        account_service.load_principal(session, user_id=account.id, auth_method="cli")
        if account is not None and account.kind == "staff"
        else None
    )
    if principal is None:
        raise typer.BadParameter(f"no active staff account {username!r}", param_hint="--as")
    return principal
