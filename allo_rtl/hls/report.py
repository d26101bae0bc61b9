"""What the scheduler built, for people: loops (trips, cycles per iteration, depth), memories,
functional units, registers and the latency, as a dict (JSON-ready) and as text.

Latency and cycles per iteration come from the Control IR (``hls.control.static_latency``),
the same states the RTL emits."""
from __future__ import annotations

from collections import Counter

from ..ir import nodes as ir
from .cdfg import CallRegion, LoopRegion
from .control_latency import loop_iteration, loop_trips, static_latency
from .synthesize import FunctionDesign
from .timing import FLOAT_UNIT_CLASSES


class _LoopRows:
    """The report's loop rows, read off the Control IR tree in program order (outer loops
    before inner ones); cycle numbers come from ``hls.control``'s latency model."""

    def __init__(self, design: FunctionDesign, controls: dict):
        self.d, self.controls = design, controls
        self.loops = []

    def walk(self, nodes, depth=0):
        for node in nodes:
            if node.kind == "pipeline":
                self.pipeline(node.pipeline, depth)
            elif node.kind == "loop":
                self.loop(node, depth)
            elif node.kind == "while":
                self.walk(node.children[0], depth + 1)
            elif node.kind == "branch":
                for c in node.children:
                    self.walk(c, depth)

    def pipeline(self, plan, depth):
        """One row for a pipelined nest (flattened loops named in the note)."""
        sch = plan.schedule
        inner = plan.regions[-1].loop
        names = [x.loop.name for x in plan.regions]
        note = sch.limit
        if len(names) > 1:
            note += f"; nest {', '.join(names)} flattened into one pipeline"
        note += _unrolled(inner)
        if inner.attrs.get("auto_pipeline"):
            note += f"; pipelined by pipeline_loops={inner.attrs['auto_pipeline']}"
        self.loops.append({
            "name": inner.name, "line": inner.loc.line, "level": depth + len(names) - 1,
            "nest_level": depth,
            "pipelined": True, "ii_requested": sch.requested_ii, "ii": sch.ii,
            "depth": sch.depth, "trip_count": sch.trips, "res_mii": sch.res_mii,
            "flattened": names, "note": note,
            "latency": sch.latency})

    def loop(self, node, depth):
        r = node.region
        row = {"name": r.loop.name, "line": r.loop.loc.line, "level": depth,
               "pipelined": False, "ii_requested": r.loop.attrs.get("pipeline")}
        self.loops.append(row)
        if node.children:
            self.walk(node.children[0], depth + 1)
        per_iter = loop_iteration(node, self.controls)
        note = self.d.pipeline_notes.get(id(r)) or (
            "not pipelined: II = cycles per iteration" if per_iter else
            "iteration latency is data-dependent")
        row.update({"trip_count": loop_trips(r), "ii": per_iter, "depth": per_iter,
                    "note": note + _unrolled(r.loop)})


def _functional_units(design: FunctionDesign) -> dict:
    """Units by class and width; shared units (multipliers, dividers) count once."""
    units = Counter()
    shared = {u for u in design.binding.unit_of.values() if isinstance(u, tuple)}
    for resource, key, _ in shared:
        if resource == "div":
            width, signed = key
            units[f"divider{width}{'s' if signed else 'u'}"] += 1
        elif resource in ("fadd", "fmul", "fdiv", "fsqrt"):          # a float unit: (bits, mantissa bits)
            units[f"{resource}{key[0]}"] += 1
        else:
            units[f"{resource}{key[0]}x{key[2]}"] += 1
    for block in _blocks(design):
        for op in block.ops:
            if isinstance(design.binding.unit_of.get(op), tuple) or not op.info.report_name:
                continue
            units[f"{op.info.report_name}{op.info.unit_width(op)}"] += 1
    return dict(sorted(units.items()))


def float_unit_stages(designs: dict, timing) -> dict:
    """Pipeline stages (latency) of each float unit kind the design uses, by class and width:
    they follow the clock (``TimingModel.float_stages``), so the report says what was built."""
    out = {}
    for design in designs.values():
        for op in (op for b in _blocks(design) for op in b.ops):
            info = op.info
            if info.timing in FLOAT_UNIT_CLASSES and info.report_name:
                out[f"{info.report_name}{info.unit_width(op)}"] = timing.of(op).latency
    return dict(sorted(out.items()))


def _blocks(design: FunctionDesign) -> list:
    """The function's straight-line blocks: FSM blocks and pipeline bodies."""
    return [sch.block for sch in design.schedules.values()] + \
        [p.schedule.block for p in design.pipelines.values()]


def _unrolled(loop) -> str:
    """The unrolled copies a loop's body holds, for the report."""
    out = ""
    if loop.attrs.get("unrolled"):
        out += f"; body unrolled x{loop.attrs['unrolled']}"
    if loop.attrs.get("unrolled_inner"):
        out += f"; inner loops fully unrolled: {', '.join(loop.attrs['unrolled_inner'])}"
    return out


def _memories(design: FunctionDesign) -> list:
    f = design.function
    arrays = design.banks.arrays.values() if design.banks is not None else ()
    out, banks_of = [], {b.array.name: b for b in arrays}
    for b in f.symbols():
        if not isinstance(b, ir.Buffer) or (b.bank_of and b.bank_of in banks_of and
                                            b is not banks_of[b.bank_of].banks[0]):
            continue
        where = "port (ap_memory)" if id(b) in design.external_ids else (
            "ROM" if b.kind == "const" else
            "on-chip SPRAM" if id(b) in design.single_port_ids else "on-chip Memory")
        ports = ("1 read + 1 write (RAM_2P)" if id(b) in design.two_port_ids else
                 "2 read/write (RAM_T2P)" if id(b) in design.dual_port_ids else
                 "1 shared r/w (SPRAM)" if id(b) in design.single_port_ids else
                 "1 shared r/w" if id(b) in design.external_ids else
                 "1 read" if b.kind == "const" else "1 read + 1 write")
        row = {"name": b.name, "type": repr(b.type), "kind": b.kind, "implementation": where,
               "ports": ports, "banks": 1, "words": b.type.size, "bits": b.type.size * b.dtype.bits}
        group = banks_of.get(b.bank_of)
        if group is not None:       # one row per partitioned array, its banks listed
            n = len(group.banks)
            row.update(name=group.array.name, type=repr(group.array.type), banks=n,
                       partition=group.describe(), bank_type=repr(b.type),
                       bank_names=[x.name for x in group.banks],
                       words=n * b.type.size, bits=n * b.type.size * b.dtype.bits,
                       ports=f"{ports} per bank")
        out.append(row)
    return out


def _registers(design: FunctionDesign) -> dict:
    f = design.function
    scalars = [s for s in f.symbols() if isinstance(s, ir.Scalar)]
    loops = list(_loop_regions(design.cdfg.body))
    b = design.binding
    counter_bits = sum(r.counter_width or 2 * r.loop.var.type.hw_bits for r in loops)
    pipe_bits = sum(p.schedule.register_bits() for p in design.pipelines.values())
    bits = sum(s.type.hw_bits for s in scalars) + counter_bits + b.register_bits + pipe_bits
    return {"variables": len(scalars), "loop_counters": len(loops),
            "datapath_values": len(b.register_of), "datapath_registers": len(b.registers),
            "pipeline_register_bits": pipe_bits, "total_bits": bits}


def function_report(design: FunctionDesign, designs: dict) -> dict:
    controls = {name: d.control for name, d in designs.items()}
    rows = _LoopRows(design, controls)
    rows.walk(design.control.body)
    states = sum(s.length for s in design.schedules.values())
    return {"function": design.function.name,
            "latency_estimate": static_latency(design.control, controls),
            "fsm_block_states": states,
            "loops": rows.loops,
            "memories": _memories(design),
            "functional_units": _functional_units(design),
            "registers": _registers(design),
            "calls": sorted({r.call.callee.name for r in _calls(design.cdfg.body)})}


def _loop_regions(regions):
    for r in regions:
        if isinstance(r, LoopRegion):
            yield r
        for attr in ("body", "then_body", "else_body"):
            yield from _loop_regions(getattr(r, attr, []))


def _calls(regions):
    for r in regions:
        if isinstance(r, CallRegion):
            yield r
        for attr in ("body", "then_body", "else_body", "stages"):
            yield from _calls(getattr(r, attr, []))


def _promotion_lines(promotions: list) -> list:
    """One line per loop, array and outcome (an unrolled loop may promote many elements)."""
    groups = {}
    for p in promotions:
        key = (p["loop"], p["line"], p["array"], p["applied"], p["reason"], p["reads"],
               p["writes"], p.get("around", False), p.get("guard_line", 0))
        groups.setdefault(key, []).append(p["subscripts"])
    out = []
    for (loop, line, array, applied, reason, reads, writes, around, guard), subs in \
            groups.items():
        what = (f"{array}{subs[0]}" if len(subs) == 1 else
                f"{len(subs)} elements of {array} ({subs[0]}, ...)")
        where = f"in loop {loop} (line {line})"
        if applied:
            steps = (("read before the loop", "written after it") if around else
                     ("read at its first iteration", "written at its last"))
            how = " and ".join(x for x, on in zip(steps, (reads, writes)) if on)
            how += f", under the condition of the branch at line {guard}" if guard else ""
            out.append(f"   register promotion: {what} {where}: {how}")
        else:
            out.append(f"   not promoted: {what} {where}: {reason}")
    return out


def format_report(rep: dict) -> str:
    lines = [f"== {rep['top']} ({rep['family']}, clock {rep['clock_ns']} ns) =="]
    if rep.get("cycles") is not None:
        lines.append(f"measured latency: {rep['cycles']} cycles (last call, start -> done)")
    if rep.get("float_unit_stages"):
        units = ", ".join(f"{k} {v}" for k, v in rep["float_unit_stages"].items())
        lines.append(f"float unit stages: {units} (the fewest whose measured Fmax clears the "
                     "clock with a margin, where measured)")
    for f in rep["functions"]:
        est = f["latency_estimate"]
        lines.append(f"-- function {f['function']}: latency estimate "
                     f"{est if est is not None else 'data-dependent'} cycles, "
                     f"{f['fsm_block_states']} datapath states")
        for loop in f["loops"]:
            trips = loop["trip_count"] if loop["trip_count"] is not None else "?"
            ii = loop["ii"] if loop["ii"] is not None else "?"
            dep = loop["depth"] if loop["depth"] is not None else "?"
            kind = "pipelined, " if loop["pipelined"] else ""
            lines.append(f"   {'  ' * loop['level']}loop {loop['name']} (line {loop['line']}): "
                         f"{kind}trips {trips}, II {ii}, depth {dep} ({loop['note']})")
        lines += _promotion_lines([p for p in rep.get("promotions", [])
                                   if p["function"] == f["function"]])
        regs = [n.split(".", 1)[1] for n in rep.get("scalarized", [])
                if n.split(".", 1)[0] == f["function"]]
        if regs:
            shown = ", ".join(regs[:4]) + (", ..." if len(regs) > 4 else "")
            lines.append(f"   one-word arrays kept as registers: {len(regs)} ({shown})")
        for mem in f["memories"]:
            banks = (f"{mem['banks']} banks of {mem['bank_type']} ({mem['partition']}: "
                     f"{mem['bank_names'][0]}..{mem['bank_names'][-1]})" if "partition" in mem
                     else "1 bank")
            lines.append(f"   memory {mem['name']}: {mem['type']} {mem['implementation']}, "
                         f"{mem['ports']}, {banks}")
        if f["functional_units"]:
            fus = ", ".join(f"{k} x{v}" for k, v in f["functional_units"].items())
            lines.append(f"   functional units: {fus}")
        r = f["registers"]
        lines.append(f"   registers: {r['variables']} variables, {r['loop_counters']} loop "
                     f"counters, {r['datapath_registers']} datapath registers holding "
                     f"{r['datapath_values']} values, {r['pipeline_register_bits']} "
                     f"pipeline register bits, {r['total_bits']} bits")
        if f["calls"]:
            lines.append(f"   calls (submodules): {', '.join(f['calls'])}")
    lines += _stream_lines(rep)
    board = rep.get("board")
    if board:
        u = board["utilization"]
        pll = board.get("pll")
        source = f" (PLL from {pll['input_mhz']:g} MHz)" if pll else ""
        lines.append(f"-- board {board['board']} ({board['device']}, {board['mode']}): Fmax "
                     f"{board['fmax_mhz']} MHz at {board['clock_mhz']} MHz{source} "
                     f"({'met' if board['timing_met'] else 'NOT met'}); LUT {u['lut']}, "
                     f"FF {u['ff']}, BRAM {u['bram']}, DSP {u['dsp']}; {board['bitstream']}")
    return "\n".join(lines)


def _stream_lines(rep: dict) -> list:
    """Dataflow regions after a run (``rtl.streams.occupancy_rows``)."""
    out = [f"-- dataflow region {r['region']}: latency {r['latency']} cycles (start -> last "
           f"stage done), interval {r['interval']}" for r in rep.get("regions", [])]
    for st in rep.get("stages", []):
        out.append(f"-- stage {st['stage']} of region {st['region']}: latency {st['latency']} "
                   f"cycles (start -> done), interval {st['interval']}")
    auto = rep.get("fifo_depth_mode") == "auto"
    for s in rep.get("streams", []):
        if "block" in s:                # a stream of blocks: a FIFO of the blocks' words
            out.append(f"-- stream {s['name']} ({s['region']}): blocks {s['block']}, depth "
                       f"{s['depth']} words = {s['depth_blocks']} blocks"
                       f"{' (deep, fifo_depth=auto)' if auto else ''}, at most "
                       f"{s['max_occupancy']} words held, suggested depth "
                       f"{s['suggested_blocks']} blocks{_sizing(s)}")
            continue
        out.append(f"-- stream {s['name']} ({s['region']}): depth {s['depth']}"
                   f"{' (deep, fifo_depth=auto)' if auto else ''}, at most "
                   f"{s['max_occupancy']} held, suggested depth {s['suggested_depth']}"
                   f"{_sizing(s)}")
    return out


def _sizing(s: dict) -> str:
    how = ""
    if s.get("depth_method"):           # fifo_depth="static" (sim.static_depths)
        method, *more = s["depth_method"].split(", ")
        how = "; depth " + {"schedules": "computed from the schedules, no simulation",
                            "simulation": "from a zero-input simulation"}.get(method, method)
        how += "".join(f", {m}" for m in more)
    if s.get("sizing") == "static":
        return f" (static: the stages' schedules fix it for every input{how})"
    return f" (measured: for this run's inputs{how})"
