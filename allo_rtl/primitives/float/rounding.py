"""Shared datapath pieces: leading-zero count, sticky right shift, round-to-nearest-even pack.

Every arithmetic unit ends the same way: a significand normalized so its leading one is the
top bit, the biased exponent of that bit, then :func:`round_pack`. Keeping one copy keeps the
subnormal and carry rules in one place.
"""
from __future__ import annotations

from amaranth.hdl import Cat, Const, Mux, Signal, Value

from .format import FloatFormat


def wire(m, value, name: str) -> Signal:
    """value as a combinational signal. Expressions used more than once go through one: the
    simulator and the Verilog back end copy an expression tree at every use."""
    value = Value.cast(value)
    sig = Signal(value.shape(), name=name)
    m.d.comb += sig.eq(value)
    return sig


def count_leading_zeros(m, x) -> Value:
    """Leading zeros of x, ``len(x)`` when x is zero (a balanced tree, log depth).

    Each tree node puts the "upper half is zero" flag on top of its children's counts,
    which is a concatenation, not an addition: ``half + count`` of an ``x`` split in
    halves adds nothing below the top bit. (Written as ``+``, every node was an adder for
    Yosys to simplify; as it is FAdd maps to 10 fewer ECP5 LUT4s.)
    """
    x = Value.cast(x)
    n = len(x)
    if n == 1:
        return ~x[0]
    size = 1 << (n - 1).bit_length()
    # pad at the bottom with ones: a zero x then counts exactly n zeros
    padded = Cat(Const((1 << (size - n)) - 1, size - n), x) if size > n else x
    count, zero = _clz_tree(m, wire(m, padded, "clz_in"))
    # only an unpadded zero x is all zeros: then the count is size = 0b100..0
    return wire(m, Cat(Mux(zero, 0, count), zero), f"clz{n}_count")


def _clz_tree(m, x):
    """(leading zeros of x in log2(len(x)) bits, valid unless x is zero; x == 0)."""
    n = len(x)
    if n == 2:
        return ~x[1], wire(m, ~(x[0] | x[1]), "clz2_zero")
    half = n // 2
    count_hi, zero_hi = _clz_tree(m, x[half:])
    count_lo, zero_lo = _clz_tree(m, x[:half])
    count = wire(m, Cat(Mux(zero_hi, count_lo, count_hi), zero_hi), f"clz{n}")
    return count, wire(m, zero_hi & zero_lo, f"clz{n}_zero")


def shift_right_sticky(m, x, amount, saturate: bool = False) -> Value:
    """x >> amount, with the OR of every dropped bit ORed into bit 0 (``amount`` >= 0).

    Amounts of ``len(x)`` or more leave only the sticky bit. The shifter takes the low
    ``(len(x) - 1).bit_length()`` bits of the amount, largest step first; any higher bit
    only clears the result (one LUT level, no compare on the path). Written as explicit
    levels because Yosys' own ``$shr`` and a clamp compare mapped to ~50 % more ECP5 LUT4s
    (a 27-bit shift by an 8-bit amount alone, as FAdd's alignment: 251 -> 165
    LUT4-equivalents; FAdd 749 -> 729 after placement, docs/float_units.md).

    ``saturate`` keeps the earlier form, the amount's high bits ORed into its low ones and
    Yosys' own shifter: FDiv, whose 18-stage build on ECP5 reaches 95.5 MHz with it and 92.7
    with the levels (same area; 3 placement seeds each).
    """
    x = wire(m, x, "srs_in")
    n = len(x)
    amount = Value.cast(amount).as_unsigned()
    if saturate:
        nbits = n.bit_length()
        if len(amount) > nbits:      # all ones >= n: everything drops into the sticky bit
            amount = amount[:nbits] | (amount[nbits:] != 0).replicate(nbits)
        amount = wire(m, amount, "srs_amount")
        dropped_mask = ~(Const((1 << n) - 1, n) << amount)[:n]
        return (x >> amount)[:n] | ((x & dropped_mask) != 0)
    nbits = max(1, (n - 1).bit_length())
    low = wire(m, amount[:nbits], "srs_amount")
    value = x
    for k in reversed(range(min(nbits, len(amount)))):
        value = wire(m, Mux(low[k], value >> (1 << k), value), f"srs_level{k}")
    dropped_mask = ~(Const((1 << n) - 1, n) << low)[:n]
    if len(amount) > nbits:
        big = wire(m, amount[nbits:] != 0, "srs_big")
        value = Mux(big, 0, value)
        dropped_mask = dropped_mask | big.replicate(n)
    sticky = (x & dropped_mask) != 0
    return value[:n] | sticky


def to_signed(v) -> Value:
    """v as a signed value of the same number (an unsigned v gains a zero sign bit)."""
    v = Value.cast(v)
    return v if v.shape().signed else Cat(v, Const(0, 1)).as_signed()


def normalize(m, sig, exp):
    """(sig shifted so its leading one is the top bit, exp lowered by the shift)."""
    sig = wire(m, sig, "norm_in")
    zeros = wire(m, count_leading_zeros(m, sig), "norm_zeros")
    return (sig << zeros)[:len(sig)], to_signed(exp) - zeros


def normalize_to_grid(m, sig, exp, zeros):
    """Normalize sig (with ``zeros`` leading zeros), but never below the subnormal grid: the left shift stops where the
    exponent reaches 1. Returns (sig, exp, tiny) for :func:`round_pack_shifted`; this saves
    the right shift of :func:`denormalize` when the input has no leading-one guarantee but
    ``exp >= 1`` (addition, where the shift only ever goes left).
    """
    exp = wire(m, to_signed(exp), "norm_exp")
    tiny = wire(m, zeros >= exp, "tiny")               # exp - zeros would be below 1
    shift = wire(m, Mux(tiny, (exp - 1)[:len(zeros)], zeros), "norm_shift")
    return (sig << shift)[:len(sig)], exp - shift, tiny


def denormalize(m, fmt: FloatFormat, sig, exp):
    """Prepare a normalized (sig, exp) for :func:`round_pack_shifted`.

    Results below the normal range (exp < 1) are shifted right to the subnormal grid, the
    dropped bits kept as sticky. Returns (sig, tiny).
    """
    exp = wire(m, to_signed(exp), "denorm_exp")
    tiny = wire(m, exp < 1, "tiny")
    shift = Mux(tiny, 1 - exp, 0)
    return shift_right_sticky(m, sig, shift), tiny


def round_nearest_even(m, fmt: FloatFormat, sig) -> Value:
    """The top ``man_bits + 1`` bits of sig rounded to nearest even (``man_bits + 2`` bits:
    a carry out means the exponent goes up). sig needs at least two guard bits."""
    mb = fmt.man_bits
    guard_bits = len(sig) - (mb + 1)
    assert guard_bits >= 2, "rounding needs a guard and a sticky bit"
    sig = wire(m, sig, "round_in")
    keep = sig[guard_bits:]
    guard = sig[guard_bits - 1]
    sticky = sig[:guard_bits - 1] != 0
    return wire(m, keep + (guard & (sticky | keep[0])), "rounded")


def pack(m, fmt: FloatFormat, sign, exp, rounded, tiny) -> Value:
    """Raw bits from a rounded significand; overflow gives infinity, a zero gives ±0."""
    mb = fmt.man_bits
    # The significand's hidden bit lands in the exponent field, (exp - 1) + hidden: a rounding
    # carry bumps the exponent, and a subnormal (tiny, exponent field 0) that rounded up to
    # 2**man_bits becomes the smallest normal. Only the exponent field needs an adder.
    base = Mux(tiny, 0, to_signed(exp) - 1)
    exp_field = wire(m, base + rounded[mb:], "exp_field")
    overflow = exp_field >= fmt.exp_all_ones
    packed = Cat(rounded[:mb], exp_field[:fmt.exp_bits])
    magnitude = Mux(overflow, fmt.exp_all_ones << mb, packed)
    # rounded is 0 for a zero or for an underflow to zero (then tiny, and so base, is 0 too)
    return Cat(Mux(rounded == 0, 0, magnitude)[:fmt.width - 1], sign)


def round_field(m, fmt: FloatFormat, field, sig) -> Value:
    """Round to nearest even by one increment of the packed exponent and fraction.

    ``sig`` has ``man_bits + 1`` result bits on top (the hidden bit first) and at least two
    guard bits below; ``field`` is the exponent field it gets before rounding (0 on the
    subnormal grid, below ``2**exp_bits``; the hidden bit itself is not read, so it must be
    1 for a field above 0 and 0 for field 0). A carry out of the fraction then moves into the
    exponent field by itself (a subnormal rounding up to the smallest normal, a fraction of
    all ones to the next binade), so :func:`pack` 's exponent adder and zero test are not
    needed. Returns ``exp_bits + 1`` field bits on top of ``man_bits`` fraction bits.
    """
    mb = fmt.man_bits
    guard_bits = len(sig) - (mb + 1)
    assert guard_bits >= 2, "rounding needs a guard and a sticky bit"
    sig = wire(m, sig, "round_in")
    keep, guard = sig[guard_bits:], sig[guard_bits - 1]
    up = guard & ((sig[:guard_bits - 1] != 0) | keep[0])
    bits = Cat(keep[:mb], Value.cast(field)[:fmt.exp_bits], Const(0, 1))
    return wire(m, (bits + up)[:len(bits)], "rounded_bits")


def pack_field(fmt: FloatFormat, sign, bits, zero, huge=0) -> Value:
    """Raw bits from :func:`round_field` 's result: a field of all ones or more (or
    ``huge``: the exponent was out of range before rounding) is an overflow to infinity,
    ``zero`` gives a signed zero. The overflow test is LUT logic, not a compare chain."""
    mb, eb = fmt.man_bits, fmt.exp_bits
    bits = Value.cast(bits)
    overflow = huge | bits[mb + eb] | (bits[mb:mb + eb] == fmt.exp_all_ones)
    magnitude = Mux(overflow, fmt.exp_all_ones << mb, bits[:fmt.width - 1])
    return Cat(Mux(zero, 0, magnitude)[:fmt.width - 1], sign)


def round_pack_shifted(m, fmt: FloatFormat, sign, exp, sig, tiny) -> Value:
    """Round to nearest even and pack; overflow gives infinity, a zero sig gives ±0.

    ``sig`` has ``man_bits + 1`` result bits on top (the hidden bit first) and at least two
    guard bits below; ``exp`` is the biased exponent of its top bit and ``tiny`` says sig was
    already shifted to the subnormal grid.
    """
    return pack(m, fmt, sign, exp, round_nearest_even(m, fmt, sig), tiny)


def pad_guard(sig, fmt: FloatFormat) -> Value:
    """sig with zero bits appended below so that it has at least two guard bits."""
    sig = Value.cast(sig)
    short = fmt.man_bits + 3 - len(sig)
    return Cat(Const(0, short), sig) if short > 0 else sig
