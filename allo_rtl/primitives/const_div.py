"""A pipelined integer division by a constant (``/``, ``//`` or ``%`` with Allo's rules).

The combinational form (``arith.const_division_value``: ``|a| * M >> s`` and a sign, floor or
remainder fix) is one path of a negation, a 32 x 33-bit product, its adders and the fix:
20 ns routed on the ECP5, 40 ns on the iCE40 UP5K, longer than a 100 / 30 MHz clock.
``ConstDiv`` registers it where it can be cut:

    cycle 0            ``%``: the sign and the magnitude ``|a|``; a signed ``//``: a XORed
                       with its sign (``arith.direct_division_input``)  -> register;
                       ``/`` and an unsigned ``//``: no such cycle
    next cycle         the limb products ``x_i * M_j`` (one DSP each), and a signed ``/``'s
                       fold constant where the sign is set            -> register
    n more cycles      the adder tree of those terms, ``levels`` levels a cycle, and the
                       shift by ``s``                                  -> register
    last               the fix: ``%``'s remainder (``arith.const_division_fix``), a signed
                       ``//``'s XOR with the sign, ``/``'s nothing; combinational, or
                       registered too (``fix_registered``: the result one cycle later)

so the result equals the combinational form bit for bit (the same reciprocal, the same fix).
Every register holds while ``en`` is low (a stall), like ``LimbMul``.
"""
from __future__ import annotations

from amaranth.hdl import Const, Module, Mux, Signal, Value, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..ir.types import AlloType
from .arith import (const_division_fix, const_division_magnitude, direct_division_input,
                    direct_division_result, reciprocal_of, shape_of)


def limb_terms(width: int, d: int, limb_bits: int) -> list:
    """(i, j, weight) of the limb products of ``|a| * M``: the magnitude's limb i times the
    reciprocal's limb j, skipping the reciprocal's zero limbs (no product to build)."""
    _, m = reciprocal_of(width, d)
    na = -(-width // limb_bits)
    nm = -(-m.bit_length() // limb_bits)
    return [(i, j, (i + j) * limb_bits) for i in range(na) for j in range(nm)
            if (m >> (j * limb_bits)) & ((1 << limb_bits) - 1)]


def sum_stages(terms: int, levels: int) -> int:
    """Cycles the adder tree of ``terms`` products takes at ``levels`` levels a cycle (at
    least one: the shifted quotient is registered)."""
    return max(1, -(-(terms - 1).bit_length() // levels))


SMALL_BITS = 4


def small_product(piece, k: int):
    """``piece * k``: a DSP product, or shifted adds when either side has at most
    ``SMALL_BITS`` bits (the top limbs of a 34-bit |a| and its 36-bit reciprocal: on the
    iCE40 UP5K the 9 products of 16-bit limbs would take 9 of its 8 SB_MAC16, 5 are this
    small)."""
    if k.bit_length() <= SMALL_BITS:
        return sum((piece << b for b in range(k.bit_length()) if k >> b & 1), Const(0, 1))
    if len(piece) <= SMALL_BITS:
        return sum((Mux(piece[b], Const(k << b, k.bit_length() + b), 0)
                    for b in range(len(piece))), Const(0, 1))
    return piece * Const(k, k.bit_length())


def is_direct(symbol: str) -> bool:
    """``/`` and ``//`` multiply the dividend's own bits (``arith.direct_division_input``:
    no magnitude, a fold constant as one more term for a signed ``/``); ``%`` works on the
    magnitude."""
    return symbol in ("/", "//")


def has_input_stage(symbol: str, is_signed: bool, direct: bool = True) -> bool:
    """Whether the dividend passes a register before the limb products: the magnitude (``%``,
    or ``direct`` off), a signed ``//``'s XOR with the sign (with the products it missed
    ECP5's 10 ns)."""
    return not (direct and is_direct(symbol)) or (symbol == "//" and is_signed)


def tree_terms(width: int, d: int, limb_bits: int, symbol: str, is_signed: bool,
               direct: bool = True) -> int:
    """Terms of the adder tree: the limb products, and a direct signed ``/``'s fold
    constant."""
    fold = direct and symbol == "/" and is_signed
    return len(limb_terms(width, d, limb_bits)) + int(fold)


def const_div_latency(width: int, d: int, limb_bits: int, levels: int,
                      fix_registered: bool, symbol: str = "%", is_signed: bool = True,
                      direct: bool = True) -> int:
    """Cycles from the dividend to the result of a ``ConstDiv`` so configured: the input
    stage (:func:`has_input_stage`), the limb products, the adder tree, the fix if
    registered."""
    terms = tree_terms(width, d, limb_bits, symbol, is_signed, direct)
    return (int(has_input_stage(symbol, is_signed, direct)) + 1 + sum_stages(terms, levels)
            + int(fix_registered))


class ConstDiv(wiring.Component):
    """``a op d``, valid ``latency`` cycles after ``a``.

    Parameters
    ----------
    symbol : str
        ``"/"`` (truncates), ``"//"`` (floors) or ``"%"`` (the dividend's sign).
    a_type, r_type : AlloType
        The dividend's and the result's integer types.
    d : int
        The divisor, > 1 (a power of two is shifts: ``arith.pow2_division_value``).
    limb_bits : int
        Bits of the pieces one DSP multiplies.
    levels : int
        Adder-tree levels per cycle (>= 1).
    fix_registered : bool
        Register the fixed result too (one more cycle of latency).
    direct : bool
        ``/`` and ``//`` on the dividend's bits (no magnitude stage; a signed ``/`` has one
        term more in the adder tree, which can cost a level); off: through the magnitude as
        ``%``. The timing model picks the form with the fewer cycles.

    Members
    -------
    a : In(the dividend's shape)
    en : In(1, init=1)
        Advance the pipeline (held by a stall).
    result : Out(unsigned(r_type.hw_bits))
        The result's raw bits.
    """

    def __init__(self, symbol: str, a_type: AlloType, r_type: AlloType, d: int,
                 limb_bits: int = 16, levels: int = 1, fix_registered: bool = False,
                 direct: bool = True):
        problem = None
        if symbol not in ("/", "//", "%"):
            problem = f"ConstDiv symbol must be '/', '//' or '%', not {symbol!r}"
        elif not isinstance(d, int) or d < 2 or d & (d - 1) == 0:
            problem = f"ConstDiv divisor must be an integer > 1, not a power of two: {d!r}"
        elif a_type.is_float or a_type.fracs or r_type.is_float or r_type.fracs:
            problem = "ConstDiv divides integers only"
        elif not isinstance(limb_bits, int) or limb_bits < 2:
            problem = f"ConstDiv limb_bits must be an integer >= 2, not {limb_bits!r}"
        elif not isinstance(levels, int) or levels < 1:
            problem = f"ConstDiv levels must be an integer >= 1, not {levels!r}"
        if problem:
            self._MustUse__silence = True         # a refused unit is not an unused one
            raise ValueError(problem)
        self.symbol, self.a_type, self.r_type, self.d = symbol, a_type, r_type, d
        self.limb_bits, self.levels, self.fix_registered = limb_bits, levels, fix_registered
        self.direct = bool(direct) and is_direct(symbol)
        self.terms = limb_terms(a_type.hw_bits, d, limb_bits)
        self.latency = const_div_latency(a_type.hw_bits, d, limb_bits, levels, fix_registered,
                                         symbol, a_type.signed, self.direct)
        super().__init__({"a": In(shape_of(a_type)), "en": In(1, init=1),
                          "result": Out(unsigned(r_type.hw_bits))})

    def elaborate(self, platform):
        m = Module()
        w, L = self.a_type.hw_bits, self.limb_bits
        shift, recip = reciprocal_of(w, self.d)

        def reg(value, name):
            """``value`` one cycle later (held while ``en`` is low)."""
            r = Signal(Value.cast(value).shape(), name=name)   # a sum with the fold is signed
            with m.If(self.en):
                m.d.sync += r.eq(value)
            return r

        direct = self.direct
        if direct:                 # the products of the dividend's bits in the first cycle
            negative, source, fold = direct_division_input(self.symbol, self.a, self.a_type,
                                                           self.d)
            if has_input_stage(self.symbol, self.a_type.signed):
                negative, source = reg(negative, "neg0"), reg(source, "src0")
            neg, mag = [negative], [source]
        else:                      # cycle 0: sign and magnitude
            negative, magnitude = const_division_magnitude(self.a, self.a_type)
            neg, mag, fold = [reg(negative, "neg0")], [reg(magnitude, "mag0")], 0
        # the limb products, one register each
        terms = []
        for i, j, weight in self.terms:
            piece = mag[-1][i * L:min(w, (i + 1) * L)]
            k = (recip >> (j * L)) & ((1 << L) - 1)
            terms.append((reg(small_product(piece, k), f"pp{i}{j}"), weight))
        if fold:                   # a signed /: the fold constant where the sign is set
            fold_c = Const(fold, signed(fold.bit_length() + 1))
            terms.append((reg(Mux(neg[-1], fold_c, 0), "fold"), w))
        neg.append(reg(neg[-1], "neg1"))
        if not direct:             # the fix of % needs the magnitude, / and // do not
            mag.append(reg(mag[-1], "mag1"))
        # the adder tree, ``levels`` levels a cycle; a term is (value, weight)
        for stage in range(sum_stages(len(terms), self.levels)):
            for _ in range(self.levels):
                if len(terms) == 1:
                    break
                nxt = []
                for k in range(0, len(terms) - 1, 2):
                    (x, wx), (y, wy) = terms[k], terms[k + 1]
                    low = min(wx, wy)
                    nxt.append(((x << (wx - low)) + (y << (wy - low)), low))
                terms = nxt + terms[len(terms) - len(terms) % 2:]
            if len(terms) == 1:        # the last stage: the quotient of the magnitude
                value, weight = terms[0]
                q = value >> (shift - weight) if shift >= weight else value << (weight - shift)
                terms = [(reg(q[:w], "q_mag"), shift)]
            else:
                terms = [(reg(v, f"s{stage}_{n}"), wt) for n, (v, wt) in enumerate(terms)]
            neg.append(reg(neg[-1], f"neg{stage + 2}"))
            if not direct:
                mag.append(reg(mag[-1], f"mag{stage + 2}"))
        q_mag = terms[0][0]
        if direct:
            fixed = direct_division_result(self.symbol, neg[-1], q_mag, self.a_type, self.r_type)
        else:
            fixed = const_division_fix(self.symbol, neg[-1], mag[-1], q_mag, self.d,
                                       self.r_type)
        if self.fix_registered:
            with m.If(self.en):
                m.d.sync += self.result.eq(fixed)
        else:
            m.d.comb += self.result.eq(fixed)
        return m
