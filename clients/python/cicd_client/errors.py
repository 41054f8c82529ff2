"""API errors: the server's meta.v1.Status turned into an exception."""

from __future__ import annotations

from dataclasses import dataclass

from ._bindings import meta_v1


@dataclass(frozen=True)
class Cause:
    """One reason of a failure, e.g. the invalid field: ``spec.replicas``."""

    field: str
    reason: str
    message: str


class ApiError(Exception):
    """A request the server refused, with the Status it sent.

    ``code`` is the HTTP status, ``reason`` the Status reason (``Invalid``,
    ``NotFound``, ``AlreadyExists``, ``Conflict``, ``Forbidden``, ...) and
    ``causes`` the field causes of a 422.
    """

    def __init__(self, code: int, reason: str, message: str, causes: tuple[Cause, ...] = (),
                 status: meta_v1.Status | None = None) -> None:
        self.code = code
        self.reason = reason
        self.message = message
        self.causes = causes
        self.status = status
        text = f"{code} {reason}: {message}"
        if causes and all(c.field not in message for c in causes):
            text += " (" + "; ".join(f"{c.field}: {c.message}" for c in causes) + ")"
        super().__init__(text)

    @property
    def fields(self) -> list[str]:
        """The field paths the server named, in its order."""
        return [c.field for c in self.causes if c.field]

    @classmethod
    def from_status(cls, status: meta_v1.Status, http_code: int = 0) -> ApiError:
        causes = tuple(Cause(c.field, c.reason, c.message) for c in status.details.causes)
        code = status.code or http_code
        kind = _BY_REASON.get(status.reason, ApiError)
        return kind(code, status.reason, status.message, causes, status)


class NotFound(ApiError):
    """404: the object does not exist."""


class AlreadyExists(ApiError):
    """409 AlreadyExists: create of an existing name."""


class Conflict(ApiError):
    """409 Conflict: the resourceVersion is stale; read and try again."""


class Invalid(ApiError):
    """422: the object is not valid; ``fields`` names the field paths."""


class Forbidden(ApiError):
    """403: not allowed (RBAC, or the admission plugin's limit)."""


class Expired(ApiError):
    """410: the resourceVersion a watch or list asked for is too old."""


_BY_REASON: dict[str, type[ApiError]] = {
    "NotFound": NotFound,
    "AlreadyExists": AlreadyExists,
    "Conflict": Conflict,
    "Invalid": Invalid,
    "Forbidden": Forbidden,
    "Expired": Expired,
    "Gone": Expired,
}
