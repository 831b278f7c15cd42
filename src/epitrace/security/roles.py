"""Roles and actions, and which role may do what (the permission matrix, in one place)."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    VENUE_OPERATOR = "venue_operator"
    ORG_ADMIN = "org_admin"
    WARD_OFFICIAL = "ward_official"
    DISTRICT_OFFICIAL = "district_official"
    PROVINCE_OFFICIAL = "province_official"
    HEALTH_OFFICER = "health_officer"
    DIC_OFFICER = "dic_officer"
    # Director (or deputy) of a provincial department answering for one sector's organisations;
    # granted on a province, the sector is kept by the rollout domain (`sector_director` table).
    SECTOR_DIRECTOR = "sector_director"
    SYSTEM_ADMIN = "system_admin"
    # Implicit role of every signed-in citizen; never granted to a staff account.
    CITIZEN = "citizen"


STAFF_ROLES = tuple(r for r in Role if r is not Role.CITIZEN)


class Action(enum.StrEnum):
    PLACES_READ = "places.read"
    PLACES_MANAGE = "places.manage"
    USERS_MANAGE = "users.manage"
    AUDIT_READ = "audit.read"
    KEYS_MANAGE = "keys.manage"
    ACCOUNT_SELF = "account.self"
    STAFF_HOME = "staff.home"
    CITIZEN_SELF = "citizen.self"
    VENUES_READ = "venues.read"
    VENUES_MANAGE = "venues.manage"
    DOOR_OPERATE = "door.operate"
    CHECKINS_COUNTS = "checkins.counts"
    CHECKINS_PERSONAL = "checkins.personal"
    PASSES_VERIFY = "passes.verify"
    DECLARATIONS_REVIEW = "declarations.review"
    DECLARATIONS_COUNTS = "declarations.counts"
    FEEDBACK_HANDLE = "feedback.handle"
    CASES_MANAGE = "cases.manage"
    ESCROW_APPROVE = "escrow.approve"
    TRACING_IDENTITIES = "tracing.identities"
    TRACING_COUNTS = "tracing.counts"
    QUARANTINE_MANAGE = "quarantine.manage"
    PEOPLE_SEARCH = "people.search"
    PEOPLE_MERGE = "people.merge"
    PEOPLE_RECORD = "people.record"
    EXPOSURE_CODES = "exposure.codes"
    EXPOSURE_COUNTS = "exposure.counts"
    ROLLOUT_READ = "rollout.read"
    ROLLOUT_REPORT = "rollout.report"
    ROLLOUT_ORG_READ = "rollout.org_read"
    ROLLOUT_ORGANISATIONS = "rollout.organisations"
    ROLLOUT_ROSTER = "rollout.roster"
    ROLLOUT_TEAMS = "rollout.teams"
    ROLLOUT_VISIT = "rollout.visit"
    ROLLOUT_MANAGE = "rollout.manage"
    REPORTS_READ = "reports.read"
    REPORTS_WRITE = "reports.write"
    REPORTS_REVIEW = "reports.review"
    REPORTS_FORMS = "reports.forms"
    REPORTS_REMIND = "reports.remind"
    INBOX = "alerts.inbox"
    ALERTS_CONTACT = "alerts.contact"
    ALERTS_COUNTS = "alerts.counts"
    CAMPAIGNS_MANAGE = "campaigns.manage"
    CAMPAIGNS_APPROVE = "campaigns.approve"
    CAMPAIGNS_READ = "campaigns.read"


_OFFICIALS = {Role.WARD_OFFICIAL, Role.DISTRICT_OFFICIAL, Role.PROVINCE_OFFICIAL}
_ALL_STAFF = set(STAFF_ROLES)

ROLE_ACTIONS: dict[Action, frozenset[Role]] = {
    Action.PLACES_READ: frozenset(_ALL_STAFF | {Role.CITIZEN}),
    Action.PLACES_MANAGE: frozenset({Role.SYSTEM_ADMIN}),
    Action.USERS_MANAGE: frozenset({Role.SYSTEM_ADMIN}),
    Action.AUDIT_READ: frozenset({Role.SYSTEM_ADMIN}),
    Action.KEYS_MANAGE: frozenset({Role.SYSTEM_ADMIN}),
    Action.ACCOUNT_SELF: frozenset(_ALL_STAFF | {Role.CITIZEN}),
    Action.STAFF_HOME: frozenset(_ALL_STAFF),
    Action.CITIZEN_SELF: frozenset({Role.CITIZEN}),
    Action.VENUES_READ: frozenset(
        _OFFICIALS
        | {Role.ORG_ADMIN, Role.VENUE_OPERATOR, Role.HEALTH_OFFICER, Role.DIC_OFFICER}
        | {Role.SYSTEM_ADMIN}
    ),
    Action.VENUES_MANAGE: frozenset({Role.ORG_ADMIN, Role.VENUE_OPERATOR, Role.SYSTEM_ADMIN}),
    Action.DOOR_OPERATE: frozenset({Role.VENUE_OPERATOR, Role.ORG_ADMIN}),
    Action.CHECKINS_COUNTS: frozenset(
        _OFFICIALS | {Role.HEALTH_OFFICER, Role.DIC_OFFICER, Role.SYSTEM_ADMIN}
    ),
    Action.CHECKINS_PERSONAL: frozenset({Role.HEALTH_OFFICER, Role.SYSTEM_ADMIN}),
    Action.PASSES_VERIFY: frozenset({Role.VENUE_OPERATOR, Role.ORG_ADMIN, Role.HEALTH_OFFICER}),
    Action.DECLARATIONS_REVIEW: frozenset(_OFFICIALS | {Role.HEALTH_OFFICER}),
    Action.DECLARATIONS_COUNTS: frozenset(
        _OFFICIALS | {Role.HEALTH_OFFICER, Role.DIC_OFFICER, Role.SYSTEM_ADMIN}
    ),
    Action.FEEDBACK_HANDLE: frozenset(_OFFICIALS),
    # Cases, contacts and quarantine (see docs/security.md, "People of a ward"): health
    # officers register cases and tests and run traces; ward officials, who supervise home
    # quarantine, read the cases and contacts of their ward and act on its quarantine. Every
    # check is on the area stored for the subject, so a ward official's grant on a ward
    # reaches only the people of that ward.
    Action.CASES_MANAGE: frozenset({Role.HEALTH_OFFICER}),
    # The escrow privacy mode (docs/privacy.md, "Escrow mode"): opening the sealed identities
    # of a case's days needs two of these officials, each with their share of the day keys.
    Action.ESCROW_APPROVE: frozenset({Role.HEALTH_OFFICER, Role.PROVINCE_OFFICIAL}),
    Action.TRACING_IDENTITIES: frozenset(
        {Role.HEALTH_OFFICER, Role.WARD_OFFICIAL, Role.SYSTEM_ADMIN}
    ),
    Action.TRACING_COUNTS: frozenset(
        _OFFICIALS | {Role.HEALTH_OFFICER, Role.DIC_OFFICER, Role.SYSTEM_ADMIN}
    ),
    Action.QUARANTINE_MANAGE: frozenset({Role.HEALTH_OFFICER, Role.WARD_OFFICIAL}),
    # finding a person by name, phone, ID number or ward (audited), and merging two records
    # of one human (which moves their cases and orders: health officers only)
    Action.PEOPLE_SEARCH: frozenset({Role.HEALTH_OFFICER, Role.WARD_OFFICIAL}),
    Action.PEOPLE_MERGE: frozenset({Role.HEALTH_OFFICER}),
    # a named person's health record (declarations, tests, cases, orders, check-ins): read
    # for an active case, or for a stated purpose that goes into the audit log
    Action.PEOPLE_RECORD: frozenset({Role.HEALTH_OFFICER, Role.WARD_OFFICIAL}),
    Action.EXPOSURE_CODES: frozenset({Role.HEALTH_OFFICER}),
    Action.EXPOSURE_COUNTS: frozenset({Role.HEALTH_OFFICER, Role.SYSTEM_ADMIN, Role.DIC_OFFICER}),
    # Rollout oversight (see docs/rollout.md, "Who may do what"): figures are aggregated for
    # everyone; names on a roster are for the organisation's own admin only. READ is an
    # area's figures; ORG_READ an organisation's (or a sector's) figures and registry entry.
    Action.ROLLOUT_READ: frozenset(_OFFICIALS | {Role.DIC_OFFICER}),
    Action.ROLLOUT_ORG_READ: frozenset(
        _OFFICIALS | {Role.DIC_OFFICER, Role.ORG_ADMIN, Role.SECTOR_DIRECTOR}
    ),
    Action.ROLLOUT_REPORT: frozenset(
        _OFFICIALS | {Role.DIC_OFFICER, Role.ORG_ADMIN, Role.SECTOR_DIRECTOR}
    ),
    Action.ROLLOUT_ORGANISATIONS: frozenset(_OFFICIALS | {Role.DIC_OFFICER, Role.SECTOR_DIRECTOR}),
    Action.ROLLOUT_ROSTER: frozenset({Role.ORG_ADMIN}),
    Action.ROLLOUT_TEAMS: frozenset({Role.WARD_OFFICIAL, Role.DISTRICT_OFFICIAL}),
    Action.ROLLOUT_VISIT: frozenset({Role.CITIZEN, Role.WARD_OFFICIAL}),
    Action.ROLLOUT_MANAGE: frozenset({Role.DIC_OFFICER, Role.PROVINCE_OFFICIAL}),
    # The reporting chain (docs/rollout.md, "Reporting chain"): a unit's own officials write
    # its report (grant on exactly that unit), the officials above it review it (a grant
    # covering its parent), the DIC and the province define forms and follow up lagging
    # units; a district follows up its own wards. Organisation admins write their
    # organisation's report, sector directors their sector's and review their organisations'
    # (a ward's officials review the organisations its people's committee supervises); the
    # subject decides which of these roles a given report admits (`rollout.access`).
    Action.REPORTS_READ: frozenset(
        _OFFICIALS | {Role.DIC_OFFICER, Role.ORG_ADMIN, Role.SECTOR_DIRECTOR}
    ),
    Action.REPORTS_WRITE: frozenset(
        _OFFICIALS | {Role.DIC_OFFICER, Role.ORG_ADMIN, Role.SECTOR_DIRECTOR}
    ),
    Action.REPORTS_REVIEW: frozenset(_OFFICIALS | {Role.DIC_OFFICER, Role.SECTOR_DIRECTOR}),
    Action.REPORTS_FORMS: frozenset({Role.DIC_OFFICER, Role.PROVINCE_OFFICIAL}),
    Action.REPORTS_REMIND: frozenset(
        {Role.DISTRICT_OFFICIAL, Role.PROVINCE_OFFICIAL, Role.DIC_OFFICER}
    ),
    # every account has an inbox of notices
    Action.INBOX: frozenset(_ALL_STAFF | {Role.CITIZEN}),
    # confirming a trace and marking a hotspot are what send contact and venue alerts
    Action.ALERTS_CONTACT: frozenset({Role.HEALTH_OFFICER}),
    # delivery counts of alerts and campaigns in one's own area
    Action.ALERTS_COUNTS: frozenset(_OFFICIALS | {Role.HEALTH_OFFICER, Role.DIC_OFFICER}),
    Action.CAMPAIGNS_MANAGE: frozenset({Role.DIC_OFFICER}),
    # the second official of a large campaign (never the one who prepared it): another DIC
    # official or a province official
    Action.CAMPAIGNS_APPROVE: frozenset({Role.DIC_OFFICER, Role.PROVINCE_OFFICIAL}),
    # a campaign in full (text, audience, preview): those who prepare or approve it
    Action.CAMPAIGNS_READ: frozenset({Role.DIC_OFFICER, Role.PROVINCE_OFFICIAL}),
}


def roles_for(action: Action) -> frozenset[Role]:
    return ROLE_ACTIONS[action]


# -- administration ----------------------------------------------------------------------
# The order of roles for granting: an account grants (and revokes, and manages the accounts
# holding) only roles ranked at or below the role of its own grant that carries
# USERS_MANAGE, and only inside that grant's area (see `permissions.may_grant`). The system
# administrator is above every other staff role; the other staff roles are peers (none of
# them administers accounts today, but an order that covers them keeps the rule total should
# one ever be given USERS_MANAGE). Citizens are below all and never granted.
ROLE_RANK: dict[Role, int] = {
    **dict.fromkeys(STAFF_ROLES, 1),
    Role.SYSTEM_ADMIN: 2,
    Role.CITIZEN: 0,
}


def roles_at_or_below(role: Role) -> frozenset[Role]:
    """The staff roles an account holding `role` (with USERS_MANAGE) may grant."""
    return frozenset(r for r in STAFF_ROLES if ROLE_RANK[r] <= ROLE_RANK[role])
