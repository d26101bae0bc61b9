"""``mod.report(html=PATH)``: one self-contained HTML page per design, for people.

The page holds everything inline (CSS, SVG, a few lines of script; no fetch of anything):
per function, a Gantt chart of the schedule (the FSM's block states and each pipeline's
positions against the operations that run in them, a call's wait drawn as a stall), the loop
table (trips, II requested/achieved, depth, what limits II, source lines), memories and their
banks, functional units with the source lines they serve, registers, and the board's Fmax and
resources when a board build ran. Reads the HardwareDesign and its report dict only.
"""
from __future__ import annotations

from collections import defaultdict
from html import escape
from pathlib import Path


ROW_H, CYCLE_W, LABEL_W = 16, 22, 190
MAX_ROWS = 60                 # ops drawn per chart (the rest is counted below it)

CSS = """
body{font:13px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:20px}h2{font-size:16px;border-bottom:1px solid #ccc;margin-top:2em}
h3{font-size:14px;margin:1.2em 0 .3em}
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ccc;padding:2px 6px;
text-align:left;vertical-align:top}th{background:#f3f3f3}td.num{text-align:right}
.note{color:#555}.bad{color:#a00;font-weight:bold}.chart{overflow-x:auto}
svg text{font:11px monospace}svg .bar{fill:#4a7fc1}svg .mem{fill:#d28b2d}
svg .stage{fill:#eef3fa}svg .stall{fill:#c33;opacity:.6}svg .grid{stroke:#ddd}
#tip{position:fixed;background:#ffd;border:1px solid #aa8;padding:2px 5px;display:none}
"""

SCRIPT = """
(function(){
  var tip=document.getElementById('tip');
  document.querySelectorAll('svg [data-tip]').forEach(function(el){
    el.addEventListener('mousemove',function(e){tip.textContent=el.getAttribute('data-tip');
      tip.style.display='block';tip.style.left=(e.clientX+12)+'px';
      tip.style.top=(e.clientY+8)+'px';});
    el.addEventListener('mouseleave',function(){tip.style.display='none';});
  });
  document.body.setAttribute('data-ready','1');
})();
"""


def write_html(design, data: dict, path) -> Path:
    """Write the page of ``design`` (a HardwareDesign) with report dict ``data``."""
    path = Path(path)
    path.write_text(render(design, data))
    return path


def render(design, data: dict) -> str:
    parts = [f"<h1>allo-rtl report: {escape(data['top'])}</h1>",
             _summary(data)]
    for frep in data["functions"]:
        parts.append(_function(design.designs[frep["function"]], frep))
    if data.get("board"):
        parts.append(_board(data["board"]))
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{escape(data['top'])} - allo-rtl report</title><style>{CSS}</style>"
            "</head><body>" + "".join(parts) + "<div id='tip'></div>"
            f"<script>{SCRIPT}</script></body></html>\n")


def _table(head, rows, cls="") -> str:
    out = [f"<table class='{cls}'><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head)
           + "</tr>"]
    for row in rows:
        cells = []
        for v in row:
            num = isinstance(v, (int, float)) and not isinstance(v, bool)
            cells.append(f"<td class='num'>{v}</td>" if num else
                         f"<td>{escape('' if v is None else str(v))}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    return "".join(out) + "</table>"


def _summary(data) -> str:
    rows = [("family", data["family"]), ("clock (ns)", data["clock_ns"]),
            ("HLS time (s)", data["synthesis_seconds"])]
    if data.get("cycles") is not None:
        rows.insert(0, ("cycles (last call)", data["cycles"]))
    return _table(["", "value"], rows, "summary")


def _function(fd, frep) -> str:
    name = frep["function"]
    est = frep["latency_estimate"]
    out = [f"<h2 id='fn-{escape(name)}'>function {escape(name)}</h2>",
           f"<p>latency estimate: {est if est is not None else 'data-dependent'} cycles; "
           f"{frep['fsm_block_states']} datapath states</p>",
           "<h3>Loops</h3>", _loops(frep["loops"]),
           "<h3>Schedule (Gantt)</h3>", _gantts(fd),
           "<h3>Memories</h3>", _memories(frep["memories"]),
           "<h3>Functional units</h3>", _units(fd, frep["functional_units"]),
           "<h3>Registers</h3>",
           _table(["what", "count"], list(frep["registers"].items()), "registers")]
    if frep["calls"]:
        out.append(f"<p>calls: {escape(', '.join(frep['calls']))}</p>")
    return "<section class='function'>" + "".join(out) + "</section>"


def _loops(loops) -> str:
    if not loops:
        return "<p class='note'>no loops</p>"
    rows = []
    for r in loops:
        req = r["ii_requested"]
        req = 1 if req is True else req          # pipeline=True asks for II 1
        worse = bool(r["pipelined"] and isinstance(req, int) and r["ii"] is not None
                     and r["ii"] > req)
        rows.append(("&nbsp;" * 2 * r["level"] + escape(r["name"]), r["line"],
                     r["trip_count"] if r["trip_count"] is not None else "run-time",
                     "yes" if r["pipelined"] else "no",
                     "-" if r["ii_requested"] in (None, False) else r["ii_requested"],
                     r["ii"] if r["ii"] is not None else "?",
                     r["depth"] if r["depth"] is not None else "?",
                     r["note"], worse))
    head = ["loop", "line", "trips", "pipelined", "II requested", "II achieved", "depth",
            "limit / note"]
    out = ["<table class='loops'><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for *cells, worse in rows:
        tds = [f"<td>{cells[0]}</td>"] + [
            f"<td class='num'>{c}</td>" if isinstance(c, int) else f"<td>{escape(str(c))}</td>"
            for c in cells[1:-1]]
        tds.append(f"<td class='{'bad' if worse else 'note'}'>{escape(cells[-1])}</td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    return "".join(out) + "</table>"


def _memories(mems) -> str:
    if not mems:
        return "<p class='note'>none</p>"
    return _table(["array", "type", "implementation", "ports", "banks", "partition", "words",
                   "bits"],
                  [(m["name"], m["type"], m["implementation"], m["ports"], m["banks"],
                    m.get("partition", ""), m["words"], m["bits"]) for m in mems], "memories")


def _ops_of(fd):
    for sch in fd.schedules.values():
        yield from sch.block.ops
    for plan in fd.pipelines.values():
        yield from plan.schedule.block.ops


def _units(fd, units: dict) -> str:
    """Units as the report counts them, and the source lines of the operations each kind of
    unit runs (shared units list every line they serve)."""
    lines = defaultdict(set)
    for op in _ops_of(fd):
        key = op.info.report_name or op.info.resource
        if key and op.loc is not None and op.loc.line > 0:
            lines[key].add(op.loc.line)
    rows = []
    for unit, count in units.items():
        kind = next((k for k in sorted(lines, key=len, reverse=True) if unit.startswith(k)),
                    None)
        rows.append((unit, count, ", ".join(map(str, sorted(lines.get(kind, ())))) or "-"))
    if not rows:
        return "<p class='note'>none</p>"
    return _table(["unit", "count", "source lines"], rows, "units")


# --- the Gantt charts -------------------------------------------------------------------

def _gantts(fd) -> str:
    ctl = fd.control
    charts = []
    blocks = [b for b in ctl.blocks if any(op.operands for op in b.block.ops)]
    if blocks:
        charts.append(_block_chart(ctl, blocks))
    for index, plan in ctl.pipelines:
        charts.append(_pipeline_chart(index, plan.schedule))
    waits = [s for s in ctl.states if s.kind == "wait"]
    if waits:
        charts.append(_stall_chart(waits))
    return "".join(f"<div class='chart'>{c}</div>" for c in charts) or \
        "<p class='note'>nothing scheduled</p>"


def _label(op) -> str:
    line = f"@{op.loc.line}" if op.loc is not None and op.loc.line > 0 else ""
    what = op.buf.name if op.buf is not None else op.var.name if op.var is not None else ""
    return f"v{op.id} {op.opcode} {what}{line}".strip()


def _svg(width, height, body, title) -> str:
    return (f"<svg xmlns='http://www.w3.org/2000/svg' class='gantt' width='{width}' "
            f"height='{height}' role='img' aria-label='{escape(title)}'>"
            f"<title>{escape(title)}</title>{body}</svg>")


def _axis(n, y0, height, stage_ii=None) -> list:
    out = []
    for c in range(n + 1):
        x = LABEL_W + c * CYCLE_W
        out.append(f"<line class='grid' x1='{x}' y1='{y0}' x2='{x}' y2='{height}'/>")
        if c < n:
            out.append(f"<text x='{x + 4}' y='{y0 - 3}'>{c}</text>")
    return out


def _bar(row, start, ready, op, y0, extra="") -> str:
    x = LABEL_W + start * CYCLE_W
    w = max(1, ready - start + (0 if ready > start else 1)) * CYCLE_W - 2
    y = y0 + row * ROW_H
    cls = "mem" if op.info.is_memory else "bar"
    tip = escape(f"{_label(op)}: start {start}, ready {ready}{extra}")
    return (f"<text x='4' y='{y + 12}'>{escape(_label(op)[:26])}</text>"
            f"<rect class='{cls}' x='{x + 1}' y='{y + 2}' width='{w}' height='{ROW_H - 4}' "
            f"data-tip='{tip}'/>")


def _block_chart(ctl, blocks) -> str:
    """FSM states on the x axis (block after block, as the FSM enters them in program
    order), one row per operation that does work."""
    body, row, offset, y0 = [], 0, 0, 28
    bands = []
    for b in blocks:
        sch = b.schedule
        ops = [op for op in b.block.ops if op.operands and op in sch.start]
        for op in ops:
            if row < MAX_ROWS:
                body.append(_bar(row, offset + sch.start[op], offset + sch.ready[op], op, y0,
                                 f" (block b{b.number}, states s{b.states[0]}..s{b.states[-1]})"))
            row += 1
        bands.append((offset, sch.length, b))
        offset += sch.length
    rows = min(row, MAX_ROWS)
    height = y0 + rows * ROW_H + 20
    head = []
    for off, length, b in bands:
        head.append(f"<rect class='stage' x='{LABEL_W + off * CYCLE_W}' y='{y0}' "
                    f"width='{length * CYCLE_W}' height='{rows * ROW_H}' "
                    f"opacity='{0.5 + 0.5 * (b.number % 2)}'/>")
    more = (f"<text x='4' y='{height - 4}'>... {row - MAX_ROWS} more operations</text>"
            if row > MAX_ROWS else "")
    svg = _svg(LABEL_W + offset * CYCLE_W + 10, height,
               "".join(head + _axis(offset, y0, y0 + rows * ROW_H) + body) + more,
               f"FSM states of {ctl.function}")
    return (f"<p>FSM block states of {escape(ctl.function)} (x: state, alternating bands: "
            f"blocks in program order)</p>{svg}")


def _pipeline_chart(index, sch) -> str:
    """One iteration's positions (x), stages of II cycles shaded, one row per operation."""
    ops = [op for op in sch.block.ops if op.operands and op in sch.start]
    y0 = 28
    rows = min(len(ops), MAX_ROWS)
    body = []
    for s in range(0, sch.depth, sch.ii):
        if (s // sch.ii) % 2 == 0:
            body.append(f"<rect class='stage' x='{LABEL_W + s * CYCLE_W}' y='{y0}' "
                        f"width='{min(sch.ii, sch.depth - s) * CYCLE_W}' "
                        f"height='{rows * ROW_H}'/>")
    body += _axis(sch.depth, y0, y0 + rows * ROW_H)
    for row, op in enumerate(ops[:MAX_ROWS]):
        slot = f", slot {sch.start[op] % sch.ii}" if op.info.is_memory else ""
        body.append(_bar(row, sch.start[op], sch.ready[op], op, y0,
                         f", stage {sch.start[op] // sch.ii}{slot}"))
    height = y0 + rows * ROW_H + 20
    name = sch.loops[-1].name
    title = (f"pipeline {name} (state s{index}): II {sch.ii} (requested {sch.requested_ii}), "
             f"depth {sch.depth}, stages of II cycles shaded")
    return (f"<p>{escape(title)}; limit: {escape(sch.limit)}</p>"
            + _svg(LABEL_W + sch.depth * CYCLE_W + 10, height, "".join(body), title))


def _stall_chart(waits) -> str:
    """Call wait states: the FSM stalls there until the callee's done."""
    y0, body = 10, []
    for row, st in enumerate(waits):
        y = y0 + row * ROW_H
        body.append(f"<text x='4' y='{y + 12}'>s{st.index} {escape(st.name)}</text>"
                    f"<rect class='stall' x='{LABEL_W}' y='{y + 2}' width='{6 * CYCLE_W}' "
                    f"height='{ROW_H - 4}' data-tip='{escape(st.format())}'/>"
                    f"<text x='{LABEL_W + 6 * CYCLE_W + 6}' y='{y + 12}'>stall until "
                    f"{escape(st.callee)} done</text>")
    return "<p>stalls</p>" + _svg(LABEL_W + 12 * CYCLE_W, y0 + len(waits) * ROW_H + 8,
                                  "".join(body), "stall states")


def _board(board) -> str:
    u = board["utilization"]
    rows = [("board", board["board"]), ("device", board["device"]),
            ("Fmax (MHz)", board["fmax_mhz"]), ("clock (MHz)", board["clock_mhz"]),
            ("timing met", "yes" if board["timing_met"] else "NO"),
            ("LUT", u["lut"]), ("FF", u["ff"]), ("BRAM", u["bram"]), ("DSP", u["dsp"])]
    return "<h2 id='board'>Board build</h2>" + _table(["", "value"], rows, "board")
