"""The build driver: a scheduled module -> the object ``s.build(...)`` returns, per target.

It sits above every backend stage (hls -> rtl -> sim/boards) and is the only place that knows
all of them; ``Schedule.build`` hands it the module through ``register_build_driver`` so the
schedule layer imports nothing above itself. Stages are imported when a target needs them,
so ``import allo_rtl`` stays light.

Targets: None/"amaranth" (Amaranth simulation), "icarus"/"verilator" (cocotb), "verilog"
(writes a project), "board" (bitstream), "python"/"llvm" (the reference interpreter),
"cycles" (the interpreter with the fast cycle model's exact RTL cycle count).
"""
from __future__ import annotations

from pathlib import Path

from .build_options import check_build_options
from .errors import AlloError
from .ir.bounds import check_static_bounds
from .ir.width_limits import refuse_too_wide

PYTHON_TARGETS = ("python", "llvm")
HARDWARE_TARGETS = (None, "amaranth", "verilog", "icarus", "verilator")
# Allo's vendor/HLS C++ flows: named in the refusal so a user knows it is not a typo
ALLO_HLS_TARGETS = ("vhls", "vivado_hls", "vitis_hls", "ihls", "intel_hls", "tapa", "catapult",
                    "xls", "xlscc", "pynq", "aie")
ALL_TARGETS = "None (Amaranth simulation), 'icarus', 'verilator', 'verilog', 'board', " \
              "'python', 'llvm', 'cycles'"


def build(module, target=None, project=None, family: str = "generic",
          clock_ns: float | None = None, dump=None, **options):
    """Build ``module`` (an ``ir.Module`` after its schedule) for ``target``; see
    ``Schedule.build`` for the options users pass."""
    if target is not None and not isinstance(target, str):
        raise AlloError(f"unknown build target {target!r}", hint=f"targets: {ALL_TARGETS}")
    check_build_options(target, project, family, clock_ns, dump, options)
    check_static_bounds(module)        # an access that certainly leaves its array
    from .sim.kpn import KPNModule, uses_streams
    if target in PYTHON_TARGETS:
        if uses_streams(module):        # streams/regions: the Kahn-process-network interpreter
            return KPNModule(module)
        from .sim.reference import ReferenceModule
        return ReferenceModule(module)
    if target in HARDWARE_TARGETS or target in ("board", "cycles"):
        module = _hardware_streams(module)
    from .ir.regions import has_regions, has_stream_ops, sequential_regions
    if has_regions(module) and not has_stream_ops(module):
        module = sequential_regions(module)     # no stage can wait: stages run in turn
    if target in HARDWARE_TARGETS or target in ("board", "cycles"):
        refuse_too_wide(module)         # integers wider than 512 bits: interpreter only
    if target in HARDWARE_TARGETS:
        mod = _simulated(module, target, project, family, clock_ns, **options)
    elif target == "cycles":
        mod = _cycles(module, family, clock_ns, **options)
    elif target == "board":
        mod = _board(module, project, family, clock_ns, **options)
    elif target in ALLO_HLS_TARGETS:
        raise AlloError(f"target {target!r} is one of Allo's HLS C++ backends, which allo-rtl "
                        "does not have (out of scope): allo-rtl makes the hardware itself",
                        hint="s.build() simulates it; s.build(target='verilog', project=DIR) "
                             "writes its Verilog; target='icarus'/'verilator'/'board' also work")
    else:
        raise AlloError(f"unknown build target {target!r}", hint=f"targets: {ALL_TARGETS}")
    if dump:
        _write_dump(mod.design.dump(), dump)
    return mod


def _hardware_streams(module):
    """The schedule's stream records built for hardware, each pass on a copy: s.to arrays
    become FIFOs between stages, s.dataflow loops stages over ping-pong buffers, streams of
    blocks FIFOs of their words."""
    from .ir.block_streams import has_block_streams, word_streams
    from .ir.pingpong import has_dataflow_loops, pingpong_loops
    from .ir.stream_to import has_stream_to, streams_from_to
    if has_stream_to(module):
        module = streams_from_to(module)        # s.to(B, dst): B a FIFO between two stages
    if has_dataflow_loops(module):
        module = pingpong_loops(module)         # s.dataflow(loop): stages over double buffers
    if has_block_streams(module):
        module = word_streams(module)           # a stream of blocks: a FIFO of its words
    return module


def _write_dump(text: str, dump):
    if dump is True:
        print(text)
    else:
        Path(dump).write_text(text + "\n")


def _simulated(module, target, project, family, clock_ns, **options):
    from .rtl.build import HardwareDesign
    from .sim.hw_module import HardwareModule
    simulator = target if target in ("icarus", "verilator") else "amaranth"
    if target == "verilog" and project is None:
        raise AlloError("target='verilog' needs project=DIR to write into",
                        hint="s.build(target='verilog', project='out/')")
    stall_source = options.pop("stall_source", False)
    from .ir.fifo_depths import check_mode, with_deep_fifos
    depth_mode = options.pop("fifo_depth", None)
    check_mode(depth_mode)
    if depth_mode == "auto":            # deep FIFOs; the report says what each one needs
        module = with_deep_fifos(module)
    elif depth_mode == "static":        # depths from the schedules (sim.static_depths)
        from .sim.static_depths import static_depths
        module, _depths, _methods = static_depths(module, family, clock_ns)
    pipeline_loops = options.pop("pipeline_loops", None)
    mod = HardwareModule(HardwareDesign(module, family, clock_ns, stall_source,
                                        depth_mode or "declared",
                                        pipeline_loops=pipeline_loops),
                         simulator=simulator, **options)
    if target == "verilog":
        mod.design.write_project(project)
    return mod


def _cycles(module, family, clock_ns, stall_source=False, max_cycles=None,
            fifo_depth=None, pipeline_loops=None):
    """The fast cycle model (``sim.cycle_module``): interpreter results, exact RTL cycles."""
    from .rtl.build import HardwareDesign
    from .sim.cycle_module import CycleModule
    if fifo_depth is not None:
        raise AlloError("target='cycles' takes the FIFO depths the schedule declares",
                        hint="size FIFOs with a simulation target: s.build(fifo_depth=...)")
    return CycleModule(HardwareDesign(module, family, clock_ns, stall_source,
                                      pipeline_loops=pipeline_loops))


def _board(module, project, family, clock_ns, board=None, clock_mhz=None, mode="uart",
           **options):
    from .boards.build import build_bitstream
    from .boards.registry import get_board
    from .rtl.build import HardwareDesign
    from .sim.hw_module import HardwareModule
    if options.pop("stall_source", False):
        raise AlloError("stall_source is a simulation test hook; a board has nothing to "
                        "drive the stall input",
                        hint="use it with the simulation targets: s.build(stall_source=True)")
    if board is None or project is None:
        raise AlloError("target='board' needs board=NAME and project=DIR",
                        hint="s.build(target='board', board='icebreaker', project='build/ice')")
    info = get_board(board)
    clock_ns = clock_ns or (1000.0 / clock_mhz if clock_mhz else None)
    design = HardwareDesign(module, info.family, clock_ns, spram_blocks=info.spram_blocks,
                            pipeline_loops=options.pop("pipeline_loops", None))
    mod = HardwareModule(design)
    mod.board_report = build_bitstream(design, board, project, mode=mode,
                                       clock_mhz=clock_mhz, **options)
    return mod
