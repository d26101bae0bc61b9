"""What the QoR suite writes: the markdown table, the plots (matplotlib PNG and SVG) and the
list of regressions against the last committed results (benchmarks/suite.py runs them)."""
from __future__ import annotations

import re

from pathlib import Path


def _ratio(x, y, fmt="{:.2f}"):
    return fmt.format(x / y) if x and y else ""


def _ii(r):
    return " ".join(f"{x['loop']}:{x['ii']}" for x in r.get("loops", [])) or "-"


def _res(r):
    res = r.get("resources")
    return f"{res['dsp']}/{res['lut']}" if res else ""


def polybench_table(results) -> list:
    rows = {(r["kernel"], r["schedule"]): r for r in results["rows"]
            if r["suite"] == "polybench"}
    kernels = list(dict.fromkeys(k for k, _ in rows))
    out = ["| kernel | (a) cycles | (b) cycles | II (b) | bound | (b)/bound | Vivado HLS | "
           "Vivado/(a) | Vivado/(b) | Calyx | Calyx/(b) | DSP/LUT est. (a) | DSP/LUT est. (b) | "
           "compile s (a/b) | ok |",
           "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for k in kernels:
        if (k, "-") in rows:
            out.append(f"| {k} | unsupported: {rows[k, '-']['unsupported']} |" + " |" * 13)
            continue
        a, b = rows.get((k, "a")), rows.get((k, "b"))
        if a is None or b is None:
            continue
        v, c = a["vivado"], a["calyx"]
        out.append(
            f"| {k} | {a['cycles']} | {b['cycles']} | {_ii(b)} | {b['bound'] or 'n/a'} | "
            f"{_ratio(b['cycles'], b['bound'])} | {v or ''} | {_ratio(v, a['cycles'])} | "
            f"{_ratio(v, b['cycles'])} | {c or ''} | {_ratio(c, b['cycles'])} | "
            f"{_res(a)} | {_res(b)} | {a['compile_s']:.2f}/{b['compile_s']:.2f} | "
            f"{'ok' if a['ok'] and b['ok'] else 'WRONG'} |")
    s = results["summary"]
    fmt = lambda x: f"{x:.2f}x" if x else "n/a"     # noqa: E731
    out.append(f"| **geomean** | | | | | {fmt(s['geomean_b_over_bound'])} | | "
               f"{fmt(s['geomean_vivado_over_a'])} | {fmt(s['geomean_vivado_over_b'])} | | "
               f"{fmt(s['geomean_calyx_over_b'])} | | | | |")
    return out


def _why(reason: str) -> str:
    """A failed build's reason in the table: the tool's exit status says only that place and
    route gave up (on the UP5K: out of DSP or logic cells, the log names which)."""
    if "build_top.sh" in reason:
        return "place and route failed (nextpnr found no room; log in build/suite/)"
    # an AlloError's "file:line:col: error: " names the kernel's file on the machine that ran
    return re.sub(r"^(\S+:\d+:\d+: )?error: ", "", reason)


def board_table(results) -> list:
    """Fmax and resources per design and board (from board builds, --boards)."""
    rows = [r for r in results["rows"] if r.get("board")]
    if not rows:
        return []
    out = ["", "| kernel | schedule | board | Fmax MHz | LUT | FF | BRAM | DSP |",
           "|---|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        for b in r["board"].values():
            if b.get("fits") is False:
                out.append(f"| {r['kernel']} | {r['schedule']} | {b['board']} | "
                           f"does not fit: {_why(b['reason'])} | | | | |")
                continue
            if b.get("fits") is None and "reason" in b:
                out.append(f"| {r['kernel']} | {r['schedule']} | {b['board']} | "
                           f"{b['reason']} | | | | |")
                continue
            out.append(f"| {r['kernel']} | {r['schedule']} | {b['board']} | {b['fmax_mhz']} | "
                       f"{b['lut']} | {b['ff']} | {b['bram']} | {b['dsp']} |")
    return out


def machsuite_table(results) -> list:
    rows = [r for r in results["rows"] if r["suite"] == "machsuite"]
    if not rows:
        return []
    out = ["", "| MachSuite kernel | cycles | from | check data | compile s | note |",
           "|---|---:|---|---|---:|---|"]
    for r in rows:
        out.append(f"| {r['kernel']} | {r['cycles']} | {r.get('source', 'cycle model')} | "
                   f"{'matches' if r['ok'] else 'DIFFERS: ' + str(r['problem'])} | "
                   f"{r['compile_s']:.2f} | {r['note']} |")
    return out


def float_table(results) -> list:
    """float32 PolyBench (MINI): (a) and (b) cycles, (b)'s IIs, the check against numpy."""
    rows = {(r["kernel"], r["schedule"]): r for r in results["rows"]
            if r["suite"] == "polybench_f32"}
    if not rows:
        return []
    out = ["", "float32 PolyBench, MINI size: (b) pipelines every innermost loop at II 1 "
           "(benchmarks/suite.py float_schedule); cycles from the fast cycle model; results "
           "bit for bit against numpy float32 in the source's order.", "",
           "| kernel (float32) | (a) cycles | (b) cycles | (a)/(b) | II (b) | "
           "DSP/LUT est. (a) | DSP/LUT est. (b) | compile s (a/b) | numpy |",
           "|---|---:|---:|---:|---|---:|---:|---:|---|"]
    for k in dict.fromkeys(k for k, _ in rows):
        a, b = rows.get((k, "a")), rows.get((k, "b"))
        if a is None or b is None:
            continue
        out.append(f"| {k} | {a['cycles']} | {b['cycles']} | {_ratio(a['cycles'], b['cycles'])}"
                   f" | {_ii(b)} | {_res(a)} | {_res(b)} | "
                   f"{a['compile_s']:.2f}/{b['compile_s']:.2f} | "
                   f"{'bit-exact' if a['ok'] and b['ok'] else 'DIFFERS'} |")
    return out


def write_markdown(results, path: Path) -> str:
    m = results["machine"]
    lines = [f"# QoR suite results", "",
             f"commit `{results['commit']}`, {results['date']}, {m['node']} ({m['machine']}, "
             f"{m['cpus']} CPUs, Python {m['python']}), {results['seconds']} s"
             f"{', cycle model only' if results['options']['fast'] else ''}", "",
             "(a) no user schedule, (b) the schedule in benchmarks/polybench_int.py; bound: "
             "the memory-port lower bound of (b)'s pipelined loops (benchmarks/README.md); "
             "Vivado HLS 2019.2 and Calyx: published cycles (calyx-evaluation); a ratio > 1 "
             "means fewer cycles here. DSP/LUT est.: allo_rtl.dse.resources' estimate from the "
             "report (a model, not a board build; --boards gives real numbers).", "",
             *polybench_table(results), *board_table(results), *float_table(results),
             *machsuite_table(results),
             "", "## Goals missed", ""]
    lines += [f"- {x}" for x in results["summary"]["misses"]] or ["- none"]
    lines += ["", "## Regressions against the last committed results", ""]
    lines += [f"- {x}" for x in results.get("regressions", [])] or ["- none"]
    text = "\n".join(lines) + "\n"
    path.write_text(text)
    return text


def compare(previous, current) -> list:
    """Regressions of ``current`` against ``previous``: more cycles, a result that became
    wrong, or a compile time that more than doubled (and grew by over half a second)."""
    old = {(r["suite"], r["kernel"], r["schedule"]): r for r in previous.get("rows", [])
           if "cycles" in r}
    out = []
    for r in current["rows"]:
        key = (r["suite"], r["kernel"], r["schedule"])
        p = old.get(key)
        if p is None or "cycles" not in r:
            continue
        name = f"{r['kernel']} ({r['schedule']})"
        if r["cycles"] > p["cycles"]:
            out.append(f"{name}: {p['cycles']} -> {r['cycles']} cycles")
        if p["ok"] and not r["ok"]:
            out.append(f"{name}: was correct, now wrong")
        if r["compile_s"] > 2 * p["compile_s"] and r["compile_s"] - p["compile_s"] > 0.5:
            out.append(f"{name}: compile {p['compile_s']} -> {r['compile_s']} s")
    return out


def write_plots(results, folder: Path):
    """cycles.png/.svg: (a), (b), Vivado HLS and Calyx cycles per PolyBench kernel (log)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = {(r["kernel"], r["schedule"]): r for r in results["rows"]
            if r["suite"] == "polybench" and "cycles" in r}
    names = list(dict.fromkeys(k for k, _ in rows))
    series = [("(a) no schedule", [rows[k, "a"]["cycles"] for k in names]),
              ("(b) schedule", [rows[k, "b"]["cycles"] for k in names]),
              ("Vivado HLS 2019.2", [rows[k, "a"]["vivado"] or 0 for k in names]),
              ("Calyx", [rows[k, "a"]["calyx"] or 0 for k in names])]
    fig, ax = plt.subplots(figsize=(max(6, 0.8 * len(names)), 4))
    width = 0.2
    for i, (label, ys) in enumerate(series):
        xs = [j + (i - 1.5) * width for j in range(len(names))]
        ax.bar(xs, [y if y else float("nan") for y in ys], width, label=label)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yscale("log")
    ax.set_ylabel("cycles (log)")
    ax.set_title(f"PolyBench int32, N=8 (commit {results['commit'][:10]})")
    ax.legend(fontsize=8)
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(folder / f"cycles.{ext}")
    plt.close(fig)
