"""The call of a built kernel, ``mod(A, B)``, as the user wrote it: a wrong argument is
reported at the user's call (the line to change), with the kernel parameter it concerns as a
note, and a misspelt option is an AlloArgumentError listing the options, not a TypeError."""
from __future__ import annotations

import functools
import inspect
import os

from ..errors import AlloArgumentError
from ..schedule.handles import call_site


def user_call(method):
    """Decorate a built module's ``__call__(self, *args, <keyword options>)``."""
    options = [p.name for p in inspect.signature(method).parameters.values()
               if p.kind is inspect.Parameter.KEYWORD_ONLY or (
                   p.default is not inspect.Parameter.empty)]

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        loc = call_site()
        unknown = [k for k in kwargs if k not in options]
        if unknown:
            raise AlloArgumentError(
                f"{self.top.name}(...) has no option {unknown[0]!r}", loc,
                hint=f"arguments are positional, in the kernel's order; options: "
                     f"{', '.join(options)}") from None
        if "max_cycles" in kwargs and kwargs["max_cycles"] is not None and (
                not isinstance(kwargs["max_cycles"], int) or isinstance(kwargs["max_cycles"], bool)
                or kwargs["max_cycles"] < 1):
            raise AlloArgumentError(f"max_cycles must be a positive integer, not "
                                    f"{kwargs['max_cycles']!r}", loc) from None
        vcd = kwargs.get("vcd")
        if vcd is not None and not isinstance(vcd, (str, os.PathLike)):
            raise AlloArgumentError(f"vcd must be a file name, not {type(vcd).__name__} "
                                    f"{vcd!r}", loc) from None
        try:
            return method(self, *args, **kwargs)
        except AlloArgumentError as e:
            raise e.relocate(loc, "the kernel's parameter").with_traceback(None) from None
    return call
