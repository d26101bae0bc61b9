"""``s.compose(sub)``: replay the primitives recorded on ``sub`` (a schedule of a kernel this
kernel calls) onto that callee inside this schedule.

Every primitive is recorded as (name, args, location); a loop or array argument given as a
handle knows its kernel (``schedule.ArgName``), a string names it (``"fn:loop"``) or means the
sub's top kernel. Replaying rewrites those kernel names
from ``sub``'s module to this one and calls the same primitive here, so legality is checked
again against this module and the replayed primitives are recorded here in turn: composing a
schedule that itself composed others replays everything, bottom-up.

``id="X"`` picks the callee instance Allo names ``fn_X`` (``kernel[..., "X"](...)``); without
an id the callee's own name is used. The kernels that instance calls in turn are shared by all
instances (one Function each), so primitives on them apply to every instance. A kernel name of
``sub`` that this schedule does not have is an error naming the kernels it has.
"""
from __future__ import annotations

from ..errors import AlloScheduleError

# which positional arguments of each primitive name kernels' loops or arrays ("fn:name")
LOOP_ARGS = {"split": (0,), "unroll": (0,), "pipeline": (0,), "parallel": (0,),
             "compute_at": (0, 1), "buffer_at": (1,), "reuse_at": (1,), "unfold": (0,),
             "dataflow": (0,), "allocation": (0,)}
ALL_LOOP_ARGS = ("reorder", "fuse")
BUFFER_ARGS = {"partition": (0,), "buffer_at": (0,), "reuse_at": (0,), "reshape": (0,),
               "to": (0,)}
KERNEL_ARGS = {"inline": (0,)}


def qualified(sub, text: str) -> tuple:
    """(kernel, name) of a recorded handle (``ArgName``), ``"fn:name"`` or ``"name"`` (the
    sub's top kernel)."""
    if getattr(text, "kernel", None):
        return text.kernel, str(text).rpartition(":")[2]
    fn, _, name = str(text).rpartition(":")
    return (fn or sub.module.top), name


def retarget(schedule, sub, fn: str, ident) -> str:
    """This schedule's kernel for ``sub``'s kernel ``fn``."""
    want = f"{fn}_{ident}" if ident is not None else fn
    if want in schedule.module.functions:
        return want
    if ident is not None and fn != sub.module.top and fn in schedule.module.functions:
        return fn           # a kernel the instance calls: one shared callee, not per id
    raise AlloScheduleError(
        f"compose: this schedule has no kernel {want!r} for the primitives of {sub.module.top}'s "
        f"kernel {fn!r}", hint=f"kernels here: {', '.join(schedule.module.functions)}"
        + ("; an id names the instance called as kernel[..., \"id\"](...)" if ident else ""))


def replayed_args(schedule, sub, name, args, ident) -> list:
    args = list(args)

    def move(k):
        if args[k] is None:
            return
        fn, rest = qualified(sub, args[k])
        args[k] = f"{retarget(schedule, sub, fn, ident)}:{rest}"
    positions = set(LOOP_ARGS.get(name, ())) | set(BUFFER_ARGS.get(name, ()))
    if name in ALL_LOOP_ARGS:
        positions = set(range(len(args)))
    for k in sorted(positions):
        if k < len(args):
            move(k)
    for k in KERNEL_ARGS.get(name, ()):
        if k < len(args) and args[k] is not None:
            args[k] = retarget(schedule, sub, str(args[k]), ident)
    return args


def compose(schedule, schs, ident=None, instantiate=None):
    from . import Schedule, customize
    for sub in schs if isinstance(schs, (list, tuple)) else [schs]:
        if callable(sub) and hasattr(sub, "__code__"):
            # Allo's compose(kernel, instantiate=[...]): that kernel's schedule, as customize
            # makes it (a library kernel's own schedule is applied by its schedule_<name>);
            # it has no primitives to replay, but the instance must be one this kernel calls
            sub = customize(sub, instantiate=instantiate)
            retarget(schedule, sub, sub.module.top, ident)
        elif instantiate is not None:
            raise AlloScheduleError("compose(instantiate=...) goes with a kernel function; "
                                    "this schedule already has its template values",
                                    hint="s.compose(sub_schedule) or s.compose(kernel, "
                                         "instantiate=[...])")
        if not isinstance(sub, Schedule):
            raise AlloScheduleError(f"compose takes schedules (allo.customize(kernel)), not "
                                    f"{type(sub).__name__}",
                                    hint="s.compose(allo.customize(callee)) after scheduling it")
        for name, args, _loc in list(sub.primitives):
            new_args = replayed_args(schedule, sub, name, args, ident)
            REPLAY[name](schedule, *new_args)


def _replay_partition(s, target, kind, dim, factor):
    s.partition(target, kind, dim, factor)


REPLAY = {
    "split": lambda s, axis, factor: s.split(axis, factor),
    "reorder": lambda s, *axes: s.reorder(*axes),
    "fuse": lambda s, *axes: s.fuse(*axes),
    "unroll": lambda s, axis, factor: s.unroll(axis, factor),
    "pipeline": lambda s, axis, ii: s.pipeline(axis, ii),
    "parallel": lambda s, axis: s.parallel(axis),
    "compute_at": lambda s, a, b: s.compute_at(a, b),
    "inline": lambda s, axis: s.inline(axis),
    "unfold": lambda s, band, axes: s.unfold(band, list(axes)),
    "partition": _replay_partition,
    "buffer_at": lambda s, target, axis: s.buffer_at(target, axis),
    "reuse_at": lambda s, target, axis: s.reuse_at(target, axis),
    "reshape": lambda s, target, shape: s.reshape(target, shape),
    "to": lambda s, target, dst, depth: s.to(target, dst, depth=depth),
    "dataflow": lambda s, axis: s.dataflow(axis),
    "allocation": lambda s, unit, limit: s.allocation(unit, limit),
}
