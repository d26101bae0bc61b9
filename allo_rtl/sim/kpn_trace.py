"""The trace of a run with dataflow regions: the KPN interpreter recording control decisions.

``resource_bound`` walks a design's Control IR against a ``Trace`` of the trip counts, while
iterations and branch outcomes of one run. Stages of a dataflow region run interleaved, so
one shared trace could hand a stage the trips another stage recorded for the same statement
(two stages calling one function). Each stage process therefore records into a ``Trace`` of
its own, and the region's entry in its parent's trace (``Trace.stages``) lists them in the
order of ``Dataflow.stages``: the walk times every stage from exactly what that stage ran.
"""
from __future__ import annotations

from ..ir import nodes as ir
from .cycle_model import Trace, TracingInterpreter
from .kpn import KPNInterpreter


class TracingKPNInterpreter(KPNInterpreter, TracingInterpreter):
    """Statements without streams record through ``TracingInterpreter``; the generator
    versions of loops, whiles and ifs through the ``ran_*`` hooks; both into the trace of
    the process running them."""

    def __init__(self, module: ir.Module, trace: Trace):
        super().__init__(module=module, trace=trace)

    # ``TracingInterpreter`` writes ``self.trace``: the running process's own
    @property
    def trace(self) -> Trace:
        return self.current.trace if self.current is not None else self._root

    @trace.setter
    def trace(self, root: Trace):
        self._root = root

    def spawn(self, name, gen):
        p = super().spawn(name, gen)
        p.trace = self._root if len(self.processes) == 1 else Trace()
        return p

    def stage_processes(self, s: ir.Dataflow, children: list):
        self.trace.stages[id(s)].append([c.trace for c in children])

    def ran_loop(self, s: ir.For, trips: int):
        self.trace.trips[id(s)].append(trips)

    def ran_while(self, s: ir.While, runs: int):
        self.trace.iterations[id(s)].append(runs)

    def ran_if(self, s: ir.If, taken: bool):
        self.trace.taken[id(s)].append(taken)

    def callee(self, s: ir.Call) -> ir.Function:
        # a transform may have rebuilt the callee: run the module's function of that name,
        # the one its Control IR was built from (as ``TracingInterpreter.call_stmt`` does)
        return self.module.functions.get(s.callee.name, s.callee)
