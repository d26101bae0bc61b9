"""pipeline-div: divisions by a constant longer than the clock become pipelined units.

Assumes a narrowed block and the timing model of the build. A ``tdiv_const`` /
``floordiv_const`` / ``mod_const`` whose delay, starting from a register, would not settle
inside one cycle (``TimingModel.chain_limit_ns``, the test ``pipeline_mul`` makes) becomes its
``*_const_pipe`` twin: the same division on ``primitives.const_div.ConstDiv`` (magnitude,
registered limb products, adder tree, fix), with the stage plan and latency the timing model
gives (``const_div_plan``, ``const_div_pipe_timing``). Left alone: divisions whose stages
would not fit a cycle either (no gain).
"""
from __future__ import annotations

from .cdfg import Block
from .timing import TimingModel

CONST_DIVISIONS = ("tdiv_const", "floordiv_const", "mod_const")


def pipeline_const_divisions(block: Block, timing: TimingModel) -> Block:
    limit, reg_out = timing.chain_limit_ns, timing.reg_out_ns
    for op in block.ops:
        if op.opcode not in CONST_DIVISIONS or reg_out + timing.of(op).delay_ns <= limit:
            continue
        plan = timing.const_div_plan(op)
        if plan is None:
            continue
        op.opcode, op.div_plan = op.opcode + "_pipe", plan
        op.limb_bits = timing.const_div_limb_bits
    return block
