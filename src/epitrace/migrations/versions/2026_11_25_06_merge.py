"""Join the domain branches (check-in, declarations, cases, exposure) into one history.

Revision ID: 06_merge
Revises: 02_checkins, 03_declarations, 04_cases, 05_exposure
Create Date: 2026-11-25
"""

from collections.abc import Sequence

revision: str = "06_merge"
down_revision: str | Sequence[str] | None = (
    "02_checkins",
    "03_declarations",
    "04_cases",
    "05_exposure",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
