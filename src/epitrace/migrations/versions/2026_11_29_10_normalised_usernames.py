"""accounts: stored usernames in their one normalised spelling (stripped, case-folded, NFC)

Revision ID: 10_normalised_usernames
Revises: 09_rollout_rosters
Create Date: 2026-11-29 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from epitrace.accounts import usernames

revision: str = "10_normalised_usernames"
down_revision: str | Sequence[str] | None = "09_rollout_rosters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

account = sa.table("user_account", sa.column("id", sa.Uuid()), sa.column("username", sa.String))


def upgrade() -> None:
    # Names were stored stripped and lower-cased; the few whose normalised spelling differs
    # (ß, composed accents) are rewritten unless that spelling is already taken.
    bind = op.get_bind()
    rows = bind.execute(sa.select(account.c.id, account.c.username)).all()
    taken = {name for _, name in rows if name}
    for user_id, name in rows:
        if not name:
            continue
        normal = usernames.normalise(name)
        if normal != name and normal not in taken:
            bind.execute(account.update().where(account.c.id == user_id).values(username=normal))
            taken.add(normal)


def downgrade() -> None:
    """Normalised names stay: they are valid under the old rule too."""
