"""Template kernels: which parameters a kernel declares and what ``instantiate=[...]`` binds.

Two spellings declare parameters. Python 3.12's PEP 695 ``def k[T, M: int32](...)`` (what
Allo writes) leaves them in ``fn.__type_params__``; on 3.11, ``@allo.template("T", "M")`` leaves
``fn.__allo_template__``. Either way ``instantiate`` gives one value per parameter, in order.
A bound or constraint on a PEP 695 parameter is checked as Allo means it: ``T: Int`` (a type
class) takes an ``Int(n)``, ``T: (float32, int32)`` one of those types, ``M: int32`` (a type)
an integer value.
"""
from __future__ import annotations

import inspect
import numbers

from ..errors import AlloTypeError
from ..ir import types as T


def template_params(fn) -> list:
    """[(name, bound, constraints)] of ``fn``'s template parameters ([] for a plain kernel)."""
    pep695 = getattr(fn, "__type_params__", ()) or ()
    if pep695:
        return [(p.__name__, getattr(p, "__bound__", None),
                 tuple(getattr(p, "__constraints__", ()) or ())) for p in pep695]
    return [(name, None, ()) for name in getattr(fn, "__allo_template__", ()) or ()]


def is_template(fn) -> bool:
    return bool(template_params(fn))


def bind(fn, instantiate, loc=None) -> dict:
    """{parameter name: value} for ``instantiate``; refuses a wrong count or a value that
    breaks a declared bound."""
    params = template_params(fn)
    if not params:
        if instantiate:
            raise AlloTypeError(f"{fn.__name__} is not a template; instantiate= is not needed",
                                loc, hint="declare parameters as def k[T, M](...) on Python "
                                          "3.12, or with @allo.template('T', 'M') on 3.11")
        return {}
    names = [p[0] for p in params]
    values = list(instantiate) if instantiate is not None else []
    if len(values) != len(params):
        raise AlloTypeError(f"template kernel {fn.__name__} has parameters {names}; "
                            f"pass instantiate=[...] with {len(params)} values, not "
                            f"{len(values)}", loc,
                            hint=f"allo.customize({fn.__name__}, instantiate=[...]) with one "
                                 "value per parameter, in order")
    for (name, bound, constraints), value in zip(params, values):
        problem = _bound_problem(value, bound, constraints)
        if problem:
            raise AlloTypeError(f"template parameter {name} of {fn.__name__} is instantiated "
                                f"with {value!r}, but {problem}", loc)
    return dict(zip(names, values))


def _bound_problem(value, bound, constraints):
    if constraints:
        if any(_satisfies(value, c) for c in constraints):
            return None
        return f"it must be one of {', '.join(map(_show, constraints))}"
    if bound is not None and not _satisfies(value, bound):
        return f"it is declared {_show(bound)}"
    return None


def _satisfies(value, bound) -> bool:
    if inspect.isclass(bound):                # T: Int   -> an Int(n) type
        return isinstance(value, bound)
    if isinstance(bound, T.AlloType):
        if isinstance(value, T.AlloType):     # T: (float32, int32) -> that very type
            return value == bound
        if bound.is_float:                     # M: float32 -> a number
            return isinstance(value, numbers.Real)
        return isinstance(value, numbers.Integral)   # M: int32 -> an integer
    return True                                # a bound we do not interpret


def _show(b) -> str:
    return b.__name__ if inspect.isclass(b) else repr(b)


def instantiate_subscript(fn, args: list, loc=None) -> dict:
    """{name: value} for an explicit instantiation ``kernel[int8, 4](...)`` inside a kernel."""
    return bind(fn, args, loc)
