"""Order of a block's stream transfers (gets and puts), for every scheduler.

A stage of a dataflow region means what the Kahn process network interpreter (``sim.kpn``)
runs: each transfer completes before the next one starts. Two transfers on different streams
in one cycle would wait for each other (the state stalls until both FIFOs are ready), which
can deadlock where the interpreter does not (``put(a); get(b)`` against a stage doing
``get(a); put(b)``). So in an FSM block every transfer is at least one cycle after the one
before it in program order (``FSM_GAP``). A pipelined loop overlaps iterations anyway; there
an iteration's transfers keep program order but may share a cycle (``PIPELINE_GAP``), and one
stream takes one transfer per modulo slot (its resource class, ``resources``). A gap alone
would not keep the order with II = 1 (iteration ``i``'s later transfer and iteration
``i + d``'s earlier one share a cycle), so the hardware does (``rtl.pipeline.elastic``): a
blocked transfer holds its position and the ones behind it, never the ones ahead, and
transfers of one position complete in program order. Pipelines it does not cover (II > 1,
pipelined units, memory ports shared with other stages) stall as a whole while any of their
active transfers cannot happen.
"""
from __future__ import annotations

FSM_GAP = 1
PIPELINE_GAP = 0


def stream_ops(ops) -> list:
    return [op for op in ops if op.info.is_stream]


def stream_order(prob, ops, var, gap: int):
    """``x_b - x_a >= gap`` for consecutive transfers a, b of ``ops`` (program order)."""
    chain = [op for op in stream_ops(ops) if op in var]
    for a, b in zip(chain, chain[1:]):
        prob.diff(var[b], var[a], gap, tag=("stream", a, b))


def describe_stream_tag(tag) -> str:
    _, a, b = tag
    return (f"the stream {b.opcode[1:]} at line {b.loc.line} must follow the one at line "
            f"{a.loc.line} (transfers keep program order)")
