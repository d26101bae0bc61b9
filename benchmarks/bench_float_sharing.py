"""Float units of the float32 PolyBench MINI kernels with every innermost loop pipelined:
the units each kernel has (counted in its Verilog), its cycles (cycle model, checked against
numpy float32 in the source's order) and, with ``--synth``, Yosys ``synth_ecp5`` cell counts
(LUT4, TRELLIS_FF, MULT18X18D, CCU2C) of the whole kernel. Run it on two trees to compare
(the allo_rtl imported is the one on PYTHONPATH; the kernels come from ``--tests``):

    python benchmarks/bench_float_sharing.py [--kernels jacobi-2d,heat-3d] [--synth]
    PYTHONPATH=OTHER python benchmarks/bench_float_sharing.py --tests OTHER/tests ...

Synthesis only (no place and route, no Fmax): minutes for the larger kernels.
"""
import argparse
import re
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

CELLS = ("LUT4", "TRELLIS_FF", "MULT18X18D", "CCU2C")


def unit_instances(verilog: str) -> dict:
    found = re.findall(r"^\s*\\\S+\.(fadd|fmul|fdiv|fsqrt)\d+\s+\S+\s*\(", verilog, re.M)
    return {c: found.count(c) for c in sorted(set(found))}


def synth_ecp5(verilog: str, top: str) -> dict:
    from allo_rtl.tools.characterize import _tool
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "top.v").write_text(verilog)
        subprocess.run([_tool("YOSYS"), "-q", "-p", f"read_verilog top.v; synth_ecp5 -top "
                        f"{top}; tee -q -o stat.txt stat"], cwd=d, check=True,
                       capture_output=True)
        stat = (Path(d) / "stat.txt").read_text()
    out = {}
    for cell in CELLS:
        m = re.search(rf"^\s*(\d+)\s+\S*\s*{cell}\s*$|^\s*{cell}\s+(\d+)\s*$", stat, re.M)
        out[cell] = int(m.group(1) or m.group(2)) if m else 0
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernels", help="comma-separated names (default: all)")
    ap.add_argument("--synth", action="store_true", help="also run Yosys synth_ecp5")
    ap.add_argument("--tests", default=str(Path(__file__).resolve().parent.parent / "tests"))
    args = ap.parse_args(argv)
    sys.path.insert(0, args.tests)
    import allo_rtl as allo
    import float_polybench as fp
    from kernels import copy_args, pipeline_innermost
    names = args.kernels.split(",") if args.kernels else [c.name for c in fp.CASES]
    print(f"allo_rtl from {Path(allo.__file__).parent}")
    print("| kernel | units | pipelined loops (II, depth) | cycles |"
          + (" units in the Verilog | " + " | ".join(CELLS) + " |" if args.synth else ""))
    for name in names:
        case = fp.BY_NAME[name]
        s = allo.customize(case.kernel)
        pipeline_innermost(s)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mod = s.build(target="cycles")
            verilog = s.build().verilog if args.synth else None
        inputs = case.make_inputs(np.random.default_rng(11))
        got, ref = copy_args(inputs), copy_args(inputs)
        mod(*got)
        case.reference(ref)
        for k in case.written:
            assert np.array_equal(got[k].view(np.uint32), ref[k].view(np.uint32)), name
        rep = mod.report().to_dict()["functions"]
        units = {}
        for f in rep:
            for k, v in f["functional_units"].items():
                if k.startswith(("fadd", "fmul", "fdiv", "fsqrt")):
                    units[k] = units.get(k, 0) + v
        loops = ", ".join(f"{r['name']} ({r['ii']}, {r['depth']})" for f in rep
                          for r in f["loops"] if r["pipelined"])
        row = f"| {name} | {units} | {loops} | {mod.cycles} |"
        if args.synth:
            cells = synth_ecp5(verilog, case.kernel.__name__)
            row += f" {unit_instances(verilog)} | " + " | ".join(str(cells[c]) for c in CELLS) \
                + " |"
        print(row, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
