"""The numpy boundary, as Allo's: numpy/Python values in, raw IR values inside, numpy out.

Integer arrays travel as numpy integer arrays (nearest dtype), fixed-point arrays as float
arrays (value = raw / 2**fracs), float32 as float32. Arguments a kernel writes are updated in
place. Mistakes (wrong count, shape or kind of dtype) raise AlloArgumentError naming the argument.

A value the parameter's type cannot hold is refused, naming the argument, the index and the
range: an integer outside the type's range (300 into int8), a fixed-point value whose truncated
mantissa is outside it (1000.0 into Fixed(12, 4)), NaN or infinity into an integer or fixed-point
parameter. ``wrap=True`` (``mod(..., wrap=True)``) opts in to two's-complement wrapping of
out-of-range values, as an assignment inside a kernel does; NaN and infinity are refused even
then. A fraction finer than a fixed-point type's resolution is truncated toward zero (not an
error: that is the conversion). float32 parameters take any float (IEEE rounding, overflow to
infinity).
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ..errors import AlloArgumentError
from ..ir import nodes as ir


def _where(f: ir.Function, p) -> str:
    return f"argument {p.name!r} of {f.name} ({p.type!r})"


WRAP_HINT = ("pass values in range, or call with wrap=True to wrap them (two's complement) "
             "as an assignment inside the kernel would")


def _range_text(typ) -> str:
    lo, hi = typ.min_raw, typ.max_raw
    if typ.fracs:
        return f"{lo / (1 << typ.fracs)!r}..{hi / (1 << typ.fracs)!r}"
    return f"{lo}..{hi}"


def to_word(typ, raw) -> int:
    """The hardware word of a raw value: an integer's raw value, a float's IEEE bits."""
    if typ.is_float:
        return int(np.array(raw, dtype=typ.numpy_dtype).view(f"uint{typ.bits}"))
    return int(raw)


def from_word(typ, word: int):
    """The raw value of a hardware word (``to_word`` inverted; integers wrap into the type)."""
    if typ.is_float:
        bits = int(word) & ((1 << typ.bits) - 1)
        return np.array(bits, dtype=f"uint{typ.bits}").view(typ.numpy_dtype)[()]
    return typ.wrap(word)


def to_raw(f, p, typ, value, index=None, wrap: bool = False):
    """Raw value of ``value`` for ``typ`` (the type of parameter ``p``, an element type for an
    array), refusing what the type cannot hold unless ``wrap``."""
    if typ.is_float:
        return typ.from_python(value)
    at = "" if index is None else f" at index {index}"
    if isinstance(value, (bool, np.bool_)):
        value = int(value)
    if isinstance(value, (numbers.Integral, np.integer)):
        raw = int(value) << typ.fracs
    else:
        value = float(value)
        if not math.isfinite(value):
            raise AlloArgumentError(f"{_where(f, p)}{at} is {value!r}, which {typ!r} cannot "
                                    "represent", p.loc,
                                    hint="replace NaN and infinity before the call "
                                         "(e.g. np.nan_to_num)")
        raw = math.trunc(value * (1 << typ.fracs))
    if not typ.min_raw <= raw <= typ.max_raw and not wrap:
        raise AlloArgumentError(f"{_where(f, p)}{at} is {value!r}, outside {typ!r}'s range "
                                f"{_range_text(typ)}", p.loc, hint=WRAP_HINT)
    return typ.wrap(raw)


def scalar_in(f, p: ir.Scalar, value, *, wrap: bool = False):
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if not isinstance(value, (numbers.Number, np.generic)) or isinstance(value, complex):
        raise AlloArgumentError(f"{_where(f, p)} must be a number, got {type(value).__name__}",
                                p.loc)
    is_float = isinstance(value, (float, np.floating))
    if is_float and p.type.is_int:
        raise AlloArgumentError(f"{_where(f, p)} is an integer; got the float {value!r}", p.loc,
                                hint="pass an int, or declare the parameter float32/Fixed")
    return to_raw(f, p, p.type, value, wrap=wrap)


def array_in(f, p: ir.Buffer, value, *, wrap: bool = False) -> np.ndarray:
    """Raw values (an object array) for buffer parameter ``p``."""
    if not isinstance(value, np.ndarray):
        raise AlloArgumentError(f"{_where(f, p)} must be a numpy array, got "
                                f"{type(value).__name__}", p.loc,
                                hint=f"np.asarray(x, dtype={p.dtype.numpy_dtype})")
    if value.shape != p.shape:
        raise AlloArgumentError(f"{_where(f, p)} must have shape {p.shape}, got {value.shape}",
                                p.loc)
    kind = value.dtype.kind
    if kind == "O" and all(isinstance(v, (numbers.Integral, numbers.Real)) for v in value.flat):
        kind = "i" if all(isinstance(v, numbers.Integral) for v in value.flat) else "f"
    if p.dtype.is_int and kind not in "iub":
        raise AlloArgumentError(f"{_where(f, p)} needs an integer array, got dtype {value.dtype}",
                                p.loc, hint=f"pass an array of dtype {p.dtype.numpy_dtype}")
    if (p.dtype.is_fixed or p.dtype.is_float) and kind not in "iuf" and \
            value.dtype.name != "bfloat16":                      # ml_dtypes' bfloat16 is kind V
        raise AlloArgumentError(f"{_where(f, p)} needs a numeric array, got dtype {value.dtype}",
                                p.loc)
    raw = np.empty(p.shape, dtype=object)
    flat_in, flat_out = value.reshape(-1), raw.reshape(-1)
    for k in range(flat_in.size):
        v = flat_in[k]
        # a float element stays a numpy scalar: through a Python float a signaling NaN's
        # bits would change (float32 -> float64 quiets it)
        if isinstance(v, np.generic) and not (p.dtype.is_float and isinstance(v, np.floating)):
            v = v.item()
        index = np.unravel_index(k, p.shape) if p.shape else ()
        flat_out[k] = to_raw(f, p, p.dtype, v, tuple(int(i) for i in index), wrap)
    return raw


def array_out(typ, raw: np.ndarray) -> np.ndarray:
    """numpy array of the values raw holds, in the type's boundary dtype."""
    out = np.empty(raw.shape, dtype=typ.dtype.numpy_dtype)
    flat_in, flat_out = raw.reshape(-1), out.reshape(-1)
    for k in range(flat_in.size):
        flat_out[k] = typ.dtype.to_python(flat_in[k])
    return out


def _user_params(f: ir.Function, banks) -> list:
    return f.params if banks is None else banks.user_params


def _user_results(f: ir.Function, banks) -> list:
    return f.results if banks is None else banks.user_results


def _regroup(symbols: list, raws: list, banks):
    """(caller-visible symbol, its raw value, hardware symbols) with banks merged back."""
    k = 0
    arrays = {} if banks is None else banks.arrays
    for p in symbols:
        b = arrays.get(id(p))
        n = 1 if b is None else len(b.banks)
        part = raws[k:k + n]
        yield p, (part[0] if b is None else b.merge(part)), ([p] if b is None else b.banks)
        k += n


def check_arity(f: ir.Function, args, banks=None):
    params = _user_params(f, banks)
    if len(args) != len(params):
        names = ", ".join(p.name for p in params)
        raise AlloArgumentError(f"{f.name} takes {len(params)} arguments ({names}), "
                                f"got {len(args)}", f.loc)


def convert_args(f: ir.Function, args, banks=None, *, wrap: bool = False) -> list:
    """Raw values, one per hardware parameter. ``banks`` (``hls.banking.FunctionBanks``, from
    the build) says how partitioned arrays are split into their banks; out-of-range values
    are refused unless ``wrap``."""
    check_arity(f, args, banks)
    arrays = {} if banks is None else banks.arrays
    out = []
    for p, a in zip(_user_params(f, banks), args):
        raw = (array_in(f, p, a, wrap=wrap) if isinstance(p, ir.Buffer)
               else scalar_in(f, p, a, wrap=wrap))
        out += arrays[id(p)].split(raw) if id(p) in arrays else [raw]
    return out


def write_back(f: ir.Function, args, raw_args, written: set, banks=None):
    """Update, in place, the caller's arrays that the kernel wrote."""
    for (p, raw, hw), a in zip(_regroup(_user_params(f, banks), raw_args, banks), args):
        if isinstance(p, ir.Buffer) and any(id(h) in written for h in hw):
            a[...] = array_out(p.type, raw).astype(a.dtype, copy=False)


def convert_results(f: ir.Function, raw_results: list, banks=None, args=None):
    """The caller's results; a parameter returned as is (``return A``) is the caller's own
    array (already written back), as the kernel run as Python returns it."""
    params = _user_params(f, banks)
    values = []
    for r, v, _ in _regroup(_user_results(f, banks), raw_results, banks):
        if not isinstance(r, ir.Buffer):
            values.append(r.type.to_python(v))
            continue
        k = next((k for k, p in enumerate(params) if p is r.returns_param), None)
        mine = args[k] if args is not None and k is not None and k < len(args) else None
        same = isinstance(mine, np.ndarray) and mine.shape == r.type.shape and \
            np.array_equal(mine, array_out(r.type, v))
        out = mine if same else array_out(r.type, v)
        if r.view_shape is not None and not same:    # s.reshape of a result: Allo returns
            out = out.reshape(r.view_shape)           # the array in its new shape
        values.append(out)
    if not values:
        return None
    return tuple(values) if f.returns_tuple else values[0]
