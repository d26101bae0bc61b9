"""IEEE-754 binary formats, their bit fields, and the canonical NaN every unit produces.

A value travels as its raw bits, ``unsigned(fmt.width)``: sign on top, then ``exp_bits`` of
biased exponent, then ``man_bits`` of fraction. The units here produce one quiet NaN for every
NaN result, the canonical pattern sign 0, exponent all ones, top fraction bit 1 (``0x7FC00000``
for float32, ``0x7E00`` for float16, ``0x7FC0`` for bfloat16): NaN payloads do not propagate,
as RISC-V and Berkeley SoftFloat's RISC-V specialization define it.
"""
from __future__ import annotations

from types import SimpleNamespace

from amaranth.hdl import Cat, Const, Signal, Value


class FloatFormat:
    """A binary floating-point format with ``exp_bits`` exponent and ``man_bits`` fraction bits.

    Parameters
    ----------
    exp_bits : int
        Width of the biased exponent field, 2 to 15.
    man_bits : int
        Width of the stored fraction (without the hidden bit), 1 to 112.
    """

    def __init__(self, exp_bits: int, man_bits: int):
        for name, value, lo, hi in (("exp_bits", exp_bits, 2, 15), ("man_bits", man_bits, 1, 112)):
            if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
                raise ValueError(f"{name} must be an integer from {lo} to {hi}, not {value!r}")
        self.exp_bits, self.man_bits = exp_bits, man_bits

    @property
    def width(self) -> int:
        return 1 + self.exp_bits + self.man_bits

    @property
    def bias(self) -> int:
        return (1 << (self.exp_bits - 1)) - 1

    @property
    def exp_all_ones(self) -> int:
        return (1 << self.exp_bits) - 1

    @property
    def canonical_nan(self) -> int:
        """The one NaN pattern every unit outputs: positive, quiet, payload zero."""
        return (self.exp_all_ones << self.man_bits) | (1 << (self.man_bits - 1))

    def infinity(self, sign) -> Value:
        return Cat(Const(self.exp_all_ones << self.man_bits, self.width - 1), sign)

    def __eq__(self, other):
        return (isinstance(other, FloatFormat)
                and (self.exp_bits, self.man_bits) == (other.exp_bits, other.man_bits))

    def __hash__(self):
        return hash((self.exp_bits, self.man_bits))

    def __repr__(self):
        return f"FloatFormat({self.exp_bits}, {self.man_bits})"


float16 = FloatFormat(5, 10)
bfloat16 = FloatFormat(8, 7)
float32 = FloatFormat(8, 23)
float64 = FloatFormat(11, 52)


def unpack(m, fmt: FloatFormat, bits, name: str) -> SimpleNamespace:
    """The fields and classes of a raw value.

    ``exp`` is the effective biased exponent (1 for subnormals, whose value is
    ``0.fraction * 2**(1 - bias)``) and ``sig`` the significand with its hidden bit, so every
    finite value is ``sig * 2**(exp - bias - man_bits)``.
    """
    bits = Value.cast(bits)
    mb = fmt.man_bits
    frac, exp_field, sign = bits[:mb], bits[mb:mb + fmt.exp_bits], bits[-1]
    exp_zero = exp_field == 0
    exp_ones = exp_field == fmt.exp_all_ones
    fields = dict(
        exp=Cat(exp_field[0] | exp_zero, exp_field[1:]),
        sig=Cat(frac, ~exp_zero),
        is_zero=exp_zero & (frac == 0),
        is_inf=exp_ones & (frac == 0),
        is_nan=exp_ones & (frac != 0),
    )
    wires = {}
    for key, value in fields.items():          # wires, so that uses share them
        wires[key] = Signal(value.shape(), name=f"{name}_{key}")
        m.d.comb += wires[key].eq(value)
    return SimpleNamespace(sign=sign, frac=frac, magnitude=bits[:-1], **wires)


def check_format(fmt, unit: str) -> FloatFormat:
    if not isinstance(fmt, FloatFormat):
        raise ValueError(f"{unit} needs a FloatFormat, not {fmt!r}")
    return fmt
