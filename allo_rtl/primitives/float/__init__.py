"""IEEE-754 floating-point units for any binary format (float32, float16, bfloat16, ...).

Every unit is a ``wiring.Component`` on raw bits with a ``stages`` parameter (its latency in
cycles; 0 is combinational) and an ``en`` input that holds its pipeline. Rounding is to
nearest even, subnormals are kept (no flush to zero), and every NaN result is the format's
canonical quiet NaN (``FloatFormat.canonical_nan``, 0x7FC00000 for float32).
"""
from .format import FloatFormat, bfloat16, float16, float32, float64
from .fadd import FAdd
from .fmul import FMul
from .fcompare import FAbs, FCompare, FMinMax, FNeg
from .convert import FloatToFloat, FloatToInt, IntToFloat

__all__ = ["FloatFormat", "float16", "bfloat16", "float32", "float64", "FAdd", "FMul",
           "FCompare", "FMinMax", "FAbs", "FNeg",
           "IntToFloat", "FloatToInt", "FloatToFloat"]
