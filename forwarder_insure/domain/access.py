"""Who may do what: the roles of API keys and staff users, and the caller of a use case.

Roles are flat names; "handler and up" means handler, supervisor or admin. A seller caller is
bound to one seller id and sees only that seller's resources (others answer 404, not 403, so a
seller cannot even learn that a resource exists).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    SELLER = "seller"
    WAREHOUSE = "warehouse"
    TRACKING = "tracking"
    HANDLER = "handler"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


#: Ops staff, lowest to highest authority.
STAFF_RANKS: tuple[Role, ...] = (Role.HANDLER, Role.SUPERVISOR, Role.ADMIN)

#: Roles a staff user (console login) may have.
STAFF_ROLES: frozenset[Role] = frozenset(STAFF_RANKS)

ALL_ROLES: frozenset[Role] = frozenset(Role)


def at_least(role: Role) -> frozenset[Role]:
    """The staff roles with at least ``role``'s authority (``at_least(HANDLER)`` = handler+)."""
    return frozenset(STAFF_RANKS[STAFF_RANKS.index(role) :])


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated party behind a request or job run, as the services see it."""

    role: Role
    actor: str
    seller_id: str | None = None

    def __post_init__(self) -> None:
        if (self.role is Role.SELLER) != (self.seller_id is not None):
            raise ValueError("a seller caller needs a seller id, and only a seller caller has one")

    @property
    def is_seller(self) -> bool:
        return self.role is Role.SELLER

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def can_see_seller(self, seller_id: str) -> bool:
        """A seller sees only itself; every other role sees every seller."""
        return not self.is_seller or self.seller_id == seller_id


#: The caller of scheduled jobs and CLI maintenance runs.
SYSTEM = Caller(role=Role.ADMIN, actor="system")
