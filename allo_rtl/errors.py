"""The one exception family users see: AlloError, rendered as file:line, the line, a caret, a hint.

Every stage raises these for user mistakes (bad annotation, unsupported construct, illegal
schedule, wrong argument at call time). Internal bugs stay ordinary exceptions.
"""
from __future__ import annotations

import linecache


class AlloError(Exception):
    """A user-facing error tied to a place in the kernel's source (when one is known)."""

    def __init__(self, message: str, loc=None, hint: str | None = None):
        self.message, self.loc, self.hint = message, loc, hint
        super().__init__(self.render())

    def render(self) -> str:
        lines = []
        if self.loc is not None and getattr(self.loc, "line", 0) > 0:
            lines.append(f"{self.loc}: error: {self.message}")
            text = linecache.getline(self.loc.file, self.loc.line).rstrip("\n")
            if text:
                lines.append(f"    {text}")
                lines.append("    " + " " * self.loc.col + "^")
        else:
            lines.append(f"error: {self.message}")
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


class AlloSyntaxError(AlloError):
    """The kernel uses Python the frontend does not accept."""


class AlloTypeError(AlloError):
    """Types do not fit (bad annotation, mismatched shapes, refused operand types)."""


class AlloArgumentError(AlloError):
    """A call of a built kernel received an argument of the wrong shape, dtype or count."""


class AlloScheduleError(AlloError):
    """A schedule primitive is illegal or names something that does not exist."""


class AlloBackendError(AlloError):
    """The hardware backend cannot lower a construct (yet); nothing was generated."""
