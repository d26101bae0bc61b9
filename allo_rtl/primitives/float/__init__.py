"""IEEE-754 floating-point units for any binary format (float32, float16, bfloat16, ...).

Every unit is a ``wiring.Component`` on raw bits with a ``stages`` parameter (its latency in
cycles; 0 is combinational) and an ``en`` input that holds its pipeline. Rounding is to
nearest even, subnormals are kept (no flush to zero), and every NaN result is the format's
canonical quiet NaN (``FloatFormat.canonical_nan``, 0x7FC00000 for float32).

=================================  ==========  =============================================
unit                               stages      notes
=================================  ==========  =============================================
``FAdd(fmt)``                      0..7        ``sub`` input selects a - b (0..8 with
                                               ``dsp_shifts``: shifters partly in DSPs)
``FMul(fmt)``                      0..7        DSP-mapped significand product
``FDiv(fmt)``                      0..64       restoring division, one quotient bit a step
``FSqrt(fmt)``                     0..64       restoring square root, correctly rounded
``FCompare(fmt)``                  0..1        eq ne lt le gt ge, IEEE unordered NaN
``FMinMax(fmt)``                   0..1        numpy minimum/maximum, ``max`` input
``FAbs(fmt)``, ``FNeg(fmt)``       0..1        sign bit only, NaN payload kept
``IntToFloat(fmt, w, signed)``     0..3        ``frac_bits`` for Fixed/UFixed
``FloatToInt(fmt, w, signed)``     0..2        truncates; ``frac_bits`` for Fixed/UFixed
``FloatToFloat(src, dst)``         0..3        RNE when narrowing
=================================  ==========  =============================================

The latency in cycles is ``stages`` (``unit.latency``); a new operation may start every
cycle. The units are checked bit for bit against Berkeley SoftFloat
(``tests/test_prim_float_*.py``).
"""
from .format import FloatFormat, bfloat16, float16, float32, float64
from .fadd import FAdd
from .fmul import FMul
from .fdiv import FDiv
from .fsqrt import FSqrt
from .fcompare import FAbs, FCompare, FMinMax, FNeg
from .convert import FloatToFloat, FloatToInt, IntToFloat

__all__ = ["FloatFormat", "float16", "bfloat16", "float32", "float64", "FAdd", "FMul", "FDiv", "FSqrt",
           "FCompare", "FMinMax", "FAbs", "FNeg",
           "IntToFloat", "FloatToInt", "FloatToFloat"]
