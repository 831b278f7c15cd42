"""HTML pages: the declaration form, one's statuses and history, the QR passes, officials' view."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from epitrace.accounts import phone as phone_numbers
from epitrace.accounts import service as account_service
from epitrace.accounts.models import Person
from epitrace.db import utcnow
from epitrace.declarations import access, passes, status
from epitrace.declarations import service as declaration_service
from epitrace.declarations.api import qr_svg
from epitrace.declarations.models import Declaration
from epitrace.declarations.schemas import DeclarationIn, TravelIn
from epitrace.errors import N_, InvalidInput, TooManyRequests
from epitrace.places import service as place_service
from epitrace.places.models import AdminUnit
from epitrace.web import fields, i18n
from epitrace.web.deps import AppKeyring, AppSettings, CurrentPrincipal, DbSession
from epitrace.web.fields import Days
from epitrace.web.routing import make_router
from epitrace.web.templating import render

router = make_router(include_in_schema=False)

TRAVEL_ROWS = 3
DOSE_FIELDS = 4
REVIEW_DAYS = (1, 3, 7, 14, 30)


async def form_data(request: Request) -> FormData:
    return await request.form()


Form_ = Annotated[FormData, Depends(form_data)]


def _labels(mapping: dict[str, str]) -> dict[str, str]:
    return {key: i18n.gettext(msgid) for key, msgid in mapping.items()}


def ward_chain(session: Session, ward_code: str | None) -> list[dict[str, Any]]:
    """The pickers from province down: each level's options and the chosen one."""
    chain: list[str] = []
    if ward_code and place_service.get(session, code=ward_code) is not None:
        chain = [u.code for u in place_service.get_ancestors(session, code=ward_code)]
        chain.append(ward_code)
    levels: list[dict[str, Any]] = [
        {"options": place_service.get_children(session, code=None), "selected": ""}
    ]
    for depth, code in enumerate(chain):
        levels[depth]["selected"] = code
        children = place_service.get_children(session, code=code)
        if children:
            levels.append({"options": children, "selected": ""})
    return levels


def _values_from(declaration: Declaration | None, person: Person | None) -> dict[str, Any]:
    """Pre-fill: the person's last declaration (identity and address rarely change)."""
    if declaration is not None:
        return {
            "full_name": declaration.full_name,
            "id_kind": declaration.id_kind,
            "id_number": declaration.id_number,
            "birth_year": str(declaration.birth_year),
            "gender": declaration.gender,
            "nationality": declaration.nationality,
            "ward_code": declaration.ward_code,
            "street": declaration.street,
            "phone": phone_numbers.display(declaration.phone),
            "email": declaration.email or "",
            "doses": list(declaration.dose_dates),
        }
    if person is None:
        return {}
    return {
        "full_name": person.full_name,
        "id_number": person.id_number or "",
        "birth_year": str(person.birth_year or ""),
        "gender": person.gender or "",
        "ward_code": person.ward_code or "",
        "street": person.address or "",
        "phone": phone_numbers.display(person.phone) if person.phone else "",
    }


def _render_form(
    request: Request,
    session: Session,
    me: access.Citizen,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    doses = list(values.get("doses", []))
    doses += [""] * (DOSE_FIELDS - len(doses))
    travel = list(values.get("travel", []))
    travel += [{"place": "", "date": ""}] * (TRAVEL_ROWS - len(travel))
    return render(
        request,
        "declarations/form.html",
        {
            "v": values,
            "doses": doses[:DOSE_FIELDS],
            "travel": travel[:TRAVEL_ROWS],
            "errors": errors,
            "dependents": account_service.get_dependents(session, guardian_id=me.person_id),
            "levels": ward_chain(session, values.get("ward_code")),
            "symptoms": _labels(declaration_service.SYMPTOMS),
            "exposures": _labels(declaration_service.EXPOSURES),
            "genders": _labels(declaration_service.GENDERS),
            "subjects": _labels(declaration_service.SUBJECTS),
            "test_kinds": _labels(declaration_service.TEST_KINDS),
            "test_results": _labels(declaration_service.TEST_RESULTS),
            "today": status.local_date(utcnow()).isoformat(),
        },
        status_code=status_code,
    )


@router.get("/declare", response_class=HTMLResponse)
def declare_form(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    person_id: uuid.UUID | None = None,
    subject: str = "self",
) -> HTMLResponse:
    me = access.citizen(principal)
    target = person_id or me.person_id
    if subject == "other":
        values: dict[str, Any] = {"subject": "other", "nationality": "Việt Nam"}
    else:
        access.act_for(session, principal, target)
        person = account_service.get_person(session, person_id=target)
        latest = declaration_service.get_latest(session, person_id=target)
        values = {"nationality": "Việt Nam", **_values_from(latest, person)}
        values["subject"] = "self" if target == me.person_id else "dependent"
        values["person_id"] = str(target)
    return _render_form(request, session, me, values, {})


def _parse_date(raw: str, field: str, errors: dict[str, str]) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[field] = N_("Enter a valid date.")
        return None


def parse_form(form: FormData) -> tuple[DeclarationIn, dict[str, Any], dict[str, str]]:
    """The form as the API's input, the raw values (to show again) and parse errors by field."""

    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        name: text(name)
        for name in (
            "subject",
            "person_id",
            "full_name",
            "id_kind",
            "id_number",
            "birth_year",
            "gender",
            "nationality",
            "ward_code",
            "street",
            "phone",
            "email",
            "other_symptom",
            "test_kind",
            "test_date",
            "test_result",
        )
    }
    values["symptoms"] = [v for v in form.getlist("symptoms") if isinstance(v, str)]
    values["exposures"] = [v for v in form.getlist("exposures") if isinstance(v, str)]
    values["consent"] = text("consent") == "yes"
    values["travel"] = [
        {"place": text(f"travel_place_{i}"), "date": text(f"travel_date_{i}")}
        for i in range(TRAVEL_ROWS)
    ]
    values["doses"] = [text(f"dose_{i}") for i in range(DOSE_FIELDS)]

    # the service names a year out of range; here only "is it a number"
    birth_year, problem, _ = fields.parse_form_int(values["birth_year"], minimum=0, maximum=9999)
    if problem is not None:
        errors["birth_year"] = N_("Enter a whole number.")
    person_id: uuid.UUID | None = None
    if values["person_id"]:
        try:
            person_id = uuid.UUID(values["person_id"])
        except ValueError:
            errors["person_id"] = N_("Choose the relative you declare for.")
    dose_dates: list[date] = []
    dose_fields: list[str] = []
    for i, raw in enumerate(values["doses"]):
        parsed = _parse_date(raw, f"dose_{i}", errors)
        if parsed is not None:
            dose_dates.append(parsed)
            dose_fields.append(f"dose_{i}")
    values["_dose_fields"] = dose_fields
    travel = [
        # constructed unchecked: the service names each bad date (future, too old) itself
        TravelIn.model_construct(
            place=row["place"], date=_parse_date(row["date"], f"travel.{i}.date", errors)
        )
        for i, row in enumerate(values["travel"])
    ]
    subject: Literal["self", "dependent", "other"] = "self"
    if values["subject"] in ("dependent", "other"):
        subject = values["subject"]
    data = DeclarationIn.model_construct(
        subject=subject,
        person_id=person_id if subject == "dependent" else None,
        full_name=values["full_name"][:200],
        id_kind="passport" if values["id_kind"] == "passport" else "cccd",
        id_number=values["id_number"][:20],
        birth_year=birth_year,
        gender=values["gender"],
        nationality=values["nationality"][:60],
        ward_code=values["ward_code"][:16],
        street=values["street"][:300],
        phone=values["phone"][:20],
        email=values["email"][:200] or None,
        travel=travel,
        symptoms=values["symptoms"][:10],
        other_symptom=values["other_symptom"][:300] or None,
        exposures=values["exposures"][:5],
        dose_dates=dose_dates,
        test_kind=values["test_kind"] if values["test_kind"] in ("rapid", "pcr") else None,
        test_date=_parse_date(values["test_date"], "test_date", errors),
        test_result=(
            values["test_result"] if values["test_result"] in ("negative", "positive") else None
        ),
        consent=values["consent"],
    )
    return data, values, errors


@router.post("/declare", response_class=HTMLResponse)
def declare_submit(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    form: Form_,
) -> Response:
    me = access.citizen(principal)
    data, values, errors = parse_form(form)
    try:
        if errors:
            declaration_service.validate(session, data, today=status.local_date(utcnow()))
        else:
            declaration = declaration_service.create(
                session,
                account_id=me.principal.user_id,
                account_person_id=me.person_id,
                data=data,
                now=utcnow(),
                others_per_day=settings.limit_declarations_for_others_per_day,
            )
    except TooManyRequests as exc:
        # Over a limit: the form comes back as typed, with the reason and when to retry.
        session.rollback()
        shown = {"form": i18n.gettext(exc.message, **exc.params)}
        response = _render_form(request, session, me, values, shown, status_code=429)
        response.headers.update(exc.headers())
        return response
    except InvalidInput as exc:
        session.rollback()
        for field, msgid in exc.fields.items():
            shown_at = field
            if field.startswith("dose_dates."):
                shown_at = values["_dose_fields"][int(field.split(".")[1])]
            errors.setdefault(shown_at, msgid)
    if errors:
        shown = {key: i18n.gettext(msgid) for key, msgid in errors.items()}
        shown["form"] = i18n.gettext(N_("Some fields are not valid."))
        return _render_form(request, session, me, values, shown, status_code=422)
    request.session.setdefault("flash", []).append(
        ["info", i18n.gettext("Thank you: your health declaration was recorded.")]
    )
    if declaration.subject == "other":  # their history is theirs, not shown here
        return RedirectResponse("/declarations/mine", status_code=303)
    return RedirectResponse(
        f"/declarations/mine?person_id={declaration.person_id}", status_code=303
    )


def _people(session: Session, me: access.Citizen) -> list[Person]:
    return [
        account_service.get_person(session, person_id=me.person_id),
        *account_service.get_dependents(session, guardian_id=me.person_id),
    ]


@router.get("/declarations/mine", response_class=HTMLResponse)
def my_declarations(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    person_id: uuid.UUID | None = None,
) -> HTMLResponse:
    me = access.citizen(principal)
    selected = person_id or me.person_id
    access.act_for(session, principal, selected)
    now = utcnow()
    cards = []
    for person in _people(session, me):
        current = declaration_service.get_status(
            session, person_id=person.id, policy=settings.status_policy, now=now
        )
        cards.append(
            {
                "person": person,
                "colour": current.colour.label,
                "reason": i18n.gettext(current.reason, **current.params),
                "latest": declaration_service.get_latest(session, person_id=person.id),
            }
        )
    return render(
        request,
        "declarations/mine.html",
        {
            "cards": cards,
            "selected": selected,
            "history": declaration_service.get_history(session, person_id=selected),
            "others": declaration_service.get_for_others(session, account_id=me.principal.user_id),
            "symptoms": _labels(declaration_service.SYMPTOMS),
            "exposures": _labels(declaration_service.EXPOSURES),
            "test_kinds": _labels(declaration_service.TEST_KINDS),
            "test_results": _labels(declaration_service.TEST_RESULTS),
        },
    )


@router.get("/pass", response_class=HTMLResponse)
def my_passes(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    keyring: AppKeyring,
) -> HTMLResponse:
    me = access.citizen(principal)
    now = utcnow()
    cards = []
    for person in _people(session, me):
        text, current = declaration_service.issue_pass(
            session, keyring=keyring, person=person, policy=settings.status_policy, now=now
        )
        cards.append(
            {
                "person": person,
                "text": text,
                "qr": qr_svg(text),
                "colour": current.colour.label,
                "reason": i18n.gettext(current.reason, **current.params),
                "expires_at": now.replace(microsecond=0)
                + timedelta(minutes=passes.DEFAULT_LIFETIME_MINUTES),
            }
        )
    return render(
        request,
        "declarations/pass.html",
        {
            "cards": cards,
            "refresh_seconds": int(passes.DEFAULT_LIFETIME_MINUTES * 60 * 0.6),
        },
    )


# -- officials ------------------------------------------------------------------------------


@router.get("/declarations/review", response_class=HTMLResponse)
def review(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    area: str | None = None,
    days: Days = 7,
    ward: str | None = None,
    kind: str | None = None,
    followed_up: str | None = None,
) -> HTMLResponse:
    scope = access.review(session, principal, area)
    days = days if days in REVIEW_DAYS else 7
    chosen_kind = kind if kind in ("symptoms", "exposure") else None
    followed = {"yes": True, "no": False}.get(followed_up or "")
    wards: list[AdminUnit] = place_service.leaf_units(session, area_path=scope.path)
    ward_codes = {w.code for w in wards}
    chosen_ward = ward if ward in ward_codes else None
    since = utcnow() - timedelta(days=days)
    rows = declaration_service.get_flagged(
        session,
        area_path=scope.path,
        since=since,
        ward_code=chosen_ward,
        kind=chosen_kind,
        followed_up=followed,
        limit=500,
    )
    declaration_service.audit_list_read(
        session, actor=scope.principal, rows=rows, purpose="declaration.review"
    )
    counts = declaration_service.count_per_ward_day(session, area_path=scope.path, since=since)
    query = {
        "area": scope.code or "",
        "days": str(days),
        "ward": chosen_ward or "",
        "kind": chosen_kind or "",
        "followed_up": followed_up or "",
    }
    return render(
        request,
        "declarations/review.html",
        {
            "rows": rows,
            "counts": counts,
            "wards": wards,
            "area_unit": place_service.get(session, code=scope.code) if scope.code else None,
            "query": query,
            "export_query": "&".join(f"{k}={v}" for k, v in query.items() if v),
            "day_choices": REVIEW_DAYS,
            "symptoms": _labels(declaration_service.SYMPTOMS),
            "exposures": _labels(declaration_service.EXPOSURES),
        },
    )


@router.post("/declarations/{declaration_id}/follow-up")
def follow_up_submit(
    declaration_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    note: Annotated[str, Form(max_length=1000)] = "",
    back: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    access.reviewer(principal)
    declaration = declaration_service.get(session, declaration_id=declaration_id)
    user = access.follow_up(session, principal, declaration.ward_code)
    declaration_service.mark_followed_up(session, actor=user, declaration=declaration, note=note)
    request.session.setdefault("flash", []).append(["info", i18n.gettext("Marked as followed up.")])
    target = back if back.startswith("/declarations/review") else "/declarations/review"
    return RedirectResponse(target, status_code=303)
