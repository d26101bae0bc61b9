"""What ``s.build(...)`` accepts, checked before any stage runs: a misspelt option or a value
of the wrong kind is an AlloError naming the option (the build call's line is added by
``Schedule.build``), never a TypeError or ValueError from deep inside a stage."""
from __future__ import annotations

import numbers
import os

from .errors import AlloError
from .hls.auto_pipeline import check_pipeline_loops

FAMILIES = ("generic", "ice40", "ecp5")     # hls/timing.py's timing data
SIMULATION_OPTIONS = ("max_cycles", "stall_source", "fifo_depth", "pipeline_loops")
BOARD_OPTIONS = ("board", "clock_mhz", "mode", "baud", "bist_inputs", "bist_seed", "pnr_seed",
                 "progress", "pipeline_loops")


def _positive_number(name, value, integer=False):
    kind = numbers.Integral if integer else numbers.Real
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)
                              or not value > 0):
        raise AlloError(f"{name} must be a positive {'integer' if integer else 'number'}, "
                        f"not {value!r}")


def _path(name, value, allow_bool=False):
    if value is None or (allow_bool and isinstance(value, bool)):
        return
    if not isinstance(value, (str, os.PathLike)):
        raise AlloError(f"{name} must be a path (str or pathlib.Path), not "
                        f"{type(value).__name__} {value!r}")


def check_build_options(target, project, family, clock_ns, dump, options: dict):
    """Refuse what no target accepts; ``target`` itself is checked by the driver."""
    if family not in FAMILIES:
        raise AlloError(f"unknown target family {family!r}", hint=f"families: "
                        f"{', '.join(FAMILIES)} (target='board' takes the board's own)")
    _positive_number("clock_ns", clock_ns)
    _path("project", project)
    _path("dump", dump, allow_bool=True)
    if target in ("python", "llvm"):
        allowed = ()
    elif target == "board":
        allowed = BOARD_OPTIONS + ("stall_source",)     # refused with its reason later
    else:
        allowed = SIMULATION_OPTIONS
    unknown = [k for k in options if k not in allowed]
    if unknown:
        raise AlloError(f"build(target={target!r}) has no option {unknown[0]!r}",
                        hint=f"its options: {', '.join(allowed) or 'none'}")
    _positive_number("max_cycles", options.get("max_cycles"), integer=True)
    stall = options.get("stall_source", False)
    if not isinstance(stall, numbers.Integral) or (not isinstance(stall, bool) and
                                                     not 0 < stall < 1 << 16):
        raise AlloError(f"stall_source must be True/False or a 16-bit LFSR seed (1..65535), "
                        f"not {stall!r}")
    _positive_number("clock_mhz", options.get("clock_mhz"))
    check_pipeline_loops(options.get("pipeline_loops"))
