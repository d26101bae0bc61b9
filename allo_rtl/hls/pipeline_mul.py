"""pipeline-mul: integer products longer than the clock become pipelined limb multiplies.

Assumes a narrowed block (the product's width is final) and the timing model of the build.
A ``mul`` whose product, starting from a register, would not settle inside one cycle
(``TimingModel.chain_limit_ns``) becomes a ``mul_pipe``: the same operation on a
``LimbMul`` (DSP-sized limb products registered, summed a cycle later), whose latency the
timing model gives (1, or 2 when the sum needs a register of its own). The schedulers then
place it like any pipelined unit, so a short clock costs a cycle per product instead of a
failed timing check. Left alone: products with a constant operand (shifts and adds),
fixed-point products (their scaling needs the full product), products wider than 64 bits,
and products whose limb multiply would not fit a cycle either (no gain).
"""
from __future__ import annotations

from .cdfg import Block
from .timing import TimingModel

MAX_BITS = 64


def _candidate(op) -> bool:
    if op.opcode != "mul" or op.type is None or op.type.hw_bits > MAX_BITS:
        return False
    if any(o.info.is_const for o in op.operands):
        return False
    return all(t.fracs == 0 and not t.is_float for t in (op.type, *(o.type for o in op.operands)))


def pipeline_multipliers(block: Block, timing: TimingModel) -> Block:
    limit, reg_out = timing.chain_limit_ns, timing.reg_out_ns
    limb = timing.pipelining.get("limb_bits", 16)
    for op in block.ops:
        if not _candidate(op) or reg_out + timing.of(op).delay_ns <= limit:
            continue
        if reg_out + timing.mul_pipe_timing(op.type.hw_bits).delay_ns > limit:
            continue
        op.opcode, op.limb_bits = "mul_pipe", limb
    return block
