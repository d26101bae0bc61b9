"""Deterministic text forms of the hardware IRs: the CDFG of a function, block schedules and
modulo schedules, so a user can see what the scheduler decided (``s.build(dump=...)``, the
CLI's ``dump``) and tests can pin structure.

Ops print as ``v<id> = <opcode> <operands> : <type>`` with the array, variable or constant
they carry, and ``@<line>`` for the kernel line they come from. Blocks are numbered in program
order (``b0``, ``b1``, ...), the order ``hls.synthesize`` schedules them in.
"""
from __future__ import annotations

import numpy as np

from ..ir import nodes as ir
from .cdfg import Block, CallRegion, DataflowRegion, IfRegion, LoopRegion, Op, WhileRegion


def op_text(op: Op) -> str:
    args = [f"v{o.id}" for o in op.operands]
    if op.info.is_const and op.type is not None and op.type.is_float:   # IEEE bits
        value = np.array(op.value, dtype=f"uint{op.type.bits}").view(op.type.numpy_dtype)
        args = [f"0x{op.value:0{op.type.bits // 4}X} ({value!s})"]
    elif op.info.is_const:
        args = [str(op.value)]
    elif op.var is not None:
        args = [op.var.name, *args]
    elif op.strides:                     # an address: the array's indices and strides
        args = [f"{op.buf.name}[{', '.join(args)}]", f"strides {tuple(op.strides)}"]
    elif op.buf is not None:
        args = [f"{op.buf.name}[{args[0]}]", *args[1:]]
    elif op.chan is not None:            # a stream transfer: the stream, then a put's value
        args = [op.chan.name, *args]
    if op.width is not None:
        args.append(f"width {op.width}")
    if op.port is not None:              # a two-read/write-port memory's (port_binding)
        args.append(f"port {op.port}")
    typ = f" : {op.type!r}" if op.type is not None else ""
    line = f" @{op.loc.line}" if op.loc is not None and op.loc.line > 0 else ""
    lhs = "" if op.type is None or op.info.writes_var else f"v{op.id} = "
    return f"{lhs}{op.opcode} {', '.join(args)}{typ}{line}".replace(" ,", ",").rstrip()


class _Numbering:
    """Block numbers in program order."""

    def __init__(self):
        self.ids = {}

    def __call__(self, block: Block) -> str:
        return f"b{self.ids.setdefault(id(block), len(self.ids))}"


def format_cdfg(cdfg, numbering=None) -> str:
    """The CDFG of one function: regions nested by indentation, every op of every block."""
    name = numbering or _Numbering()
    out = [f"cdfg {cdfg.function.name}:"]

    def block(b: Block, pad: str, title: str):
        out.append(f"{pad}{title} {name(b)}:")
        out.extend(f"{pad}  {op_text(op)}" for op in b.ops)

    def regions(rs, pad):
        for r in rs:
            if isinstance(r, Block):
                block(r, pad, "block")
            elif isinstance(r, LoopRegion):
                loop = r.loop
                trips = r.static_trips
                attrs = "".join(f" {k}={v}" for k, v in sorted(loop.attrs.items())
                                if k in ("pipeline", "parallel"))
                out.append(f"{pad}loop {loop.name} @{loop.loc.line} step {loop.step} "
                           f"trips {trips if trips else '?'}{attrs}:")
                block(r.entry, pad + "  ", "bounds")
                regions(r.body, pad + "  ")
            elif isinstance(r, WhileRegion):
                out.append(f"{pad}while @{r.stmt.loc.line}:")
                block(r.cond_block, pad + "  ", "condition")
                regions(r.body, pad + "  ")
            elif isinstance(r, IfRegion):
                out.append(f"{pad}if @{r.stmt.loc.line}:")
                block(r.cond_block, pad + "  ", "condition")
                out.append(f"{pad}  then:")
                regions(r.then_body, pad + "    ")
                out.append(f"{pad}  else:")
                regions(r.else_body, pad + "    ")
            elif isinstance(r, CallRegion):
                out.append(f"{pad}call {_call_text(r)} @{r.call.loc.line}:")
                block(r.args_block, pad + "  ", "arguments")
            elif isinstance(r, DataflowRegion):
                out.append(f"{pad}dataflow {r.stmt.name} @{r.stmt.loc.line}: "
                           + "; ".join(_call_text(c) for c in r.stages))
                block(r.args_block, pad + "  ", "arguments")
    regions(cdfg.body, "  ")
    return "\n".join(out)


def _call_text(r) -> str:
    args = ", ".join(a.name if isinstance(a, (ir.Buffer, ir.Channel)) else f"v{a.id}"
                     for a in r.args)
    return f"{r.call.callee.name}({args})"


def format_block_schedule(sch, title: str = "block") -> str:
    """One line per cycle with the ops starting in it; registered values listed after."""
    out = [f"{title}: {sch.length} cycle(s)"]
    by_cycle = {}
    for op in sch.block.ops:
        if op in sch.start:
            by_cycle.setdefault(sch.start[op], []).append(op)
    for c in range(sch.length):
        for op in by_cycle.get(c, []):
            ready = sch.ready[op]
            late = f"  (ready {ready})" if ready != c else ""
            out.append(f"  {c:>3}: {op_text(op)}{late}")
    if sch.registered:
        regs = ", ".join(f"v{o.id}" for o in sorted(sch.registered, key=lambda o: o.id))
        out.append(f"  registered: {regs}")
    return "\n".join(out)


def format_modulo_schedule(sch) -> str:
    """Positions of one iteration, the modulo slot of each access, and why II is what it is."""
    loops = ", ".join(loop.name for loop in sch.loops)
    trips = sch.trips if sch.trips is not None else "?"
    out = [f"pipeline {sch.loops[-1].name} (nest {loops}): II {sch.ii} (requested "
           f"{sch.requested_ii}, ResMII {sch.res_mii}), depth {sch.depth}, trips {trips}",
           f"  limit: {sch.limit}"]
    by_pos = {}
    for op in sch.block.ops:
        if op in sch.start:
            by_pos.setdefault(sch.start[op], []).append(op)
    for p in range(sch.depth):
        for op in by_pos.get(p, []):
            slot = f"  [slot {p % sch.ii}]" if op.info.is_memory else ""
            ready = f"  (ready {sch.ready[op]})" if sch.ready[op] != p else ""
            out.append(f"  {p:>3}: {op_text(op)}{slot}{ready}")
    for x, y, d in sch.mem_deps:
        out.append(f"  dependence: v{y.id} {y.opcode} after v{x.id} {x.opcode} at distance {d}")
    return "\n".join(out)


def format_design(design) -> str:
    """Everything the HLS stage decided for one function: CDFG, then each block's schedule
    in program order, then each pipeline, then the control IR (the FSM's states)."""
    name = _Numbering()
    parts = [format_cdfg(design.cdfg, name)]
    for sch in design.schedules.values():
        parts.append(format_block_schedule(sch, f"schedule {name(sch.block)}"))
    for plan in design.pipelines.values():
        parts.append(format_modulo_schedule(plan.schedule))
    if design.control is not None:
        parts.append(design.control.format())
    return "\n".join(parts)
