"""The Schedule object ``allo.customize`` returns: the parsed kernel plus (later) its
hardware customizations, and ``build`` for every target."""
from __future__ import annotations

from contextlib import contextmanager

from ..errors import AlloError
from ..frontend import parse_module
from ..ir import nodes as ir
from ..ir.printer import format_module
from ..ir.verifier import verify_module
from . import loops as loop_primitives
from .handles import LoopNests, bands_kept, call_site, resolve


@contextmanager
def _primitive(schedule, name, args):
    """Record the primitive; errors without a kernel line point at the user's call."""
    loc = call_site()
    try:
        with bands_kept(schedule.module):
            yield
    except AlloError as e:
        if e.loc is None or getattr(e.loc, "line", 0) <= 0:
            e.loc = loc
            e.args = (e.render(),)
        raise e.with_traceback(None) from None
    verify_module(schedule.module)
    schedule.primitives.append((name, args, loc))

PYTHON_TARGETS = ("python", "llvm")


class Schedule:
    def __init__(self, module: ir.Module):
        self.module = module
        self.primitives: list = []       # (name, args, location) in the order applied

    @property
    def top(self) -> ir.Function:
        return self.module.top_func

    def __str__(self):
        return format_module(self.module)

    def __getattr__(self, name):
        # s.A names the top function's buffer A (Allo's handle style), e.g. s.partition(s.A)
        if name.startswith("_") or name in ("module", "primitives", "top"):
            raise AttributeError(name)
        for sym in self.module.top_func.symbols():
            if isinstance(sym, ir.Buffer) and sym.name == name:
                return sym
        raise AttributeError(f"kernel {self.module.top} has no array named {name!r}")

    def get_loops(self, fn: str | None = None) -> LoopNests:
        """The loop bands of a function (default: the top), as Allo: ``loops.S_i_0.j``."""
        if fn is not None and fn not in self.module.functions:
            raise AlloError(f"no kernel named {fn!r}", call_site(),
                            hint=f"kernels: {', '.join(self.module.functions)}")
        return LoopNests(self.module.functions[fn] if fn else self.top)

    # --- loop primitives (Allo's names and arguments) -----------------------------------
    def _loop(self, axis):
        return resolve(self.module, axis, self.module.top)

    def split(self, axis, factor):
        with _primitive(self, "split", (str(axis), factor)):
            f, name = self._loop(axis)
            outer, inner = loop_primitives.split(f, name, factor)
        return _SplitHandles(f.name, outer, inner)

    def reorder(self, *args):
        with _primitive(self, "reorder", tuple(map(str, args))):
            fns = {self._loop(a)[0].name for a in args}
            if len(fns) != 1:
                raise AlloError("reorder: all loops must belong to one kernel")
            f = self._loop(args[0])[0]
            loop_primitives.reorder(f, [self._loop(a)[1] for a in args])

    def fuse(self, *args):
        with _primitive(self, "fuse", tuple(map(str, args))):
            f = self._loop(args[0])[0]
            name = loop_primitives.fuse(f, [self._loop(a)[1] for a in args])
        from .handles import LoopHandle
        return LoopHandle(f.name, name)

    def unroll(self, axis, factor=0):
        with _primitive(self, "unroll", (str(axis), factor)):
            f, name = self._loop(axis)
            loop_primitives.unroll(f, name, factor)

    def pipeline(self, axis, initiation_interval=1, rewind=False):
        with _primitive(self, "pipeline", (str(axis), initiation_interval)):
            f, name = self._loop(axis)
            loop_primitives.pipeline(f, name, initiation_interval)

    def parallel(self, axis):
        with _primitive(self, "parallel", (str(axis),)):
            f, name = self._loop(axis)
            loop_primitives.parallel(f, name)

    def build(self, target: str | None = None, project=None, family: str = "generic",
              clock_ns: float | None = None, **options):
        """Build the kernel.

        * ``None``/"amaranth" (default): hardware simulated cycle-accurately by Amaranth.
        * "python" / "llvm": the bit-accurate reference interpreter.
        * "verilog": writes ``project/<kernel>.v`` and a JSON report, returns the module.
        * "icarus" / "verilator": the same hardware, simulated by cocotb on that simulator.
        * "board": a bitstream for ``board=NAME`` in ``project=DIR`` (``mode="uart"`` host
          link or ``"bist"``); ``mod.board_report`` and ``mod.report()`` carry Fmax and
          utilization. Talk to the board with ``allo_rtl.boards.Device(port, s)``.
        """
        if target in PYTHON_TARGETS:
            from ..sim.reference import ReferenceModule
            return ReferenceModule(self.module)
        if target in (None, "amaranth", "verilog", "icarus", "verilator"):
            from ..rtl.build import HardwareDesign
            from ..sim.hw_module import HardwareModule
            simulator = target if target in ("icarus", "verilator") else "amaranth"
            mod = HardwareModule(HardwareDesign(self.module, family, clock_ns),
                                 simulator=simulator, **options)
            if target == "verilog":
                if project is None:
                    raise AlloError("target='verilog' needs project=DIR to write into",
                                    hint="s.build(target='verilog', project='out/')")
                mod.design.write_project(project)
            return mod
        if target == "board":
            return self._build_board(project, family, clock_ns, **options)
        raise AlloError(f"unknown build target {target!r}",
                        hint="targets: None (Amaranth simulation), 'icarus', 'verilator', "
                             "'verilog', 'board', 'python', 'llvm'")

    def _build_board(self, project, family, clock_ns, board=None, clock_mhz=None,
                     mode="uart", **options):
        from ..boards.build import build_bitstream
        from ..boards.registry import get_board
        from ..rtl.build import HardwareDesign
        from ..sim.hw_module import HardwareModule
        if board is None or project is None:
            raise AlloError("target='board' needs board=NAME and project=DIR",
                            hint="s.build(target='board', board='icebreaker', project='build/ice')")
        info = get_board(board)
        clock_ns = clock_ns or (1000.0 / clock_mhz if clock_mhz else None)
        design = HardwareDesign(self.module, info.family, clock_ns)
        mod = HardwareModule(design)
        mod.board_report = build_bitstream(design, board, project, mode=mode,
                                           clock_mhz=clock_mhz, **options)
        return mod


class _SplitHandles:
    """What ``split`` returns: ``.outer`` and ``.inner`` loop handles."""

    def __init__(self, func, outer, inner):
        from .handles import LoopHandle
        self.outer, self.inner = LoopHandle(func, outer), LoopHandle(func, inner)

    def __iter__(self):
        return iter((self.outer, self.inner))


def customize(fn, instantiate=None, verbose: bool = False, **_ignored) -> Schedule:
    """Parse and type-check ``fn`` (and the kernels it calls) into a Schedule."""
    s = Schedule(parse_module(fn, instantiate))
    if verbose:
        print(s)
    return s
