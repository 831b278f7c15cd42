"""The formal report of an area for a period: a page to choose, the PDF and the XLSX."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from epitrace import localtime
from epitrace.places import service as place_service
from epitrace.rollout import access, formal_report
from epitrace.rollout.pages import router as pages
from epitrace.security.roles import Action
from epitrace.web import exports
from epitrace.web.deps import CurrentPrincipal, DbSession
from epitrace.web.fields import MedicalDate
from epitrace.web.templating import render


def _period(first: date | None, last: date | None) -> tuple[date, date]:
    """Default: the last full week, Monday to Sunday, in local time."""
    today = localtime.today()
    end = last or today - timedelta(days=today.weekday() + 1)
    return first or end - timedelta(days=6), end


@pages.get("/rollout/report", response_class=HTMLResponse)
def formal_report_page(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    unit: Annotated[str, Query(max_length=300)] = "",
    first: Annotated[MedicalDate | None, Query(alias="from")] = None,
    last: Annotated[MedicalDate | None, Query(alias="to")] = None,
) -> HTMLResponse:
    """Choose the area and the period of the consolidated report."""
    code = place_service.resolve(session, text=unit, field="unit", leaves_only=False)
    user = access.area(session, principal, Action.ROLLOUT_READ, code) if code else None
    if user is None:
        home = access.home_area(
            access.can_list(principal, Action.ROLLOUT_READ), Action.ROLLOUT_READ
        )
        code = home or ""
        if code:
            access.area(session, principal, Action.ROLLOUT_READ, code)
    start, end = _period(first, last)
    return render(
        request,
        "rollout/formal_report.html",
        {"unit": code, "first": start, "last": end},
    )


@pages.get("/rollout/report.{fmt}")
def formal_report_file(
    fmt: Literal["pdf", "xlsx"],
    session: DbSession,
    principal: CurrentPrincipal,
    unit: Annotated[str, Query(max_length=300)],
    first: Annotated[MedicalDate | None, Query(alias="from")] = None,
    last: Annotated[MedicalDate | None, Query(alias="to")] = None,
) -> Response:
    """The consolidated report of an area for a period, as PDF (the administrative form) or XLSX."""
    code = place_service.resolve(session, text=unit, field="unit", leaves_only=False) or ""
    access.area(session, principal, Action.ROLLOUT_READ, code)
    start, end = _period(first, last)
    report = formal_report.build(
        session,
        area_code=code,
        first=start,
        last=end,
        issued=localtime.today(),
        not_reported=formal_report.not_reported(session, area_code=code, day=end),
    )
    name = exports.filename("bao-cao-trien-khai", code, ext="xlsx", day=end)
    if fmt == "pdf":
        return Response(
            formal_report.to_pdf(report),
            media_type="application/pdf",
            headers={"Content-Disposition": exports.disposition(name.removesuffix("xlsx") + "pdf")},
        )
    return exports.attachment(formal_report.to_xlsx(report), name=name)
