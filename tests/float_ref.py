"""Helpers for the float unit tests: Berkeley SoftFloat references on raw bits, operand
corpora, and a fast way to run many inputs through a combinational unit.

The reference is always SoftFloat (``softfloatpy``, its RISC-V specialization: NaN results
are the canonical quiet NaN). SoftFloat has no bfloat16 arithmetic, so bfloat16 results are
computed exactly in SoftFloat's float32 with round-to-odd (round toward zero, then the last
bit set if inexact) and rounded once more to bfloat16: float32 has more than bfloat16's
precision + 2 at every exponent, so that second rounding is the correctly rounded result.
"""
from __future__ import annotations

import os
import random

import softfloatpy as sf
from amaranth.hdl import Cat, Module, Signal
from amaranth.sim import Simulator

from allo_rtl.primitives.float.format import bfloat16, float16, float32, float64

#: random operand pairs per float32 operation in the Amaranth-simulator tests (the 20 000 per
#: operation and the long campaign run on Verilator: tests/test_float_campaign_verilator.py)
SAMPLES = int(os.environ.get("ALLO_FLOAT_SAMPLES", "1000"))

TYPES = {float16: sf.Float16, bfloat16: sf.BFloat16, float32: sf.Float32,
         float64: sf.Float64}
PREFIX = {float16: "f16", float32: "f32", float64: "f64"}


def to_sf(fmt, bits: int):
    return TYPES[fmt].from_bytes(bits.to_bytes(fmt.width // 8, "big"))


def from_sf(x) -> int:
    return int.from_bytes(x.to_bytes(), "big")


def _round_odd_f32(op, a32, b32):
    sf.set_rounding_mode(sf.RoundingMode.MIN_MAG)
    sf.set_exception_flags(0)
    try:
        r = from_sf(op(a32, b32))
        inexact = sf.test_exception_flags(sf.ExceptionFlag.INEXACT)
    finally:
        sf.set_rounding_mode(sf.RoundingMode.NEAR_EVEN)
    is_nan = (r >> 23) & 0xFF == 0xFF and r & 0x7FFFFF
    return r | 1 if inexact and not is_nan else r


def ref_binary(fmt, name: str, a: int, b: int) -> int:
    """Bits of ``a name b`` (name: add, sub, mul, div) rounded to nearest even."""
    if fmt == bfloat16:
        a32, b32 = sf.bf16_to_f32(to_sf(fmt, a)), sf.bf16_to_f32(to_sf(fmt, b))
        r = _round_odd_f32(getattr(sf, f"f32_{name}"), a32, b32)
        return from_sf(sf.f32_to_bf16(to_sf(float32, r)))
    return from_sf(getattr(sf, f"{PREFIX[fmt]}_{name}")(to_sf(fmt, a), to_sf(fmt, b)))


def is_nan(fmt, bits: int) -> bool:
    m = fmt.man_bits
    return (bits >> m) & fmt.exp_all_ones == fmt.exp_all_ones and bits & ((1 << m) - 1) != 0


def edge_values(fmt) -> list[int]:
    """±0, min/max subnormal, min/max normal, 1, values next to 1, ±inf, quiet and
    signalling NaNs (with payloads) of a format."""
    m, e1 = fmt.man_bits, fmt.exp_all_ones
    one = fmt.bias << m
    pos = [0, 1, 2, 3, (1 << m) - 1, 1 << m, (1 << m) + 1, one, one + 1, one - 1,
           one + (1 << (m - 1)), (fmt.bias + 1) << m, ((e1 - 1) << m) | ((1 << m) - 1),
           (e1 - 1) << m, e1 << m, (e1 << m) | (1 << (m - 1)), (e1 << m) | 1,
           (e1 << m) | ((1 << m) - 1), (fmt.bias + m) << m | ((1 << m) - 1),
           (fmt.bias - m - 1) << m, 1 << (m - 1), (1 << (m - 1)) - 1]
    sign = 1 << (fmt.width - 1)
    return sorted({v for p in pos for v in (p, p | sign)})


def random_operands(fmt, count: int, seed: int) -> list[tuple[int, int]]:
    """Half random bit patterns, half pairs of similar magnitude (exponents within 2, random
    signs) so that addition cancels."""
    rng = random.Random(seed)
    w, m = fmt.width, fmt.man_bits
    pairs = []
    for i in range(count):
        a = rng.getrandbits(w)
        if i % 2:
            b = rng.getrandbits(w)
        else:
            e = ((a >> m) & fmt.exp_all_ones) + rng.randint(-2, 2)
            e = min(max(e, 0), fmt.exp_all_ones)
            b = (rng.getrandbits(1) << (w - 1)) | (e << m) | rng.getrandbits(m)
            if rng.random() < 0.25:      # share top fraction bits: deeper cancellation
                keep = rng.randint(1, m)
                mask = ((1 << m) - 1) ^ ((1 << (m - keep)) - 1)
                b = (b & ~mask) | (a & mask)
        pairs.append((a, b))
    return pairs


def run_comb(dut, inputs: list[dict], outputs: list[str]) -> list[tuple]:
    """Apply each dict of {port name: value} to a combinational dut and read ``outputs``.

    The inputs are packed into one signal, so each vector costs the simulator one settle
    instead of one per port."""
    names = list(inputs[0]) if inputs else []
    ports = [getattr(dut, name) for name in names]
    offsets = [sum(len(p) for p in ports[:k]) for k in range(len(ports))]
    top = Module()
    top.submodules.dut = dut
    packed = Signal(max(1, sum(len(p) for p in ports)))
    if ports:
        top.d.comb += Cat(*ports).eq(packed)
    outs = [getattr(dut, name) for name in outputs]
    got = []

    async def tb(ctx):
        for vector in inputs:
            ctx.set(packed, sum(vector[n] << off for n, off in zip(names, offsets)))
            got.append(tuple(ctx.get(o) for o in outs))

    sim = Simulator(top)
    sim.add_testbench(tb)
    sim.run()
    return got


def canonical(fmt, bits: int) -> int:
    """A reference result with any NaN replaced by the units' one NaN pattern."""
    return fmt.canonical_nan if is_nan(fmt, bits) else bits


def mismatches(fmt, vectors, got, want) -> list[str]:
    return [f"{ {k: hex(v) for k, v in vec.items()} } -> {hex(g[0])}, softfloat {hex(w)}"
            for vec, g, w in zip(vectors, got, want) if g[0] != w]


def run_pipelined(dut, inputs: list[dict], output: str, seed: int) -> list[int]:
    """Feed ``inputs`` one per enabled cycle with ``en`` random; return the outputs in order,
    each read ``dut.latency`` enabled cycles after its inputs went in."""
    rng = random.Random(seed)
    got = []

    async def tb(ctx):
        pending = list(inputs)
        issued = 0
        before = ctx.get(getattr(dut, output))
        while len(got) < len(inputs):
            en = rng.random() < 0.6
            ctx.set(dut.en, en)
            if pending:
                for name, value in pending[0].items():
                    ctx.set(getattr(dut, name), value)
            await ctx.tick()
            out = ctx.get(getattr(dut, output))
            if not en:
                assert out == before, "the output moved while en was low"
            else:
                if pending:
                    pending.pop(0)
                issued += 1
                if issued >= dut.latency:
                    got.append(out)
            before = out

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    return got
