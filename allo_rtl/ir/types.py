"""Allo's scalar and array types, with bit-accurate value semantics.

A scalar value of an integer or fixed-point type is carried as a Python ``int`` holding its
*raw* two's-complement mantissa (value * 2**fracs, already wrapped into the type's range).
A ``float32`` value is carried as a ``numpy.float32``. ``cast`` converts raw values between
types with Allo/HeteroCL semantics: integer narrowing wraps, dropped fraction bits are
truncated toward minus infinity (an arithmetic shift), float to integer truncates toward zero.

The module path and names follow Allo (``from allo.ir.types import int32, Fixed``) so that
``from allo_rtl.ir.types import ...`` runs an Allo program unchanged.
"""
from __future__ import annotations

import builtins
import math
import os
import sys

import numpy as np

from .. import errors

__all__ = [
    "AlloType", "Int", "UInt", "Index", "Fixed", "UFixed", "Float", "ArrayType", "Struct",
    "int1", "int8", "int16", "int32", "int64", "uint1", "uint8", "uint16", "uint32", "uint64",
    "ConstExpr", "index", "bool", "float16", "bfloat16", "float32", "float64", "i32", "f32", "cast", "MAX_BITS",
]

# Allo's integers are MLIR's, up to 2**24 - 1 bits; the interpreter computes with Python ints
# of any width, the hardware build refuses more than HARDWARE_MAX_BITS (ir/width_limits.py).
MAX_BITS = (1 << 24) - 1
HARDWARE_MAX_BITS = 512


class AlloTypeError(errors.AlloTypeError, ValueError):
    """A type was written with impossible parameters (e.g. ``Int(0)``): an ``AlloError`` at
    the user's line (the first caller outside allo_rtl), and a ``ValueError`` as before."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message, _user_loc(), hint)


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _user_loc():
    """Loc of the innermost frame outside the allo_rtl package (where the type was written)."""
    from .nodes import Loc
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(
            _PACKAGE_DIR + os.sep):
        frame = frame.f_back
    if frame is None:
        return None
    col = 0
    try:   # the column of the call, for the caret
        positions = list(frame.f_code.co_positions())[frame.f_lasti // 2]
        col = positions[2] or 0
    except (AttributeError, IndexError, TypeError):
        pass
    return Loc(frame.f_code.co_filename, frame.f_lineno, col)


class AlloType:
    """Base of all scalar types. ``T[4, 8]`` makes an array type of shape (4, 8)."""

    bits: int
    fracs: int = 0
    signed: builtins.bool = True

    def __getitem__(self, shape) -> ArrayType:
        if not isinstance(shape, tuple):
            shape = (shape,)
        if not all(is_integer(d) for d in shape):
            # e.g. int32[N] with N a PEP 695 parameter: Python evaluates the annotation when
            # the def runs; the frontend evaluates it again once N is instantiated
            return UnresolvedArray(self, shape)
        return ArrayType(self, shape)

    # --- classification -------------------------------------------------------------
    @property
    def is_float(self) -> builtins.bool:
        return isinstance(self, Float)

    @property
    def is_fixed(self) -> builtins.bool:
        return isinstance(self, (Fixed, UFixed))

    @property
    def is_int(self) -> builtins.bool:
        return isinstance(self, (Int, UInt, Index))

    @property
    def hw_bits(self) -> int:
        """Width of the hardware value carrying this type."""
        return self.bits

    @property
    def int_bits(self) -> int:
        """Bits left of the binary point (sign bit included)."""
        return self.bits - self.fracs

    # --- value semantics ------------------------------------------------------------
    @property
    def min_raw(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def max_raw(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    def wrap(self, raw: int) -> int:
        """Wrap an unbounded integer into this type's raw range (two's complement)."""
        raw = int(raw) & ((1 << self.bits) - 1)
        if self.signed and raw >> (self.bits - 1):
            raw -= 1 << self.bits
        return raw

    def from_python(self, value):
        """Raw value of a Python/numpy number: floats are truncated toward zero."""
        if isinstance(value, (builtins.bool, np.bool_)):
            value = int(value)
        if isinstance(value, (int, np.integer)):
            return self.wrap(int(value) << self.fracs)
        value = float(value)
        if not math.isfinite(value):
            return 0
        return self.wrap(math.trunc(value * (1 << self.fracs)))

    def to_python(self, raw):
        """The number a raw value stands for: an int, or a float for fixed-point types."""
        if self.fracs:
            return raw / (1 << self.fracs)
        return int(raw)

    @property
    def numpy_dtype(self) -> np.dtype:
        """The numpy dtype that carries this type across the boundary."""
        if self.is_fixed:
            return np.dtype(np.float64)
        for width in (8, 16, 32, 64):
            if self.bits <= width:
                return np.dtype(f"{'' if self.signed else 'u'}int{width}")
        return np.dtype(object)

    def __eq__(self, other):
        return (type(self) is type(other) and self.bits == other.bits
                and self.fracs == other.fracs)

    def __hash__(self):
        return hash((type(self).__name__, self.bits, self.fracs))


def _check_bits(bits, what="bit width"):
    if not isinstance(bits, (int, np.integer)) or isinstance(bits, builtins.bool):
        raise AlloTypeError(f"{what} must be an integer, not {bits!r}")
    if not 1 <= bits <= MAX_BITS:
        raise AlloTypeError(f"{what} must be between 1 and {MAX_BITS}, not {bits}")
    return int(bits)


class Int(AlloType):
    """Signed integer of ``bits`` bits (two's complement)."""

    def __init__(self, bits: int):
        self.bits = _check_bits(bits)

    def __repr__(self):
        return f"int{self.bits}" if self.bits in (1, 8, 16, 32, 64) else f"Int({self.bits})"


class UInt(AlloType):
    """Unsigned integer of ``bits`` bits."""

    signed = False

    def __init__(self, bits: int):
        self.bits = _check_bits(bits)

    def __repr__(self):
        return f"uint{self.bits}" if self.bits in (1, 8, 16, 32, 64) else f"UInt({self.bits})"


class Index(AlloType):
    """Loop index type. 32 bits for the typing rules (as Allo); values wrap at 64 bits."""

    def __init__(self):
        self.bits = 32

    def wrap(self, raw: int) -> int:
        raw = int(raw) & ((1 << 64) - 1)
        return raw - (1 << 64) if raw >> 63 else raw

    @property
    def hw_bits(self) -> int:
        return 64

    @property
    def min_raw(self):
        return -(1 << 63)

    @property
    def max_raw(self):
        return (1 << 63) - 1

    def __repr__(self):
        return "index"


class Fixed(AlloType):
    """Signed fixed point: ``bits`` in all, ``fracs`` of them after the binary point."""

    def __init__(self, bits: int, fracs: int):
        self.bits = _check_bits(bits)
        if not isinstance(fracs, (int, np.integer)) or not 0 <= fracs <= self.bits:
            raise AlloTypeError(
                f"fraction bits must be an integer between 0 and {self.bits}, not {fracs!r}")
        self.fracs = int(fracs)

    def __repr__(self):
        return f"Fixed({self.bits}, {self.fracs})"


class UFixed(Fixed):
    """Unsigned fixed point."""

    signed = False

    def __repr__(self):
        return f"UFixed({self.bits}, {self.fracs})"


class Float(AlloType):
    """IEEE binary floating point: float16, bfloat16 (``Float(16, 7)``), float32, float64.

    A value is carried as the numpy scalar of its format (``bfloat16`` from ml_dtypes), so the
    interpreter rounds exactly as numpy / ml_dtypes do. Hardware computes none of them yet."""

    FORMATS = {(16, 10): "float16", (16, 7): "bfloat16", (32, 23): "float32",
               (64, 52): "float64"}

    def __init__(self, bits: int, fracs: int | None = None):
        if bits not in (16, 32, 64):
            raise AlloTypeError(f"float width must be 16, 32 or 64, not {bits!r}")
        self.bits = bits
        self.fracs = {16: 10, 32: 23, 64: 52}[bits] if fracs is None else fracs
        if (self.bits, self.fracs) not in self.FORMATS:
            raise AlloTypeError(f"no float format has {bits} bits with {self.fracs} mantissa "
                                "bits; use float16, bfloat16, float32 or float64")

    @property
    def np_type(self):
        """The numpy scalar type of this format."""
        name = self.FORMATS[(self.bits, self.fracs)]
        if name == "bfloat16":
            try:
                import ml_dtypes
            except ImportError:
                raise AlloTypeError("bfloat16 needs the ml_dtypes package "
                                    "(pip install ml_dtypes)") from None
            return ml_dtypes.bfloat16
        return getattr(np, name)

    def wrap(self, raw):
        return self.np_type(raw)

    @property
    def canonical_nan(self):
        """The one NaN float arithmetic gives (hardware and interpreter): sign 0, exponent
        all ones, only the top mantissa bit set (0x7FC00000 for float32)."""
        exp_bits = self.bits - self.fracs - 1
        bits = ((1 << exp_bits) - 1) << self.fracs | 1 << (self.fracs - 1)
        return np.array(bits, dtype=f"uint{self.bits}").view(self.numpy_dtype)[()]

    def from_python(self, value):
        return self.np_type(value)

    def to_python(self, raw):
        return self.np_type(raw)

    @property
    def numpy_dtype(self):
        return np.dtype(self.np_type)

    @property
    def exponent(self) -> int:
        """Exponent field width (Allo's ``float32.exponent == 8``); ``fracs`` is the mantissa's."""
        return self.bits - self.fracs - 1

    def __repr__(self):
        return self.FORMATS[(self.bits, self.fracs)]


def is_integer(d) -> builtins.bool:
    return isinstance(d, (int, np.integer)) and not isinstance(d, builtins.bool)


class UnresolvedArray:
    """An array annotation whose dimensions are not numbers yet (``int32[N]`` while ``N`` is a
    template parameter). Never a kernel type: the frontend re-evaluates the annotation."""

    def __init__(self, dtype, shape):
        self.dtype, self.shape = dtype, shape

    def __repr__(self):
        return f"{self.dtype!r}[{', '.join(map(str, self.shape))}]"

    def __matmul__(self, spec):
        out = UnresolvedArray(self.dtype, self.shape)
        out.memory = spec
        return out


class ConstExpr:
    """Allo's marker for a compile-time constant local: ``n: ConstExpr[int32] = M // 2``. The
    value is computed by Python when the kernel is parsed and used as a constant."""

    def __class_getitem__(cls, dtype):
        return ConstExprAnnotation(dtype)


class ConstExprAnnotation:
    """What ``ConstExpr[T]`` evaluates to."""

    def __init__(self, dtype):
        self.dtype = dtype

    def __repr__(self):
        return f"ConstExpr[{self.dtype!r}]"


class Struct:
    """Allo's ``Struct({"x": int32, "y": float32})``: named scalar fields. In a kernel a struct
    is a local value whose fields are separate scalars (``p["x"]``); it has no memory layout,
    so it cannot be an argument, a result or an array element (frontend/structs.py)."""

    def __init__(self, fields: dict):
        if not isinstance(fields, dict) or not fields:
            raise AlloTypeError(f"Struct takes a dict of field names to types, not {fields!r}")
        for name, t in fields.items():
            if not isinstance(name, str) or not name.isidentifier():
                raise AlloTypeError(f"struct field names are identifiers, not {name!r}")
            if not isinstance(t, AlloType):
                raise AlloTypeError(f"struct field {name!r} must have a scalar type, not {t!r}")
        self.fields = dict(fields)

    @property
    def bits(self) -> int:
        return sum(t.bits for t in self.fields.values())

    def __eq__(self, other):
        return isinstance(other, Struct) and list(self.fields.items()) == \
            list(other.fields.items())

    def __hash__(self):
        return hash(tuple(self.fields.items()))

    def __repr__(self):
        return "Struct({" + ", ".join(f"{k!r}: {v!r}" for k, v in self.fields.items()) + "})"


class ArrayType:
    """A multi-dimensional array of a scalar type with a static shape. ``T[4] @ Memory(...)``
    is the same type with an implementation request in ``memory`` (not part of equality)."""

    memory = None

    def __init__(self, dtype: AlloType, shape: tuple):
        for dim in shape:
            if not isinstance(dim, (int, np.integer)) or isinstance(dim, builtins.bool) or dim < 1:
                raise AlloTypeError(f"array dimensions must be positive integers, not {dim!r}")
        self.dtype = dtype
        self.shape = tuple(int(d) for d in shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def __eq__(self, other):
        return isinstance(other, ArrayType) and (self.dtype, self.shape) == (other.dtype, other.shape)

    def __hash__(self):
        return hash((self.dtype, self.shape))

    def __matmul__(self, spec):
        out = ArrayType(self.dtype, self.shape)
        out.memory = spec
        return out

    def __repr__(self):
        return f"{self.dtype!r}[{', '.join(map(str, self.shape))}]"


def _shift(raw: int, amount: int) -> int:
    """Multiply by 2**amount; a negative amount drops bits toward minus infinity."""
    return raw << amount if amount >= 0 else raw >> -amount


def cast(raw, src: AlloType, dst: AlloType):
    """Convert a raw value of type ``src`` to the raw value of type ``dst``."""
    if dst.is_float:
        if src.is_float:           # another format: any NaN becomes the canonical one
            out = dst.np_type(raw)
            return dst.canonical_nan if src != dst and np.isnan(out) else out
        return dst.np_type(raw / (1 << src.fracs)) if src.fracs else dst.np_type(int(raw))
    if src.is_float:
        return _float_to_raw(float(raw), dst)
    return dst.wrap(_shift(int(raw), dst.fracs - src.fracs))


def _float_to_raw(value: float, dst: AlloType) -> int:
    """A float to an integer or fixed-point raw value, truncating toward zero as C does.
    Where C leaves it undefined (NaN, out of range) the result is defined as the hardware's
    ``FloatToInt`` gives it: signed types take their most negative value (x86's "integer
    indefinite", what numpy's ``astype(int32)`` gives), unsigned types saturate (NaN and too
    large: all ones, negative: 0) as RISC-V does."""
    if math.isnan(value):
        return dst.min_raw if dst.signed else dst.max_raw
    if math.isinf(value):
        raw = dst.max_raw + 1 if value > 0 else dst.min_raw - 1
    else:
        raw = math.trunc(value * (1 << dst.fracs))
    if dst.min_raw <= raw <= dst.max_raw:
        return raw
    if dst.signed:
        return dst.min_raw
    return dst.max_raw if raw > 0 else 0


int1, int8, int16, int32, int64 = Int(1), Int(8), Int(16), Int(32), Int(64)
uint1, uint8, uint16, uint32, uint64 = UInt(1), UInt(8), UInt(16), UInt(32), UInt(64)
# Allo names every intN/uintN an Allo program may import (int2, uint12, int512, ...)
INT_TYPE_WIDTHS = (*range(1, 65), 128, 256, 512)
for _n in INT_TYPE_WIDTHS:
    globals().setdefault(f"int{_n}", Int(_n))
    globals().setdefault(f"uint{_n}", UInt(_n))
__all__ += [f"{p}int{_n}" for _n in INT_TYPE_WIDTHS for p in ("", "u")
            if f"{p}int{_n}" not in __all__]
del _n
index = Index()
bool = UInt(1)  # noqa: A001 - Allo's name for the 1-bit type
float16, float32, float64 = Float(16), Float(32), Float(64)
bfloat16 = Float(16, 7)
i32, f32 = int32, float32

# Allo imports Stream from allo.ir.types; its definition lives beside the other stream types
from .streams import Stream  # noqa: E402,F401
