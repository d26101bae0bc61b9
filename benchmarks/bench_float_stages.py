"""Fmax of each float32 unit at every stage count worth having, on ECP5 and iCE40 (YoWASP
Yosys + nextpnr, the harness of ``bench_float_units.py``): the data the timing model picks a
unit's stage count from for the clock a build asks for (``hls/timing.py``: the fewest stages
whose measured Fmax clears the clock with a margin for placement seeds).

    python benchmarks/bench_float_stages.py [--families ecp5,ice40] [--units fadd,fmul,...]
        [--seeds 1] [--write-timing]

``--write-timing`` stores ``fmax_by_stages`` ({stages: MHz}) per unit and family in
``allo_rtl/hls/timing_data/float_units.json``; the rows also go to
``benchmarks/results/float_stages.json``. One build takes 15-40 s (about 40 per family).
The build directory must not be under /tmp (YoWASP tools cannot see it).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from allo_rtl.hls.timing import DATA_DIR
from bench_float_units import UNITS, dump_timing, measure

RESULTS = Path(__file__).parent / "results" / "float_stages.json"


def stage_counts(unit: str, family: str, options: dict) -> list:
    """The counts swept: every one up to the unit's cut points; the iterative units (any
    count) at steps of two up to a little past the model's."""
    probe = UNITS[unit][1](0, **options)
    top = probe.max_stages
    if top > 32:                                   # fdiv, fsqrt: steps split finer and finer
        model = json.loads((DATA_DIR / "float_units.json").read_text())
        deepest = model["families"][family][unit]["stages"] + 4
        return list(range(4, deepest + 1, 2))
    return list(range(1, top + 1))


def write_timing(rows: list):
    path = DATA_DIR / "float_units.json"
    data = json.loads(path.read_text())
    for r in rows:
        entry = data["families"][r["family"]][r["unit"]]
        table = entry.setdefault("fmax_by_stages", {})
        table[str(r["stages"])] = r["fmax_mhz"]
        entry["fmax_by_stages"] = {k: table[k] for k in sorted(table, key=int)}
    dump_timing(data, path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", default="ecp5,ice40")
    ap.add_argument("--units", default="fadd,fmul,itof,ftoi,ftof,fdiv,fsqrt")
    ap.add_argument("--out", type=Path, default=Path("build/bench_float_stages"))
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--write-timing", action="store_true")
    args = ap.parse_args(argv)
    model = json.loads((DATA_DIR / "float_units.json").read_text())["families"]
    rows = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    for family in args.families.split(","):
        for unit in args.units.split(","):
            options = {k: v for k, v in model[family][unit].get("options", {}).items() if v}
            for stages in stage_counts(unit, family, options):
                r = measure(family, unit, stages, args.out.resolve(), args.seeds, 1, options)
                rows = [x for x in rows if (x["family"], x["unit"], x["stages"]) !=
                        (family, unit, stages)] + [r]
                print(f"{family:6} {unit:6} stages {stages:2}: {r['fmax_mhz']:7.2f} MHz "
                      f"{r['lut']} LUT {r['ff']} FF {r['dsp']} DSP", flush=True)
                RESULTS.write_text(json.dumps(rows, indent=1) + "\n")
    if args.write_timing:
        write_timing(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
