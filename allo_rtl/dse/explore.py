"""Design-space exploration: evaluate a schedule function over a search space and keep the
Pareto front (cycles x LUT x DSP).

Each point builds the design (``HardwareDesign``), times it with the fast cycle model
(``sim.cycle_model``: exact RTL cycles, no simulation; a point whose control is not static
is timed on ``inputs``, all zeros by default, and marked ``traced``) and estimates resources from the report (``dse.resources``). A schedule the
compiler refuses is kept as a point with its error and left out of the front.

Points run on local processes by default (``workers``; 0 runs them in this process), or on a
Dask distributed cluster when ``address`` is given (a scheduler address such as
``"tcp://10.0.0.5:8786"``, or a ``distributed.Client``). Dask rather than Ray: it is pure
Python and pip-installable on every platform we build on, a ``LocalCluster`` runs in a test
without services, and ``as_completed`` gives results as points finish. Progress is one line
per finished point on stderr when it is a terminal (``progress=True`` forces it).
Worker processes import the kernel and the schedule function by name: define them in a
module, not in a script run as ``__main__`` (``python -m pkg.script`` imports itself, see
benchmarks/dse_gemm.py).
"""
from __future__ import annotations

import os
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

import numpy as np

from ..errors import AlloError
from ..progress import bar, enabled as progress_enabled
from .pareto import OBJECTIVES, pareto_front
from .resources import estimate
from .space import Space


def evaluate(kernel, schedule, params: dict, inputs=None, family: str = "generic") -> dict:
    """One point: {"params", "cycles", "lut", "ff", "dsp", "bram", "compile_s"} or, when the
    compiler refuses the schedule, {"params", "error"}."""
    from .. import customize
    from ..sim import boundary
    t0 = time.perf_counter()
    try:
        s = customize(kernel)
        schedule(s, **params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fast = s.build(target="cycles", family=family)     # the build path users take
        design, est = fast.design, fast.estimator
        if est.static is not None:
            cycles = est.static
        else:        # control depends on indices or data: time one traced run
            args = zero_inputs(customize(kernel)) if inputs is None else \
                [a.copy() if hasattr(a, "copy") else a for a in inputs]
            raw = boundary.convert_args(design.module.top_func, args, design.top_banks)
            cycles = est.run(raw)[0]
    except AlloError as e:
        return {"params": params, "error": e.message}
    return {"params": params, "cycles": cycles, "traced": est.static is None,
            **estimate(design.report_dict()), "compile_s": round(time.perf_counter() - t0, 3)}


def zero_inputs(s) -> list:
    """All-zero arguments of the kernel of schedule ``s`` (its unscheduled signature): the
    run timed when a sweep has no inputs. For control that depends only on loop indices
    (bank selection of a partitioned array, triangular bounds) any input gives that count."""
    from ..ir import nodes as ir
    return [np.zeros(p.type.shape, dtype=np.int64) if isinstance(p, ir.Buffer) else 0
            for p in s.module.top_func.params]


def board_evaluate(kernel, schedule, params: dict, board: str, project) -> dict:
    """The Pareto point's real numbers: a bitstream for ``board`` in ``project`` (Fmax from
    nextpnr, LUT/FF/BRAM/DSP from the placed design)."""
    import io
    from .. import customize
    s = customize(kernel)
    schedule(s, **params)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mod = s.build(target="board", board=board, project=str(project),
                          progress=io.StringIO())
    except AlloError as e:          # does not fit, or misses timing badly: a result too
        return {"board": board, "error": e.message, "logs": str(project)}
    rep = mod.board_report
    return {"board": board, "fmax_mhz": rep["fmax_mhz"], **rep["utilization"]}


@dataclass
class Exploration:
    """What ``explore`` returns: every point (in the space's order) and the Pareto front."""
    space: Space
    points: list
    objectives: tuple = OBJECTIVES
    seconds: float = 0.0
    front: list = field(default_factory=list)

    def __post_init__(self):
        self.front = pareto_front(self.feasible, self.objectives)

    @property
    def feasible(self) -> list:
        return [p for p in self.points if "error" not in p]

    def plot(self, stem, title: str = "") -> list:
        """Write ``stem``.png and ``stem``.svg (cycles vs LUT, DSPs as colour, the front
        joined); returns the paths."""
        from .plot import plot_front
        return plot_front(self, stem, title)

    def table(self) -> str:
        head = "| " + " | ".join(["params", *self.objectives, "ff", "bram"]) + " |"
        rows = [head, "|" + "---|" * (len(self.objectives) + 3)]
        for p in sorted(self.front, key=lambda p: p["cycles"]):
            params = ", ".join(f"{k}={v}" for k, v in p["params"].items())
            rows.append("| " + " | ".join([params, *(str(p[k]) for k in self.objectives),
                                           str(p["ff"]), str(p["bram"])]) + " |")
        return "\n".join(rows)


def explore(kernel, schedule, space: Space, *, inputs=None, address=None, workers=None,
            limit: int | None = None, seed: int = 0, family: str = "generic",
            progress: bool | None = None, out=None, board: str | None = None,
            project="build/dse") -> Exploration:
    """Evaluate ``schedule(s, **point)`` on ``kernel`` for the points of ``space``; with
    ``board`` (a board name), build each Pareto point's bitstream under ``project`` and add
    its real Fmax and resources as the point's ``"board"`` entry (slow: minutes a point)."""
    if not isinstance(space, Space):
        raise AlloError(f"space must be a dse.Space, not {type(space).__name__}",
                        hint="dse.Space(unroll=[1, 2, 4])")
    if not callable(schedule):
        raise AlloError("schedule must be a function (s, **params) applying the schedule")
    points = space.points(limit, seed)
    out = out or sys.stderr
    show = progress if progress is not None else progress_enabled(out)
    t0 = time.perf_counter()
    results = [None] * len(points)
    for k, res in _run(kernel, schedule, points, inputs, family, address, workers):
        results[k] = res
        if show:
            done = sum(r is not None for r in results)
            what = res.get("error") or f"{res['cycles']} cycles, {res['lut']} LUT, " \
                                      f"{res['dsp']} DSP"
            print(f"[dse] {bar(done, len(points))} {res['params']}: {what}", file=out,
                  flush=True)
    exp = Exploration(space, results, seconds=round(time.perf_counter() - t0, 1))
    if board is not None:
        _refine_front(exp, kernel, schedule, board, project, address, workers, show, out)
        exp.seconds = round(time.perf_counter() - t0, 1)
    return exp


def _refine_front(exp, kernel, schedule, board, project, address, workers, show, out):
    """Board builds of the front's points, on the same executor as the sweep."""
    from pathlib import Path
    jobs = [(p, Path(project) / "_".join(f"{k}{v}" for k, v in p["params"].items()))
            for p in exp.front]
    tasks = [(board_evaluate, (kernel, schedule, p["params"], board, str(d))) for p, d in jobs]
    for done, (k, res) in enumerate(_run_tasks(tasks, address, workers), 1):
        jobs[k][0]["board"] = res
        if show:
            what = res.get("error") or (f"{res['fmax_mhz']} MHz, {res['lut']} LUT, "
                                        f"{res['dsp']} DSP")
            print(f"[dse] board {bar(done, len(jobs))} {jobs[k][0]['params']}: {what}",
                  file=out, flush=True)


def _run(kernel, schedule, points, inputs, family, address, workers):
    """(index, result) as points finish."""
    tasks = [(evaluate, (kernel, schedule, p, inputs, family)) for p in points]
    yield from _run_tasks(tasks, address, workers)


def _run_tasks(tasks, address, workers):
    """(index, fn(*args)) for tasks (fn, args), as they finish: in this process (workers=0),
    on local processes, or on Dask given an address or Client."""
    if address is not None:
        yield from _run_dask(tasks, address)
        return
    if workers == 0:
        for k, (fn, args) in enumerate(tasks):
            yield k, fn(*args)
        return
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count()) as pool:
        futures = {pool.submit(fn, *args): k for k, (fn, args) in enumerate(tasks)}
        for f in as_completed(futures):
            yield futures[f], f.result()


def _run_dask(tasks, address):
    from distributed import Client, as_completed as dask_completed
    client = address if isinstance(address, Client) else Client(address)
    try:
        futures = {client.submit(fn, *args, pure=False): k for k, (fn, args) in enumerate(tasks)}
        for f in dask_completed(list(futures)):
            yield futures[f], f.result()
    finally:
        if client is not address:
            client.close()
