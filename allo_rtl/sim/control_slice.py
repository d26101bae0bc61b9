"""The control slice of a kernel: the statements a run must execute for the cycle model to
know every control decision it times, so ``mod.estimate`` can skip the rest of the datapath.

Assumes the synthesized module and its Control IR (``sim.cycle_model``). The decisions are
the statements behind data-dependent control nodes (``control_latency.node_latency`` is
None): run-time loop bounds, while conditions, branch conditions, calls of data-dependent
callees. Guarantees: every statement whose effect can reach a decision -- through a variable,
an array, a loop index or by enclosing a kept statement -- is kept (a fixed point of those
rules over the top function); a kept call runs its callee in full (buffers passed by
reference may be read or written anywhere in it, so all its array arguments count as read).
Refuses nothing: with no decisions the slice is empty, and the count is static anyway.
Results of a sliced run are meaningless; only its trace is used.
"""
from __future__ import annotations

from ..hls.control_latency import loop_trips, node_latency
from ..ir import nodes as ir


def decisions(controls: dict) -> set:
    """ids of the ir statements whose executions the timing walk reads (any function)."""
    out = set()

    def walk(nodes):
        for node in nodes:
            if node_latency(node, controls) is not None:
                continue
            if node.kind == "loop" and loop_trips(node.region) is None:
                out.add(id(node.region.loop))
            elif node.kind == "pipeline":
                out.add(id(node.pipeline.regions[0].loop))
            elif node.kind in ("while", "branch"):
                out.add(id(node.region.stmt))
            elif node.kind == "call":
                out.add(id(node.region.call))
            for child in node.children:
                walk(child)

    for ctl in controls.values():
        walk(ctl.body)
    return out


def _reads(exprs) -> set:
    out = set()
    for e in exprs:
        for x in ir.walk_exprs(e):
            if isinstance(x, ir.Ref):
                out.add(id(x.var))
            elif isinstance(x, ir.Load):
                out.add(id(x.buf))
    return out


def control_slice(f: ir.Function, decided: set) -> set:
    """ids of the statements of ``f`` (nested included, callees excluded) to execute."""
    keep, needed = set(), set()
    stmts = list(ir.walk_stmts(f.body))
    changed = True
    while changed:
        changed = False
        for s in reversed(stmts):           # inner statements first: fewer rounds
            if id(s) in keep or not _kept(s, decided, keep, needed):
                continue
            keep.add(id(s))
            needed |= _reads(ir.stmt_exprs(s))
            if isinstance(s, ir.Call):
                needed |= {id(a) for a in s.args if isinstance(a, ir.Buffer)}
            changed = True
    return keep


def _kept(s, decided, keep, needed) -> bool:
    if id(s) in decided:
        return True
    if isinstance(s, ir.Assign):
        return id(s.var) in needed
    if isinstance(s, ir.Store):
        return id(s.buf) in needed
    if isinstance(s, ir.Call):
        return any(id(a) in needed for a in s.args if isinstance(a, ir.Buffer)) or \
            any(id(o) in needed for o in s.outs)
    if isinstance(s, ir.For) and id(s.var) in needed:
        return True
    return any(id(x) in keep for body in ir.child_bodies(s) for x in ir.walk_stmts(body))
