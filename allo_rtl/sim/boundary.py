"""The numpy boundary, as Allo's: numpy/Python values in, raw IR values inside, numpy out.

Integer arrays travel as numpy integer arrays (nearest dtype), fixed-point arrays as float
arrays (value = raw / 2**fracs), float32 as float32. Arguments a kernel writes are updated in
place. Mistakes (wrong count, shape or kind of dtype) raise AlloArgumentError naming the argument.
"""
from __future__ import annotations

import numbers

import numpy as np

from ..errors import AlloArgumentError
from ..ir import nodes as ir


def _where(f: ir.Function, p) -> str:
    return f"argument {p.name!r} of {f.name} ({p.type!r})"


def scalar_in(f, p: ir.Scalar, value):
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if not isinstance(value, (numbers.Number, np.generic)) or isinstance(value, complex):
        raise AlloArgumentError(f"{_where(f, p)} must be a number, got {type(value).__name__}",
                                p.loc)
    is_float = isinstance(value, (float, np.floating))
    if is_float and p.type.is_int:
        raise AlloArgumentError(f"{_where(f, p)} is an integer; got the float {value!r}", p.loc,
                                hint="pass an int, or declare the parameter float32/Fixed")
    return p.type.from_python(value)


def array_in(f, p: ir.Buffer, value) -> np.ndarray:
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
        flat_out[k] = p.dtype.from_python(v.item() if isinstance(v, np.generic) else v)
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


def convert_args(f: ir.Function, args, banks=None) -> list:
    """Raw values, one per hardware parameter. ``banks`` (``hls.banking.FunctionBanks``, from
    the build) says how partitioned arrays are split into their banks."""
    check_arity(f, args, banks)
    arrays = {} if banks is None else banks.arrays
    out = []
    for p, a in zip(_user_params(f, banks), args):
        raw = array_in(f, p, a) if isinstance(p, ir.Buffer) else scalar_in(f, p, a)
        out += arrays[id(p)].split(raw) if id(p) in arrays else [raw]
    return out


def write_back(f: ir.Function, args, raw_args, written: set, banks=None):
    """Update, in place, the caller's arrays that the kernel wrote."""
    for (p, raw, hw), a in zip(_regroup(_user_params(f, banks), raw_args, banks), args):
        if isinstance(p, ir.Buffer) and any(id(h) in written for h in hw):
            a[...] = array_out(p.type, raw).astype(a.dtype, copy=False)


def convert_results(f: ir.Function, raw_results: list, banks=None):
    values = [array_out(r.type, v) if isinstance(r, ir.Buffer) else r.type.to_python(v)
              for r, v, _ in _regroup(_user_results(f, banks), raw_results, banks)]
    if not values:
        return None
    return tuple(values) if f.returns_tuple else values[0]
