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
from .buffer_at import buffer_at as buffer_at_primitive
from .compute_at import compute_at as compute_at_primitive
from .handles import LoopNests, bands_kept, call_site, resolve
from .inline import inline as inline_primitive
from .partition import Partition, find_buffer
from .partition import partition as partition_primitive
from .reshape import reshape as reshape_primitive
from .reuse_at import reuse_at as reuse_at_primitive
from .unfold import unfold as unfold_primitive


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

    def compute_at(self, from_loop, target_loop):
        """Move the producer nest's body at ``from_loop`` into the consumer's ``target_loop``."""
        with _primitive(self, "compute_at", (str(from_loop), str(target_loop))):
            f, src = self._loop(from_loop)
            g, dst = self._loop(target_loop)
            if f is not g:
                raise AlloError("compute_at: both loops must belong to one kernel")
            compute_at_primitive(f, src, dst)

    def inline(self, axis=None):
        """Replace every call of kernel ``axis`` by its body (Allo's ``inline``)."""
        with _primitive(self, "inline", (axis,)):
            inline_primitive(self.module, axis)

    def unfold(self, band_name, axes):
        """Unroll the band's spatial loops ``axes`` into processing elements; returns the
        names of the PE kernels made (one per PE for each kernel called in the band)."""
        with _primitive(self, "unfold", (str(band_name), tuple(axes) if not isinstance(
                axes, int) else (axes,))):
            fn, _, band = str(band_name).rpartition(":")
            f = self.module.functions.get(fn or self.module.top)
            if f is None:
                raise AlloError(f"no kernel named {fn!r}")
            return unfold_primitive(self.module, f, band, axes)

    # --- memory primitives ------------------------------------------------------------
    def partition(self, target, partition_type=Partition.Complete, dim=0, factor=0):
        """Split an array into banks (Allo's arguments; dim is 1-based, 0 = every dim)."""
        name = target.name if isinstance(target, ir.Buffer) else str(target)
        with _primitive(self, "partition", (name, partition_type, dim, factor)):
            partition_primitive(self.module, target, partition_type, dim, factor)

    def _buffer_and_loop(self, primitive, target, axis):
        f, buf = find_buffer(self.module, target)
        g, loop = resolve(self.module, axis, f.name)
        if g is not f:
            raise AlloError(f"{primitive}: {buf.name} belongs to {f.name}, loop {loop!r} to "
                            f"{g.name}")
        return f, buf, loop

    def buffer_at(self, target, axis):
        """An on-chip buffer for the slice of ``target`` one iteration of ``axis`` uses."""
        name = target.name if isinstance(target, ir.Buffer) else str(target)
        with _primitive(self, "buffer_at", (name, str(axis))):
            f, buf, loop = self._buffer_and_loop("buffer_at", target, axis)
            return buffer_at_primitive(f, buf, loop)

    def reuse_at(self, target, axis):
        """A line/window buffer so ``target`` is read once per element along ``axis``."""
        name = target.name if isinstance(target, ir.Buffer) else str(target)
        with _primitive(self, "reuse_at", (name, str(axis))):
            f, buf, loop = self._buffer_and_loop("reuse_at", target, axis)
            return reuse_at_primitive(f, buf, loop)

    def reshape(self, target, shape):
        """A new row-major shape of an array, for the partitions that follow."""
        name = target.name if isinstance(target, ir.Buffer) else str(target)
        with _primitive(self, "reshape", (name, tuple(shape) if not isinstance(shape, int)
                                          else (shape,))):
            reshape_primitive(self.module, target, shape)

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

        ``stall_source=True`` (or an LFSR seed), for tests of the hardware's control: the
        kernel gets a ``stall`` input the simulation harness drives at pseudo-random cycles;
        ``mod.stall_cycles`` says how many cycles it held the kernel.
        """
        if target in PYTHON_TARGETS:
            from ..sim.reference import ReferenceModule
            return ReferenceModule(self.module)
        if target in (None, "amaranth", "verilog", "icarus", "verilator"):
            from ..rtl.build import HardwareDesign
            from ..sim.hw_module import HardwareModule
            simulator = target if target in ("icarus", "verilator") else "amaranth"
            stall_source = options.pop("stall_source", False)
            mod = HardwareModule(HardwareDesign(self.module, family, clock_ns, stall_source),
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
        if options.pop("stall_source", False):
            raise AlloError("stall_source is a simulation test hook; a board has nothing to "
                            "drive the stall input",
                            hint="use it with the simulation targets: s.build(stall_source=True)")
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
