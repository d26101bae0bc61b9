"""The Schedule object ``allo.customize`` returns: the parsed kernel plus (later) its
hardware customizations, and ``build`` for every target."""
from __future__ import annotations

import functools
import inspect
from contextlib import contextmanager

from ..errors import AlloError, AlloScheduleError, kernel_rejected
from ..frontend import parse_module
from ..frontend.scope import caller_frames
from ..ir import nodes as ir
from ..ir.printer import format_module
from ..ir.verifier import verify_module
from . import loops as loop_primitives
from .allocation import allocation as allocation_primitive
from .buffer_at import buffer_at as buffer_at_primitive
from .compute_at import compute_at as compute_at_primitive
from .annotations import apply_annotations
from .allo_api import check_arguments, check_customize_options, unknown_attribute, warn_ignored
from .equivalence import equivalent_variables
from .handles import LoopNests, bands_kept, call_site, resolve
from .inline import inline as inline_primitive
from .partition import Partition, find_buffer
from .partition import partition as partition_primitive
from .reshape import reshape as reshape_primitive
from .reuse_at import reuse_at as reuse_at_primitive
from .rollback import snapshot
from .unfold import unfold as unfold_primitive
from . import compose as compose_primitive
from . import streams as stream_primitives


class ArgName(str):
    """A recorded loop or array argument: the text the user gave (a handle's name), knowing
    the kernel it belongs to (``kernel``; None: the text says, "fn:loop", or the top), so
    compose can replay it onto the right callee."""

    kernel = None

    @classmethod
    def of(cls, text, kernel=None) -> "ArgName":
        out = cls(text)
        out.kernel = kernel
        return out


def _q(axis) -> str:
    from .handles import LoopHandle
    if isinstance(axis, LoopHandle):
        return ArgName.of(axis.name, axis.func)
    return str(axis)


@contextmanager
def _primitive(schedule, name, args):
    """Record the primitive, or undo it: a primitive refused part-way leaves the module as it
    was (rollback.py). A refusal points at the user's schedule call; the kernel line that
    made it illegal, if any, is kept as a note."""
    loc = call_site()
    saved = snapshot(schedule.module)
    try:
        with bands_kept(schedule.module):
            yield
        verify_module(schedule.module)
    except AlloError as e:
        saved.restore()
        raise e.relocate(loc, f"{name} is refused because of this line")\
            .with_traceback(None) from None
    except BaseException:
        saved.restore()
        raise
    schedule.primitives.append((name, args, loc))


def _user_signature(method):
    """A primitive called with missing or misspelt arguments is an AlloScheduleError at the
    user's call listing its parameters (not Python's TypeError)."""
    signature = inspect.signature(method)

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        try:
            signature.bind(self, *args, **kwargs)
        except TypeError as e:
            params = ", ".join(str(p) for p in list(signature.parameters.values())[1:])
            raise AlloScheduleError(f"{method.__name__}: {e}", call_site(),
                                    hint=f"s.{method.__name__}({params})") from None
        return method(self, *args, **kwargs)
    return call


class Schedule:
    def __init__(self, module: ir.Module):
        self.module = module
        self.primitives: list = []       # (name, args, location) in the order applied

    @property
    def top(self) -> ir.Function:
        return self.module.top_func

    @property
    def top_func_name(self) -> str:
        """The top kernel's name (Allo's attribute, e.g. ``s.get_loops(s.top_func_name)``)."""
        return self.module.top

    def __str__(self):
        return format_module(self.module)

    def __getattr__(self, name):
        # s.A names the top function's buffer A (Allo's handle style), e.g. s.partition(s.A)
        if name.startswith("_") or name in ("module", "primitives", "top", "top_func_name"):
            raise AttributeError(name)
        arrays = [sym.name for sym in self.module.top_func.symbols()
                  if isinstance(sym, ir.Buffer)]
        for sym in self.module.top_func.symbols():
            if isinstance(sym, ir.Buffer) and sym.name == name:
                return sym
        raise unknown_attribute(self, name, arrays)

    def lowered_module(self) -> ir.Module:
        """The module a build compiles: a copy of ``s.module`` with the annotations that wait
        for the build (``unroll``) applied; ``s.module`` itself is left as scheduled."""
        try:
            return apply_annotations(self.module)
        except AlloError as e:
            if e.loc is None or getattr(e.loc, "line", 0) <= 0:
                e.loc = call_site()
                e.args = (e.render(),)
            raise e.with_traceback(None) from None

    def get_equivalent_variables(self, name: str) -> set:
        """Allo's names of one value across calls: ``{"kernel:D", "foo:0"}`` (see
        equivalence.py); empty if ``name`` is passed to no call."""
        if not isinstance(name, str):
            raise AlloError(f"get_equivalent_variables takes 'kernel:array', not "
                            f"{type(name).__name__} {name!r}", call_site())
        return equivalent_variables(self.module, name)

    def memory_requests(self) -> dict:
        """{"kernel:array": Memory} for every ``@ Memory(...)`` annotation (recorded; the
        hardware build does not map arrays by them yet)."""
        return {f"{f.name}:{b.name}": b.memory for f in self.module.functions.values()
                for b in f.symbols() if isinstance(b, ir.Buffer) and b.memory is not None}

    @_user_signature
    def get_loops(self, fn: str | None = None) -> LoopNests:
        """The loop bands of a function (default: the top), as Allo: ``loops.S_i_0.j``."""
        if fn is not None and fn not in self.module.functions:
            raise AlloError(f"no kernel named {fn!r}", call_site(),
                            hint=f"kernels: {', '.join(self.module.functions)}")
        return LoopNests(self.module.functions[fn] if fn else self.top)

    # --- loop primitives (Allo's names and arguments) -----------------------------------
    def _loop(self, axis):
        return resolve(self.module, axis, self.module.top)

    @_user_signature
    def split(self, axis, factor):
        with _primitive(self, "split", (_q(axis), factor)):
            f, name = self._loop(axis)
            outer, inner = loop_primitives.split(f, name, factor)
        return _SplitHandles(f.name, outer, inner)

    @_user_signature
    def reorder(self, *args):
        with _primitive(self, "reorder", tuple(map(_q, args))):
            fns = {self._loop(a)[0].name for a in args}
            if len(fns) != 1:
                raise AlloError("reorder: all loops must belong to one kernel")
            f = self._loop(args[0])[0]
            loop_primitives.reorder(f, [self._loop(a)[1] for a in args])

    @_user_signature
    def fuse(self, *args):
        with _primitive(self, "fuse", tuple(map(_q, args))):
            f = self._loop(args[0])[0]
            name = loop_primitives.fuse(f, [self._loop(a)[1] for a in args])
        from .handles import LoopHandle
        return LoopHandle(f.name, name)

    @_user_signature
    def unroll(self, axis, factor=0):
        """Unroll ``axis`` by ``factor`` (0 = fully) when the kernel is built; as in Allo the
        loop keeps its handle, so later primitives can still name it."""
        with _primitive(self, "unroll", (_q(axis), factor)):
            f, name = self._loop(axis)
            loop_primitives.annotate_unroll(f, name, factor)

    @_user_signature
    def pipeline(self, axis, initiation_interval=1, rewind=False):
        if rewind:
            warn_ignored("pipeline(rewind=True)", "the pipeline drains at the end of the loop "
                         "and refills on its next entry (no overlap across loop entries)")
        with _primitive(self, "pipeline", (_q(axis), initiation_interval)):
            f, name = self._loop(axis)
            loop_primitives.pipeline(f, name, initiation_interval)

    @_user_signature
    def allocation(self, unit, limit):
        """At most ``limit`` float units of class ``unit`` ("fadd", "fmul", "fdiv",
        "fsqrt"; "kernel:fadd" for a callee) per float format: the schedulers start at most
        ``limit`` such operations per cycle (per modulo slot in a pipeline, where ResMII
        counts them) and the binder shares that many units (Vivado's ``allocation``)."""
        with _primitive(self, "allocation", (unit, limit)):
            allocation_primitive(self.module, unit, limit)

    @_user_signature
    def parallel(self, axis):
        with _primitive(self, "parallel", (_q(axis),)):
            f, name = self._loop(axis)
            loop_primitives.parallel(f, name)

    @_user_signature
    def compute_at(self, from_loop, target_loop):
        """Move the producer nest's body at ``from_loop`` into the consumer's ``target_loop``."""
        with _primitive(self, "compute_at", (_q(from_loop), _q(target_loop))):
            f, src = self._loop(from_loop)
            g, dst = self._loop(target_loop)
            if f is not g:
                raise AlloError("compute_at: both loops must belong to one kernel")
            compute_at_primitive(f, src, dst)

    @_user_signature
    def inline(self, axis=None):
        """Replace every call of kernel ``axis`` by its body (Allo's ``inline``)."""
        with _primitive(self, "inline", (axis,)):
            inline_primitive(self.module, axis)

    @_user_signature
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
    @_user_signature
    def partition(self, target, partition_type=Partition.Complete, dim=0, factor=0):
        """Split an array into banks (Allo's arguments; dim is 1-based, 0 = every dim)."""
        name = self._qbuf(target)
        with _primitive(self, "partition", (name, partition_type, dim, factor)):
            partition_primitive(self.module, target, partition_type, dim, factor)

    def _buffer_and_loop(self, primitive, target, axis):
        f, buf = find_buffer(self.module, target)
        g, loop = resolve(self.module, axis, f.name)
        if g is not f:
            raise AlloError(f"{primitive}: {buf.name} belongs to {f.name}, loop {loop!r} to "
                            f"{g.name}")
        return f, buf, loop

    @_user_signature
    def buffer_at(self, target, axis):
        """An on-chip buffer for the slice of ``target`` one iteration of ``axis`` uses."""
        name = self._qbuf(target)
        with _primitive(self, "buffer_at", (name, _q(axis))):
            f, buf, loop = self._buffer_and_loop("buffer_at", target, axis)
            return buffer_at_primitive(f, buf, loop)

    @_user_signature
    def reuse_at(self, target, axis):
        """A line/window buffer so ``target`` is read once per element along ``axis``."""
        name = self._qbuf(target)
        with _primitive(self, "reuse_at", (name, _q(axis))):
            f, buf, loop = self._buffer_and_loop("reuse_at", target, axis)
            return reuse_at_primitive(f, buf, loop)

    @_user_signature
    def reshape(self, target, shape):
        """A new row-major shape of an array, for the partitions that follow."""
        name = self._qbuf(target)
        with _primitive(self, "reshape", (name, tuple(shape) if not isinstance(shape, int)
                                          else (shape,))):
            reshape_primitive(self.module, target, shape)

    def _qbuf(self, target) -> str:
        """A recorded array argument, knowing its kernel (see ``ArgName``)."""
        if isinstance(target, ir.Buffer):
            try:
                return ArgName.of(target.name, find_buffer(self.module, target)[0].name)
            except AlloError:
                return target.name
        return str(target)

    # --- streams, dataflow, composition ---------------------------------------------------
    def to(self, target, dst, axis=None, depth=None):
        """Allo's ``s.to(s.B, "C", depth=d)``: array B becomes a FIFO from its producer to
        the loop nest or kernel ``dst`` (recorded; results are those without it). Allo's
        ``depth=-1`` means its default depth (None here); ``axis`` (Allo's FIFOs between
        unfolded PEs along one axis of a PE grid) warns: there is no such link here."""
        if axis is not None:
            warn_ignored(f"s.to(..., axis={axis!r})", "unfolded PEs exchange data through the "
                         "array as written; for FIFOs between PEs write an allo.dataflow "
                         "region with Stream arrays")
        if isinstance(depth, int) and not isinstance(depth, bool) and depth == -1:
            depth = None
        with _primitive(self, "to", (self._qbuf(target), _q(dst), depth)):
            stream_primitives.to(self.module, target, dst, depth)

    def dataflow(self, axis):
        """Allo's ``s.dataflow("fn" | loop)``: the stages inside run concurrently (recorded;
        results are those without it)."""
        with _primitive(self, "dataflow", (_q(axis),)):
            stream_primitives.dataflow(self.module, axis)

    def compose(self, schs, id=None, instantiate=None):   # noqa: A002 - Allo's argument name
        """Replay the primitives of ``schs`` (schedules of kernels this one calls) onto
        those callees here; ``id`` picks the instance called as ``kernel[..., "id"]``."""
        loc = call_site()
        try:
            compose_primitive.compose(self, schs, id, instantiate)
        except AlloError as e:
            if e.loc is None or getattr(e.loc, "line", 0) <= 0:
                e.loc = loc
                e.args = (e.render(),)
            raise e.with_traceback(None) from None

    @_user_signature
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

        ``dump=True`` prints what the scheduler decided for every function (CDFG, block
        schedules, modulo schedules; ``mod.design.dump()`` returns the same text);
        ``dump="file.txt"`` writes it there.

        ``stall_source=True`` (or an LFSR seed), for tests of the hardware's control: the
        kernel gets a ``stall`` input the simulation harness drives at pseudo-random cycles;
        ``mod.stall_cycles`` says how many cycles it held the kernel.

        The work is done by the build driver (``allo_rtl.driver``), which sits above every
        backend stage; this layer only hands it the scheduled module.
        """
        if _BUILD_DRIVER is None:       # pragma: no cover - allo_rtl/__init__ registers it
            raise AlloError("no build driver registered; import allo_rtl first")
        try:
            module = self.lowered_module()
            return _BUILD_DRIVER(module, target, project, family, clock_ns, **options)
        except AlloError as e:
            if e.loc is None or getattr(e.loc, "line", 0) <= 0:   # a misused build call:
                e.loc = call_site()                                  # point at the user's
                e.args = (e.render(),)
            raise e.with_traceback(None) from None


check_arguments(Schedule, ("split", "reorder", "fuse", "unroll", "pipeline", "parallel",
                           "compute_at", "inline", "unfold", "partition", "buffer_at",
                           "reuse_at", "reshape", "get_loops", "get_equivalent_variables", "to",
                           "dataflow", "compose", "allocation"))

# The build driver lives above the backend stages (hls, rtl, sim, boards); it registers itself
# here when ``allo_rtl`` is imported, so this layer never imports upward.
_BUILD_DRIVER = None


def register_build_driver(fn):
    global _BUILD_DRIVER
    _BUILD_DRIVER = fn


class _SplitHandles:
    """What ``split`` returns: ``.outer`` and ``.inner`` loop handles."""

    def __init__(self, func, outer, inner):
        from .handles import LoopHandle
        self.outer, self.inner = LoopHandle(func, outer), LoopHandle(func, inner)

    def __iter__(self):
        return iter((self.outer, self.inner))


def customize(fn, verbose: bool = False, enable_tensor: bool = False, lower_linalg: bool = False,
              global_vars: dict | None = None, instantiate=None, context=None,
              typing_rule_set: str = "default", unroll: bool = True, **unknown) -> Schedule:
    """Parse and type-check ``fn`` (and the kernels it calls) into a Schedule.

    Allo's arguments: ``instantiate`` (template values), ``global_vars`` (names the kernels
    see, above their globals), ``verbose`` (print the IR). The MLIR-only ones
    (``enable_tensor``, ``lower_linalg``, ``context``, ``unroll=False``) have no effect here
    and warn; ``typing_rule_set`` other than "default" is refused (it would change results).
    """
    if not callable(fn) or not hasattr(fn, "__code__"):
        raise AlloError(f"customize needs a kernel function, not {type(fn).__name__} "
                        f"{fn!r:.40}", call_site(),
                        hint="pass the function itself: allo.customize(kernel)")
    check_customize_options(enable_tensor, lower_linalg, context, typing_rule_set, unroll,
                            unknown)
    frames = caller_frames(2)
    if global_vars is not None:
        if not isinstance(global_vars, dict):
            raise AlloError(f"global_vars must be a dict of names, not "
                            f"{type(global_vars).__name__}", call_site())
        frames = [("<global_vars>", "<global_vars>", dict(global_vars))] + frames
    try:
        module = parse_module(fn, instantiate, frames)
    except AlloError as e:
        raise kernel_rejected(e) from None      # a SystemExit too, as Allo's customize exits
    s = Schedule(module)
    if verbose:
        print(s)
    return s
