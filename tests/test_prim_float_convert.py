"""IntToFloat, FloatToInt and FloatToFloat against SoftFloat, bit for bit.

SoftFloat converts from and to 32- and 64-bit integers; other widths go through the 64-bit
conversion (exact for them). Its RISC-V out-of-range results are replaced by the documented
ones: signed -> the most negative integer (x86, numpy astype) whenever SoftFloat raises
invalid; unsigned -> SoftFloat's saturation, clamped to the width.
"""
import random

import pytest
import softfloatpy as sf

from allo_rtl.primitives.float import (FloatToFloat, FloatToInt, IntToFloat, bfloat16,
                                       float16, float32, float64)
from float_ref import SAMPLES, canonical, edge_values, from_sf, run_comb, run_pipelined, to_sf

PREFIX = {float16: "f16", float32: "f32", float64: "f64"}


def _int_edges(width: int, signed: bool, count: int, seed: int) -> list[int]:
    """Raw bits: 0, ±1, the range ends, ±2**24 and its neighbours, halfway cases, randoms."""
    rng = random.Random(seed)
    lo, hi = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
    values = {0, 1, -1, lo, hi, lo + 1, hi - 1, 2 ** 24, 2 ** 24 + 1, 2 ** 24 + 3, -2 ** 24 - 1,
              2 ** 25 + 2, 2 ** 25 + 6, 2 ** 11 + 1, 2 ** 12 + 3, 2 ** 31 - 1, -2 ** 31,
              2 ** 63 - 1, 2 ** 32 + 2 ** 8, 65519, 65520}
    values |= {rng.randint(lo, hi) for _ in range(count)}
    values |= {rng.randint(lo, hi) >> rng.randint(0, width - 1) for _ in range(count)}
    return sorted({v & ((1 << width) - 1) for v in values if lo <= v <= hi})


def _ref_int_to_float(fmt, width, signed, raw):
    value = raw - (1 << width) if signed and raw >> (width - 1) else raw
    if fmt == bfloat16:
        # round to odd in float32 (toward zero, last bit set if inexact), then once to
        # nearest even: float32 has more than bfloat16's precision + 2, so this is exact RNE
        sf.set_rounding_mode(sf.RoundingMode.MIN_MAG)
        sf.set_exception_flags(0)
        try:
            conv = sf.i64_to_f32 if signed else sf.ui64_to_f32
            f = from_sf(conv((sf.Int64 if signed else sf.UInt64).from_int(value)))
            f |= sf.test_exception_flags(sf.ExceptionFlag.INEXACT)
        finally:
            sf.set_rounding_mode(sf.RoundingMode.NEAR_EVEN)
        return from_sf(sf.f32_to_bf16(to_sf(float32, f)))
    conv = getattr(sf, f"{'i' if signed else 'ui'}64_to_{PREFIX[fmt]}")
    return from_sf(conv((sf.Int64 if signed else sf.UInt64).from_int(value)))


@pytest.mark.parametrize("fmt, width, signed", [
    (float32, 32, True), (float32, 32, False), (float32, 64, True), (float32, 1, False),
    (float32, 1, True), (float32, 8, True), (float32, 25, False), (float16, 32, True),
    (float16, 17, False), (bfloat16, 16, True), (float32, 64, False), (float64, 32, True),
    (float64, 64, True), (float64, 64, False)])
def test_int_to_float_matches_softfloat(fmt, width, signed):
    count = SAMPLES // 2 if (fmt, width) == (float32, 32) else 300
    raws = _int_edges(width, signed, count, width)
    got = run_comb(IntToFloat(fmt, width, signed), [dict(a=r) for r in raws], ["result"])
    bad = [(hex(r), hex(g[0]), hex(w)) for r, g in zip(raws, got)
           if g[0] != (w := _ref_int_to_float(fmt, width, signed, r))]
    assert not bad, f"{len(bad)} mismatches: {bad[:5]}"


def _ref_float_to_int(fmt, width, signed, bits):
    x = sf.bf16_to_f32(to_sf(fmt, bits)) if fmt == bfloat16 else to_sf(fmt, bits)
    pre = "f32" if fmt == bfloat16 else PREFIX[fmt]
    sf.set_exception_flags(0)
    conv = getattr(sf, f"{pre}_to_{'i' if signed else 'ui'}64")
    value = conv(x, sf.RoundingMode.MIN_MAG, True).to_int()
    if signed:
        invalid = sf.test_exception_flags(sf.ExceptionFlag.INVALID)
        if invalid or not -(1 << (width - 1)) <= value < (1 << (width - 1)):
            return 1 << (width - 1)
        return value & ((1 << width) - 1)
    return min(value, (1 << width) - 1)


def _float_inputs(fmt, count, seed):
    rng = random.Random(seed)
    m = fmt.man_bits
    near_int_range = [(min(fmt.bias + rng.randint(-2, 66), fmt.exp_all_ones) << m)
                      | rng.getrandbits(m) for _ in range(count)]
    signs = [v | (rng.getrandbits(1) << (fmt.width - 1)) for v in near_int_range]
    return edge_values(fmt) + signs + [rng.getrandbits(fmt.width) for _ in range(count)]


@pytest.mark.parametrize("fmt, width, signed", [
    (float32, 32, True), (float32, 32, False), (float32, 64, True), (float32, 16, True),
    (float32, 8, False), (float32, 1, True), (float16, 32, True), (float16, 8, True),
    (bfloat16, 32, True), (float32, 64, False), (float64, 32, True), (float64, 64, True),
    (float64, 64, False)])
def test_float_to_int_matches_softfloat(fmt, width, signed):
    count = SAMPLES // 2 if (fmt, width) == (float32, 32) else 600
    raws = _float_inputs(fmt, count, width)
    if fmt == float32:   # the int32 range ends exactly: +-2**31, the float just inside
        raws += [0x4F000000, 0xCF000000, 0x4EFFFFFF, 0xCEFFFFFF, 0xCF000001, 0x4B800000]
    got = run_comb(FloatToInt(fmt, width, signed), [dict(a=r) for r in raws], ["result"])
    bad = [(hex(r), hex(g[0]), hex(w)) for r, g in zip(raws, got)
           if g[0] != (w := _ref_float_to_int(fmt, width, signed, r))]
    assert not bad, f"{len(bad)} mismatches: {bad[:5]}"


def _ref_float_to_float(src, dst, bits):
    x = to_sf(src, bits)
    if src == bfloat16:
        x, src = sf.bf16_to_f32(x), float32          # exact
    if src == dst:
        return from_sf(x)
    if dst == bfloat16:
        return from_sf(sf.f32_to_bf16(sf.f16_to_f32(x) if src == float16 else x))
    return from_sf(getattr(sf, f"{PREFIX[src]}_to_{PREFIX[dst]}")(x))


@pytest.mark.parametrize("src, dst", [(float32, float16), (float16, float32),
                                      (float32, bfloat16), (bfloat16, float32),
                                      (float16, bfloat16), (bfloat16, float16),
                                      (float64, float32), (float32, float64),
                                      (float64, float16), (float16, float64)])
def test_float_to_float_matches_softfloat(src, dst):
    rng = random.Random(src.width + dst.width)
    count = SAMPLES if src == float32 else 2000
    raws = edge_values(src) + [rng.getrandbits(src.width) for _ in range(count)]
    if src == float32:   # exponents around the destination's range ends
        raws += [(rng.getrandbits(1) << 31) | (min(max(127 + e, 0), 255) << 23)
                 | rng.getrandbits(23)
                 for e in range(-dst.bias - dst.man_bits - 3, dst.bias + 3) for _ in range(8)]
    got = run_comb(FloatToFloat(src, dst), [dict(a=r) for r in raws], ["result"])
    bad = [(hex(r), hex(g[0]), hex(w)) for r, g in zip(raws, got)
           if g[0] != (w := canonical(dst, _ref_float_to_float(src, dst, r)))]
    assert not bad, f"{len(bad)} mismatches: {bad[:5]}"


def test_pipelined_conversions_hold_with_en():
    raws = _float_inputs(float32, 100, 1)
    for dut, comb in [(FloatToInt(float32, 32, True, stages=2), FloatToInt(float32, 32, True)),
                      (FloatToFloat(float32, float16, stages=3), FloatToFloat(float32, float16)),
                      (IntToFloat(float32, 32, True, stages=3), IntToFloat(float32, 32, True))]:
        assert dut.latency == dut.stages
        want = [g[0] for g in run_comb(comb, [dict(a=r) for r in raws], ["result"])]
        assert run_pipelined(dut, [dict(a=r) for r in raws], "result", seed=5) == want


def test_conversions_refuse_bad_arguments():
    with pytest.raises(ValueError, match="from 1 to 64, not 65"):
        IntToFloat(float32, 65)
    with pytest.raises(ValueError, match="from 1 to 64, not 0"):
        FloatToInt(float32, 0)
    with pytest.raises(ValueError, match="from 0 to 3, not 4"):
        FloatToFloat(float32, float16, stages=4)
    with pytest.raises(ValueError, match="frac_bits must be an integer from 0 to 64, not -1"):
        IntToFloat(float32, 8, frac_bits=-1)


def _pow2(e: int):
    return to_sf(float32, (127 + e) << 23)


@pytest.mark.parametrize("width, frac_bits, signed", [(16, 8, True), (32, 31, True),
                                                      (8, 8, False), (64, 60, True)])
def test_fixed_to_float_and_back(width, frac_bits, signed):
    """Fixed(width, frac_bits) <-> float32: SoftFloat's integer conversion times an exact
    power of two (all these values are normal float32 numbers)."""
    raws = _int_edges(width, signed, 300, width + frac_bits)
    got = run_comb(IntToFloat(float32, width, signed, frac_bits=frac_bits),
                   [dict(a=r) for r in raws], ["result"])
    want = [from_sf(sf.f32_mul(to_sf(float32, _ref_int_to_float(float32, width, signed, r)),
                               _pow2(-frac_bits))) for r in raws]
    bad = [(hex(r), hex(g[0]), hex(w)) for r, g, w in zip(raws, got, want) if g[0] != w]
    assert not bad, f"to float: {len(bad)} mismatches: {bad[:5]}"

    floats = _float_inputs(float32, 500, frac_bits)
    got = run_comb(FloatToInt(float32, width, signed, frac_bits=frac_bits),
                   [dict(a=f) for f in floats], ["result"])
    want = [_ref_float_to_int(float32, width, signed,
                              from_sf(sf.f32_mul(to_sf(float32, f), _pow2(frac_bits))))
            for f in floats]
    bad = [(hex(f), hex(g[0]), hex(w)) for f, g, w in zip(floats, got, want) if g[0] != w]
    assert not bad, f"from float: {len(bad)} mismatches: {bad[:5]}"


def test_fixed_to_float16_reaches_subnormals():
    """A 2**-24 step (float16's smallest subnormal) and its neighbours, rounded."""
    raws = list(range(0, 64)) + [(1 << 15) - 1, 1 << 15]
    got = run_comb(IntToFloat(float16, 16, False, frac_bits=25), [dict(a=r) for r in raws],
                   ["result"])
    # exact value r * 2**-25 in float64 (r < 2**16), then one rounding to float16
    want = [from_sf(sf.f64_to_f16(sf.f64_mul(sf.ui32_to_f64(sf.UInt32.from_int(r)),
                                             sf.Float64.from_float(2.0 ** -25)))) for r in raws]
    assert [g[0] for g in got] == want
