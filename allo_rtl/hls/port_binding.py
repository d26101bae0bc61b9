"""port-binding: which of the two read/write ports of a true-dual-port on-chip memory each
access uses (``A: int32[N] @ Memory(storage_type="RAM_T2P")`` on an array local to a kernel,
Vivado's name for a block RAM with two ports that each read or write).

Why a binding before scheduling: with the port fixed per access, each port is a resource of
capacity one (``resources.port_of`` gives ``p0``/``p1``), which the schedulers already encode
exactly (SDC's linear order, the modulo reservation window); a capacity of two is not a
difference constraint. Accesses of one block to one memory alternate between the ports in
program order, which splits them as evenly as possible (ceil(n / 2) on the busier port), so a
pipelined body reading ``A[i]`` and ``A[i + 1]``, or reading and writing ``A[i]``, fits II = 1.

The top kernel's array arguments may ask too: they then have two ap_memory port sets
(``X_address0/_ce0/_we0/_d0/_q0`` and ``X_address1/_ce1/_we1/_d1/_q1``, Vivado's RAM_T2P
interface), which the harness provides.

Assumes the CDFG of a function whose buffers carry their ``Memory`` requests (banks carry
their array's). Guarantees ``op.port`` in {0, 1} on every load and store of such a
buffer, ``None`` elsewhere. Refuses (``refuse_unbuildable``) the request on a family whose
block RAM has one read and one write port (iCE40's SB_RAM40_4K); ECP5's DP16KD and the
generic target (simulation) have two read/write ports.
"""
from __future__ import annotations

from collections import defaultdict

from ..errors import AlloError
from ..ir import nodes as ir
from .cdfg import Block, CallRegion, DataflowRegion, IfRegion, LoopRegion, WhileRegion

TRUE_DUAL_PORT = "RAM_T2P"
# families whose block RAM has two read/write ports
DUAL_PORT_FAMILIES = ("generic", "ecp5")


def asks_true_dual_port(buf) -> bool:
    memory = getattr(buf, "memory", None)
    return memory is not None and memory.storage_type == TRUE_DUAL_PORT


def dual_port_buffers(f: ir.Function, top: bool) -> frozenset:
    """ids of the buffers of ``f`` with two read/write ports: its on-chip memories that ask,
    and, on the top function, its array arguments that ask (the harness memory or the
    board's block RAM behind them has the two port sets; a called kernel's parameter is its
    caller's memory, whose ports the callee cannot assume: ``two_port`` warns there)."""
    args = {id(b) for b in [*f.params, *f.results]}
    return frozenset(id(b) for b in f.symbols() if isinstance(b, ir.Buffer)
                     and (top or id(b) not in args) and b.kind != "const"
                     and asks_true_dual_port(b))


def _blocks(regions):
    for r in regions:
        if isinstance(r, Block):
            yield r
        elif isinstance(r, LoopRegion):
            yield r.entry
            yield from _blocks(r.body)
        elif isinstance(r, WhileRegion):
            yield r.cond_block
            yield from _blocks(r.body)
        elif isinstance(r, IfRegion):
            yield r.cond_block
            yield from _blocks(r.then_body)
            yield from _blocks(r.else_body)
        elif isinstance(r, CallRegion):
            yield r.args_block
        elif isinstance(r, DataflowRegion):      # its stages are calls: their own CDFGs
            yield r.args_block


def bind_ports(cdfg, dual: frozenset) -> int:
    """Set ``op.port`` on the accesses to the memories ``dual``; returns how many."""
    if not dual:
        return 0
    bound = 0
    for block in _blocks(cdfg.body):
        nxt = defaultdict(int)
        for op in block.ops:
            if op.info.is_memory and id(op.buf) in dual:
                op.port = nxt[id(op.buf)]
                nxt[id(op.buf)] ^= 1
                bound += 1
    return bound


def refuse_unbuildable(module: ir.Module, family: str):
    """An AlloError at the first array asking for two read/write ports (a local one, or an
    argument of the top) on a family whose block RAM cannot have them."""
    if family in DUAL_PORT_FAMILIES:
        return
    for name, f in module.functions.items():
        for b in f.symbols():
            if isinstance(b, ir.Buffer) and id(b) in dual_port_buffers(f, name == module.top):
                raise AlloError(
                    f"{b.bank_of or b.name}: Memory(storage_type='RAM_T2P') asks for two "
                    f"read/write ports, which the block RAM of the {family} family does not "
                    "have (iCE40's SB_RAM40_4K has one read and one write port)", b.loc,
                    hint="use RAM_2P (one read + one write port, every on-chip memory's "
                         "default), partition the array, or build for ECP5")
