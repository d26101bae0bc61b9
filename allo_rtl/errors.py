"""The one exception family users see: AlloError, rendered as file:line, the line, a caret, a hint.

Every stage raises these for user mistakes (bad annotation, unsupported construct, illegal
schedule, wrong argument at call time). Internal bugs stay ordinary exceptions.
"""
from __future__ import annotations

import linecache


class AlloError(Exception):
    """A user-facing error tied to a place in the kernel's source (when one is known)."""

    def __init__(self, message: str, loc=None, hint: str | None = None, notes=()):
        self.message, self.loc, self.hint = message, loc, hint
        self.notes: list = list(notes)          # (loc, text): other places that matter
        super().__init__(self.render())

    def render(self) -> str:
        lines = _located(self.loc, f"error: {self.message}")
        for loc, text in self.notes:
            lines += _located(loc, f"note: {text}")
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)

    def relocate(self, loc, note: str = "the kernel line involved") -> "AlloError":
        """Point the error at ``loc`` (where the user called us); a kernel line it had
        becomes a note, so the user sees both the call to change and the code it concerns."""
        if _known(self.loc) and self.loc != loc:
            self.notes.insert(0, (self.loc, note))
        self.loc = loc
        self.args = (self.render(),)
        return self


def _known(loc) -> bool:
    return loc is not None and getattr(loc, "line", 0) > 0


def _located(loc, text: str) -> list:
    """``file:line: text`` with the source line and a caret, or ``text`` alone."""
    if not _known(loc):
        return [text]
    out = [f"{loc}: {text}"]
    source = linecache.getline(loc.file, loc.line).rstrip("\n")
    if source:
        out += [f"    {source}", "    " + " " * loc.col + "^"]
    return out


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


_REJECTED: dict = {}


def kernel_rejected(e: AlloError) -> AlloError:
    """``e``, re-raised by ``customize`` as also a ``SystemExit``: Allo's ``customize`` prints
    the error and calls ``sys.exit(1)`` for every kernel it rejects, and Allo programs (and
    tests) catch that. The error keeps its class (``except AlloTypeError`` still works) and is
    still an ``Exception``; left uncaught, Python prints the rendered message (file:line,
    caret, hint) without a traceback and exits with status 1, as Allo does."""
    if isinstance(e, SystemExit):
        return e
    cls = type(e)
    both = _REJECTED.get(cls)
    if both is None:
        both = _REJECTED[cls] = type(cls.__name__, (cls, SystemExit),
                                     {"__module__": cls.__module__, "__doc__": cls.__doc__})
    out = both.__new__(both)
    out.__dict__.update(e.__dict__)
    out.args = e.args
    out.code = e.args[0] if e.args else 1      # the message Python prints; exit status 1
    return out.with_traceback(e.__traceback__)
