"""Allo's schedule-API surface that allo-rtl accepts but does not implement the same way:
each such argument either warns saying what the hardware does instead or is refused, and an
unknown name is an error with the close matches -- never silently ignored."""
from __future__ import annotations

import difflib
import functools
import inspect
import warnings

from ..errors import AlloScheduleError
from .handles import call_site


class AlloCompatWarning(UserWarning):
    """An Allo argument is accepted but does not change what allo-rtl builds."""


CUSTOMIZE_OPTIONS = ("verbose", "enable_tensor", "lower_linalg", "global_vars", "instantiate",
                     "context", "typing_rule_set", "unroll")     # Allo's customize arguments


def warn_ignored(what: str, instead: str):
    loc = call_site()
    warnings.warn_explicit(f"{what} has no effect in allo-rtl: {instead}", AlloCompatWarning,
                           loc.file, loc.line)


def check_customize_options(enable_tensor, lower_linalg, context, typing_rule_set, unroll,
                            unknown):
    for name in unknown:
        close = difflib.get_close_matches(name, CUSTOMIZE_OPTIONS, n=2)
        raise AlloScheduleError(f"customize() has no argument {name!r}", call_site(),
                                hint=(f"did you mean {' or '.join(close)}? " if close else "")
                                + f"Allo's arguments: {', '.join(CUSTOMIZE_OPTIONS)}")
    if enable_tensor:
        warn_ignored("customize(enable_tensor=True)", "there is no MLIR tensor form; kernels "
                     "are lowered from their arrays directly")
    if lower_linalg:
        warn_ignored("customize(lower_linalg=True)", "array operations are always lowered to "
                     "loops")
    if context is not None:
        warn_ignored("customize(context=...)", "allo-rtl uses no MLIR context")
    if not unroll:
        warn_ignored("customize(unroll=False)", "meta_for bodies are always expanded")
    if typing_rule_set != "default":
        raise AlloScheduleError(f"typing_rule_set={typing_rule_set!r} is not implemented; "
                                "allo-rtl types kernels with Allo's default rules", call_site(),
                                hint="drop typing_rule_set= (the default rules are used)")


def public_names(obj) -> list:
    return [n for n in dir(type(obj)) if not n.startswith("_")]


def unknown_attribute(schedule, name: str, arrays: list) -> AttributeError:
    """The error for ``s.<name>`` that is neither a primitive nor an array of the top kernel.
    An AttributeError too, so ``hasattr`` answers False."""
    candidates = public_names(schedule) + list(arrays)
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else \
        f"arrays of {schedule.module.top}: {', '.join(arrays) or 'none'}"
    return UnknownAttributeError(f"no primitive or array named {name!r}", call_site(), hint)


class UnknownAttributeError(AlloScheduleError, AttributeError):
    """``s.X`` names neither a schedule primitive nor an array of the top kernel."""


class PrimitiveArgumentError(AlloScheduleError, TypeError):
    """A schedule primitive called with arguments its signature (Allo's) does not take; a
    TypeError too, as Python would raise."""


def check_arguments(cls, names):
    """Wrap the primitives ``names`` of ``cls`` so that a call Python would refuse with a
    TypeError (unknown keyword, missing or extra argument) is an error at the user's line
    naming the primitive, the close matches and its signature."""
    for name in names:
        setattr(cls, name, _checked(getattr(cls, name)))


def _checked(method):
    sig = inspect.signature(method)

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        try:
            sig.bind(self, *args, **kwargs)
        except TypeError as e:
            raise _argument_error(method.__name__, sig, kwargs, e) from None
        return method(self, *args, **kwargs)
    return call


def _argument_error(name: str, sig, kwargs: dict, error: TypeError):
    params = [p for p in sig.parameters.values() if p.name != "self"]
    shown = ", ".join(str(p) for p in params)
    known = [p.name for p in params]
    for k in kwargs:
        if k not in known:
            close = difflib.get_close_matches(k, known, n=2)
            return PrimitiveArgumentError(
                f"s.{name}() has no argument {k!r}", call_site(),
                hint=(f"did you mean {' or '.join(close)}? " if close else "")
                + f"Allo's signature: s.{name}({shown})")
    why = str(error).split("() ", 1)[-1] if "() " in str(error) else str(error)
    return PrimitiveArgumentError(f"s.{name}(): {why}", call_site(),
                                  hint=f"Allo's signature: s.{name}({shown})")
