"""Area-scoped administration: who may grant what, and which accounts and audit entries an
administrator sees (regressions of an administrator scoped to a province creating a
nationwide administrator and reading every account and the whole audit log)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

Headers = dict[str, str]


def _create(
    client: TestClient, admin: Headers, role: str, area: str | None, username: str | None = None
) -> Any:
    return client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "username": username or f"u-{uuid.uuid4().hex[:8]}",
            "password": "a-long-password",
            "grants": [{"role": role, "area_code": area}],
        },
    )


def test_a_province_admin_cannot_create_a_nationwide_admin(
    client: TestClient, places: Any, make_staff: Any
) -> None:
    admin = make_staff("system_admin", "79")
    nationwide = _create(client, admin, "system_admin", None)
    assert nationwide.status_code == 403
    assert nationwide.json()["detail"] == (
        "Bạn chỉ được cấp vai trò ngang hoặc thấp hơn vai trò của mình, trong địa bàn của mình."
    )
    assert _create(client, admin, "system_admin", "01").status_code == 403
    assert _create(client, admin, "health_officer", "01").status_code == 403
    assert _create(client, admin, "ward_official", "00070").status_code == 403
    # inside the province: any role, including an administrator of a unit below
    assert _create(client, admin, "health_officer", "79").status_code == 201
    assert _create(client, admin, "ward_official", "26743").status_code == 201
    assert _create(client, admin, "system_admin", "26743").status_code == 201
    # a refused grant among allowed ones refuses the whole account, and writes nothing
    mixed = client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "username": "mixed",
            "password": "a-long-password",
            "grants": [
                {"role": "ward_official", "area_code": "26743"},
                {"role": "system_admin", "area_code": None},
            ],
        },
    )
    assert mixed.status_code == 403
    names = {u["username"] for u in client.get("/api/v1/users", headers=admin).json()}
    assert "mixed" not in names


def test_a_ward_admin_cannot_reach_up_to_the_province(
    client: TestClient, places: Any, make_staff: Any
) -> None:
    ward_admin = make_staff("system_admin", "26743")
    assert _create(client, ward_admin, "health_officer", "79").status_code == 403
    assert _create(client, ward_admin, "health_officer", "26734").status_code == 403
    assert _create(client, ward_admin, "ward_official", "26743").status_code == 201


def test_an_admin_sees_and_reads_only_accounts_of_their_area(
    client: TestClient, places: Any, make_staff: Any
) -> None:
    national = make_staff("system_admin", None, username="quoc-gia")
    hcm = make_staff("system_admin", "79", username="admin-hcm")
    own = _create(client, national, "health_officer", "79", "bs-hcm").json()
    ward = _create(client, national, "ward_official", "26743", "phuong-ben-thanh").json()
    other = _create(client, national, "health_officer", "01", "bs-hanoi").json()
    # an account with one role inside and one outside belongs to the province above both
    both = _create(client, national, "health_officer", "79", "hai-tinh").json()
    client.post(
        f"/api/v1/users/{both['id']}/grants",
        headers=national,
        json={"role": "health_officer", "area_code": "01"},
    )

    listed = {u["username"] for u in client.get("/api/v1/users", headers=hcm).json()}
    assert listed == {"admin-hcm", "bs-hcm", "phuong-ben-thanh"}
    everyone = {u["username"] for u in client.get("/api/v1/users", headers=national).json()}
    assert {"quoc-gia", "bs-hanoi", "hai-tinh"} <= everyone

    assert client.get(f"/api/v1/users/{own['id']}", headers=hcm).status_code == 200
    assert client.get(f"/api/v1/users/{ward['id']}", headers=hcm).status_code == 200
    for outside in (other["id"], both["id"]):
        refused = client.get(f"/api/v1/users/{outside}", headers=hcm)
        assert refused.status_code == 403
        assert refused.json()["detail"] == "Tài khoản này nằm ngoài địa bàn của bạn."
    assert client.get(f"/api/v1/users/{uuid.uuid4()}", headers=hcm).status_code == 404

    page = client.get("/admin/users", headers=hcm)
    assert page.status_code == 200
    assert "bs-hcm" in page.text and "phuong-ben-thanh" in page.text
    assert "bs-hanoi" not in page.text and "quoc-gia" not in page.text
    assert "hai-tinh" not in page.text
    assert client.get(f"/admin/users/{other['id']}", headers=hcm).status_code == 403
    assert client.get(f"/admin/users/{own['id']}", headers=hcm).status_code == 200


def test_an_admin_manages_only_accounts_of_their_area(
    client: TestClient, places: Any, make_staff: Any
) -> None:
    national = make_staff("system_admin", None)
    hcm = make_staff("system_admin", "79")
    other = _create(client, national, "health_officer", "01").json()
    above = _create(client, national, "system_admin", None).json()
    inside = _create(client, hcm, "health_officer", "79").json()
    for target in (other, above):
        base = f"/api/v1/users/{target['id']}"
        assert client.patch(base, headers=hcm, json={"is_active": False}).status_code == 403
        assert (
            client.post(f"{base}/password", headers=hcm, json={"password": "taken-over-now"})
        ).status_code == 403
        assert (
            client.post(
                f"{base}/grants", headers=hcm, json={"role": "ward_official", "area_code": "26743"}
            )
        ).status_code == 403
        grant = target["grants"][0]["id"]
        assert client.delete(f"{base}/grants/{grant}", headers=hcm).status_code == 403
        # pages: the same refusals
        assert (
            client.post(f"/admin/users/{target['id']}/active", headers=hcm, data={"active": "no"})
        ).status_code == 403
        assert (
            client.post(
                f"/admin/users/{target['id']}/password",
                headers=hcm,
                data={"password": "taken-over-now"},
            )
        ).status_code == 403
    # the nationwide accounts are untouched
    for target in (other, above):
        fresh = client.get(f"/api/v1/users/{target['id']}", headers=national).json()
        assert fresh["is_active"] is True and len(fresh["grants"]) == 1

    # a role the province admin may not give cannot be added to their own staff either
    base = f"/api/v1/users/{inside['id']}"
    up = client.post(
        f"{base}/grants", headers=hcm, json={"role": "system_admin", "area_code": None}
    )
    assert up.status_code == 403
    out = client.post(
        f"{base}/grants", headers=hcm, json={"role": "ward_official", "area_code": "00070"}
    )
    assert out.status_code == 403
    # once it holds a role outside the province (given by the national admin), it is out of reach
    client.post(
        f"{base}/grants", headers=national, json={"role": "ward_official", "area_code": "00070"}
    )
    assert client.get(base, headers=hcm).status_code == 403


def test_changes_to_an_account_of_the_area(
    client: TestClient, places: Any, make_staff: Any
) -> None:
    hcm = make_staff("system_admin", "79")
    me = client.get("/api/v1/me", headers=hcm).json()
    staff = _create(client, hcm, "health_officer", "79", "bs-lan").json()
    base = f"/api/v1/users/{staff['id']}"
    added = client.post(
        f"{base}/grants", headers=hcm, json={"role": "ward_official", "area_code": "26743"}
    )
    assert added.status_code == 201
    assert {(g["role"], g["area_code"]) for g in added.json()["grants"]} == {
        ("health_officer", "79"),
        ("ward_official", "26743"),
    }
    again = client.post(
        f"{base}/grants", headers=hcm, json={"role": "ward_official", "area_code": "26743"}
    )
    assert again.status_code == 409
    first, second = added.json()["grants"]
    removed = client.delete(f"{base}/grants/{first['id']}", headers=hcm)
    assert removed.status_code == 200 and len(removed.json()["grants"]) == 1
    last = client.delete(f"{base}/grants/{second['id']}", headers=hcm)
    assert last.status_code == 409
    renamed = client.patch(base, headers=hcm, json={"display_name": "Bác sĩ Lan"})
    assert renamed.json()["display_name"] == "Bác sĩ Lan"
    reset = client.post(f"{base}/password", headers=hcm, json={"password": "a-new-password-1"})
    assert reset.status_code == 204
    signed_in = client.post(
        "/api/v1/auth/token", json={"username": "bs-lan", "password": "a-new-password-1"}
    )
    assert signed_in.status_code == 200
    assert client.patch(base, headers=hcm, json={"is_active": False}).json()["is_active"] is False
    refused = client.post(
        "/api/v1/auth/token", json={"username": "bs-lan", "password": "a-new-password-1"}
    )
    assert refused.status_code == 403
    myself = client.patch(f"/api/v1/users/{me['user_id']}", headers=hcm, json={"is_active": False})
    assert myself.status_code == 409
    actions = [
        e["action"]
        for e in client.get(
            "/api/v1/audit", headers=hcm, params={"subject_id": staff["id"]}
        ).json()["items"]
    ]
    assert sorted(actions) == ["create", "grant", "password", "revoke", "update", "update"]


def test_admin_pages_create_grant_revoke_and_deactivate(
    client: TestClient, places: Any, make_staff: Any
) -> None:
    hcm = make_staff("system_admin", "79")
    page = client.get("/admin/users", headers=hcm)
    # the form offers the roles the administrator may grant, by name
    assert "Cán bộ y tế" in page.text or "health_officer" in page.text
    refused = client.post(
        "/admin/users",
        headers=hcm,
        data={
            "username": "ha-noi-1",
            "password": "a-long-password",
            "role": "health_officer",
            "area_code": "01",
        },
    )
    assert refused.status_code == 403
    assert "trong địa bàn của mình" in refused.text
    assert 'value="ha-noi-1"' in refused.text  # the form keeps what was typed
    created = client.post(
        "/admin/users",
        headers=hcm,
        data={
            "username": "bs-minh",
            "password": "a-long-password",
            "role": "health_officer",
            "area_code": "79",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    url = created.headers["location"]
    detail = client.get(url, headers=hcm)
    assert detail.status_code == 200 and "bs-minh" in detail.text
    granted = client.post(
        url + "/grants", headers=hcm, data={"role": "ward_official", "area_code": "26743"}
    )
    assert granted.status_code == 200 and "Phường Bến Thành" in granted.text
    up = client.post(url + "/grants", headers=hcm, data={"role": "system_admin", "area_code": ""})
    assert up.status_code == 403 and "trong địa bàn của mình" in up.text
    user_id = url.rsplit("/", 1)[1]
    account = client.get(f"/api/v1/users/{user_id}", headers=hcm).json()
    grant = next(g for g in account["grants"] if g["role"] == "ward_official")
    revoked = client.post(f"{url}/grants/{grant['id']}/delete", headers=hcm)
    assert revoked.status_code == 200
    off = client.post(url + "/active", headers=hcm, data={"active": "no"})
    assert off.status_code == 200
    assert client.get(f"/api/v1/users/{user_id}", headers=hcm).json()["is_active"] is False
    short = client.post(url + "/password", headers=hcm, data={"password": "short"})
    assert short.status_code == 422


def test_audit_log_shows_the_entries_of_the_administrators_area(
    client: TestClient, places: Any, make_staff: Any
) -> None:
    national = make_staff("system_admin", None)
    hcm = make_staff("system_admin", "79", username="admin-hcm")
    hanoi = make_staff("system_admin", "01", username="admin-hanoi")
    mine = _create(client, hcm, "health_officer", "79", "bs-hcm").json()
    theirs = _create(client, hanoi, "health_officer", "01", "bs-hanoi").json()
    national_made = _create(client, national, "health_officer", "79", "bs-tu-trung-uong").json()

    def subjects(headers: Headers) -> set[str]:
        body = client.get("/api/v1/audit", headers=headers, params={"limit": 1000}).json()
        assert body["total"] == len(body["items"])
        return {e["subject_id"] for e in body["items"]}

    assert subjects(hcm) == {mine["id"]}
    assert subjects(hanoi) == {theirs["id"]}
    assert {mine["id"], theirs["id"], national_made["id"]} <= subjects(national)
    page = client.get("/admin/audit", headers=hcm)
    assert mine["id"] in page.text
    assert theirs["id"] not in page.text and national_made["id"] not in page.text
