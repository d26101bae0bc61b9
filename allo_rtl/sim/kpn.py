"""The reference interpreter for kernels with streams and dataflow regions: a Kahn process
network run without threads, so its answer never depends on the host.

Each running stage is a Python generator. A ``get`` on an empty FIFO or a ``put`` on a full
one yields (the stage is blocked); the scheduler resumes the live stages in a fixed
round-robin order, each until it blocks or returns. Statements with no stream operation,
region or call of such a kernel inside run on the plain ``Interpreter`` (no generator cost).
A ``Dataflow`` statement starts its stages as new processes and blocks its own process until
all of them have returned, so hierarchical regions nest.

FIFOs hold at most their declared depth, as the hardware's do. When a whole round passes in
which no stage moved a value or returned, no stage ever can again: that is a deadlock, and
it is reported as an ``AlloError`` naming every blocked stage, the stream it waits on, whether
it waits to get or to put, the FIFO's fill and the source line -- instead of hanging.
"""
from __future__ import annotations

from collections import deque

import numpy as np

from ..errors import AlloError
from ..ir import nodes as ir
from ..ir import semantics as sem
from ..ir.analysis import written_buffers
from . import boundary
from .reference import Interpreter


class DeadlockError(AlloError):
    """Every live stage of a dataflow region waits on a stream; none can continue."""


class Fifo:
    def __init__(self, chan: ir.Channel, region: str):
        self.chan, self.region = chan, region
        self.depth = chan.type.depth
        self.items: deque = deque()
        self.max_fill = 0
        self.puts = self.gets = 0
        self.writer = self.reader = None      # the processes that put / get (first seen)

    def __repr__(self):
        return f"{self.chan.label} ({len(self.items)}/{self.depth})"


class Wait:
    """Why a process is blocked: ("get"|"put", fifo, statement) or ("join", children)."""

    def __init__(self, kind, fifo=None, stmt=None, children=None):
        self.kind, self.fifo, self.stmt, self.children = kind, fifo, stmt, children


class Process:
    def __init__(self, name, gen):
        self.name, self.gen = name, gen
        self.done, self.wait = False, None


def uses_streams(module: ir.Module) -> bool:
    return any(isinstance(s, (ir.StreamPut, ir.StreamGet, ir.Dataflow))
               for f in module.functions.values() for s in ir.walk_stmts(f.body))


class KPNInterpreter(Interpreter):
    def __init__(self, max_steps: int = 50_000_000, **kw):
        super().__init__(max_steps=max_steps, **kw)     # keywords: a tracing mixin's too
        self.processes: list = []
        self.progress = 0
        self._blocking: dict = {}
        self.fifos: list = []                 # every FIFO made, for the occupancy report
        self.current = None                   # the process being resumed

    # --- which statements may block -----------------------------------------------------
    def blocking(self, s) -> bool:
        key = id(s)
        if key not in self._blocking:
            self._blocking[key] = False          # a recursion guard; kernels do not recurse
            if isinstance(s, (ir.StreamPut, ir.StreamGet, ir.Dataflow)):
                b = True
            elif isinstance(s, ir.Call):
                b = self.function_blocks(s.callee)
            else:
                b = any(self.blocking(c) for body in ir.child_bodies(s) for c in body)
            self._blocking[key] = b
        return self._blocking[key]

    def function_blocks(self, f: ir.Function) -> bool:
        return any(self.blocking(s) for s in f.body)

    # --- running ------------------------------------------------------------------------
    def run(self, f: ir.Function, args: list) -> list:
        """Call ``f`` as the first process and run the network until it returns."""
        out = []

        def top():
            out.append((yield from self.gcall(f, args)))
        self.spawn(f.name, top())
        self.schedule()
        return out[0]

    def spawn(self, name, gen) -> Process:
        p = Process(name, gen)
        self.processes.append(p)
        return p

    def schedule(self):
        while True:
            live = [p for p in self.processes if not p.done]
            if not live:
                return
            before = self.progress
            for p in live:
                self.current = p
                try:
                    p.wait = next(p.gen)
                except StopIteration:
                    p.done, p.wait = True, None
                    self.progress += 1
            if self.progress == before:
                raise self.deadlock([p for p in self.processes if not p.done])

    def deadlock(self, blocked) -> DeadlockError:
        lines, first = [], None
        for p in blocked:
            w = p.wait
            if w is None or w.kind == "join":
                continue
            first = first or w.stmt.loc
            state = "empty" if w.kind == "get" else "full"
            verb = "get from" if w.kind == "get" else "put into"
            other = w.fifo.writer if w.kind == "get" else w.fifo.reader
            gone = f"; its {'producer' if w.kind == 'get' else 'consumer'} {other.name} has " \
                   "returned" if other is not None and other.done else ""
            lines.append(f"  stage {p.name} waits to {verb} {w.fifo.chan.label} "
                         f"({state}, {len(w.fifo.items)}/{w.fifo.depth}) at {w.stmt.loc}{gone}")
        return DeadlockError(
            "deadlock in the dataflow region: every running stage waits on a stream\n"
            + "\n".join(lines), first,
            hint="count the puts and gets of each stream (each get needs a put), and deepen "
                 "a stream whose producer runs ahead of its consumer by more than its depth")

    # --- generator versions of calls and statements ---------------------------------------
    def gcall(self, f: ir.Function, args: list):
        env = {}
        for p, a in zip(f.params, args):
            env[id(p)] = a
        for sym in f.locals:
            if isinstance(sym, ir.Channel):
                env[id(sym)] = Fifo(sym, f.name)
                self.fifos.append(env[id(sym)])
        # buffers and scalars start as the plain interpreter starts them
        for sym in f.symbols():
            if id(sym) not in env and not isinstance(sym, ir.Channel):
                if isinstance(sym, ir.Buffer):
                    env[id(sym)] = (sym.init.copy() if sym.kind == "const" else
                                    np.full(sym.shape, sym.dtype.from_python(0), dtype=object))
                else:
                    env[id(sym)] = sym.type.from_python(0)
        yield from self.gbody(f.body, env)
        return [env[id(r)] for r in f.results]

    def call(self, f: ir.Function, args: list) -> list:
        if self.function_blocks(f):     # only reached for a top kernel run without run()
            return self.run(f, args)
        return super().call(f, args)

    def gbody(self, stmts, env):
        for s in stmts:
            if self.blocking(s):
                yield from self.gstmt(s, env)
            else:
                self.stmt(s, env)

    def gstmt(self, s, env):
        self.steps += 1
        if self.steps > self.max_steps:
            raise AlloError(f"the kernel ran more than {self.max_steps} statements; is a while "
                            "loop endless?", s.loc)
        if isinstance(s, ir.StreamGet):
            fifo = env[id(s.chan)]
            fifo.reader = fifo.reader or self.current
            while not fifo.items:
                yield Wait("get", fifo, s)
            v = fifo.items.popleft()
            fifo.gets += 1
            self.progress += 1
            if isinstance(s.dest, ir.Buffer):
                env[id(s.dest)][...] = v
            else:
                env[id(s.dest)] = v
        elif isinstance(s, ir.StreamPut):
            fifo = env[id(s.chan)]
            v = (env[id(s.value)].copy() if isinstance(s.value, ir.Buffer)
                 else self.expr(s.value, env))
            fifo.writer = fifo.writer or self.current
            while len(fifo.items) >= fifo.depth:
                yield Wait("put", fifo, s)
            fifo.items.append(v)
            fifo.puts += 1
            fifo.max_fill = max(fifo.max_fill, len(fifo.items))
            self.progress += 1
        elif isinstance(s, ir.Dataflow):
            yield from self.gdataflow(s, env)
        elif isinstance(s, ir.Call):
            yield from self.gcall_stmt(s, env)
        elif isinstance(s, ir.For):
            lo, hi = int(self.expr(s.lo, env)), int(self.expr(s.hi, env))
            self.ran_loop(s, len(range(lo, hi, s.step)))
            for i in range(lo, hi, s.step):
                env[id(s.var)] = s.var.type.wrap(i)
                yield from self.gbody(s.body, env)
        elif isinstance(s, ir.While):
            runs = 0
            while sem.truth(self.expr(s.cond, env)):
                yield from self.gbody(s.body, env)
                self.steps += 1
                runs += 1
            self.ran_while(s, runs)
        elif isinstance(s, ir.If):
            taken = bool(sem.truth(self.expr(s.cond, env)))
            self.ran_if(s, taken)
            yield from self.gbody(s.then_body if taken else s.else_body, env)
        else:
            raise TypeError(f"statement {type(s).__name__} cannot block")

    # --- what a tracing subclass records (sim/kpn_trace.py); nothing here -----------------
    def ran_loop(self, s: ir.For, trips: int):
        pass

    def ran_while(self, s: ir.While, runs: int):
        pass

    def ran_if(self, s: ir.If, taken: bool):
        pass

    def stage_processes(self, s: ir.Dataflow, children: list):
        pass

    def callee(self, s: ir.Call) -> ir.Function:
        return s.callee

    def call_args(self, s: ir.Call, env) -> list:
        return [env[id(a)] if isinstance(a, (ir.Buffer, ir.Channel)) else self.expr(a, env)
                for a in s.args]

    def gcall_stmt(self, s: ir.Call, env):
        results = yield from self.gcall(self.callee(s), self.call_args(s, env))
        for o, v in zip(s.outs, results):
            env[id(o)] = v.copy() if isinstance(o, ir.Buffer) else v

    def gdataflow(self, s: ir.Dataflow, env):
        children = []
        for call in s.stages:
            gen = self.gcall(self.callee(call), self.call_args(call, env))
            children.append(self.spawn(call.callee.name, gen))
        self.stage_processes(s, children)
        self.progress += 1
        while not all(c.done for c in children):
            yield Wait("join", children=children)


class KPNModule:
    """``s.build(target="python")`` (and ``df.build(target="simulator")``) for a kernel with
    streams or dataflow regions: call it like the kernel, with numpy values; arrays the kernel
    writes are written back into the arguments (Allo's in-place convention)."""

    def __init__(self, module: ir.Module):
        self.module = module
        self.top = module.top_func
        self._written = written_buffers(self.top)
        self.streams: dict = {}

    def __call__(self, *args, wrap=False):
        raw = boundary.convert_args(self.top, args, wrap=wrap)
        interp = KPNInterpreter()
        try:
            results = interp.run(self.top, raw)
        finally:
            self.streams = {f"{f.region}:{f.chan.label}": StreamStats(f) for f in interp.fifos}
        boundary.write_back(self.top, args, raw, self._written)
        return boundary.convert_results(self.top, results)

    def stream_report(self) -> str:
        """Each stream of the last run: depth, most items it held at once, values moved.
        The fill follows this interpreter's order (each stage runs until it waits), not the
        hardware's timing; a fill equal to the depth means the producer waited on it."""
        rows = [f"{'stream':30s} {'depth':>5s} {'max fill':>8s} {'puts':>6s} {'gets':>6s}"]
        for name, st in self.streams.items():
            if st.puts == st.gets == 0:
                continue            # an element of an array of streams no stage uses
            rows.append(f"{name:30s} {st.depth:5d} {st.max_fill:8d} {st.puts:6d} {st.gets:6d}")
        return "\n".join(rows)


class StreamStats:
    """What one FIFO saw in a run (``KPNModule.streams``)."""

    def __init__(self, fifo: Fifo):
        self.depth, self.max_fill = fifo.depth, fifo.max_fill
        self.puts, self.gets, self.left = fifo.puts, fifo.gets, len(fifo.items)

    def __repr__(self):
        return (f"StreamStats(depth={self.depth}, max_fill={self.max_fill}, puts={self.puts}, "
                f"gets={self.gets}, left={self.left})")
