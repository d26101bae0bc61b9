"""Random dataflow regions for differential fuzzing of streams in hardware (hypothesis
strategies, so a failure shrinks to a small graph).

A sample is the source text of one ``@df.region`` (written to a file: the frontend reads real
lines): a chain of 2-5 ``@df.kernel`` stages joined by streams of random depth (1-4) and
element type (``Int``/``UInt`` of 3-32 bits). The first stage streams an input array, the
last writes an output array; a middle stage maps each element (``v * c + i``, ``v ^ c``,
min/max, a running sum), reverses the stream (all elements held in a local array first),
duplicates it (two puts per get: the stream after it carries twice
as many) or pairs two gets into one put; sometimes a bypass stream carries the input from
the first stage straight to the last, which then adds it in (a fork/join whose bypass can
be too shallow: a legitimate deadlock). Some stage loops are pipelined, and a hardware run may
have random external stalls.

``run_sample`` checks the Kahn-process-network interpreter against each hardware target:
when the interpreter completes, the hardware gives the same outputs (and all targets the
same cycles); when the interpreter reports a deadlock, the hardware may complete (deeper
effective buffering) or its watchdog reports one -- but a hardware deadlock where the
interpreter completes is a failure.
"""
from __future__ import annotations

import importlib.util
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

import allo_rtl.dataflow as df
from allo_rtl.sim.kpn import DeadlockError
from allo_rtl.sim.watchdog import HardwareDeadlockError

WIDTHS = (3, 8, 12, 16, 17, 32)
MAX_COUNT = 32                  # elements a stream carries at most


@dataclass
class Stage:
    name: str
    kind: str                   # "source", "map", "sum", "dup", "pair", "sink"
    expr: str = ""              # map: the expression of v and i
    pipelined: bool = False


@dataclass
class StreamSample:
    source: str
    n: int                      # input elements
    n_out: int                  # output elements
    in_type: tuple              # (signed, bits)
    out_type: tuple
    pipelined: list = field(default_factory=list)    # "stage_0:i" loop names
    stall_seed: int | None = None
    inputs: list = field(default_factory=list)


def _type(signed: bool, bits: int) -> str:
    return f"{'Int' if signed else 'UInt'}({bits})"


def _map_expr(draw) -> str:
    c = draw(st.sampled_from([1, 2, 3, -1, 5, 7, 100]))
    return draw(st.sampled_from([f"v * {c} + i", f"v ^ {abs(c)}", f"v - {c}",
                                 f"max(v, {c})", f"min(v, i)", f"(v << 1) + {c}",
                                 f"v // {abs(c) + 1}"]))


@st.composite
def samples(draw) -> StreamSample:
    n = draw(st.integers(2, 8)) * 2                     # even: a pair stage can follow
    kinds, count = [], n
    for _ in range(draw(st.integers(0, 3))):
        options = ["map", "map", "sum", "reverse"] + \
                  (["dup"] if count * 2 <= MAX_COUNT else []) + \
                  (["pair"] if count % 2 == 0 and count >= 2 else [])
        kind = draw(st.sampled_from(options))
        kinds.append(kind)
        count = count * 2 if kind == "dup" else count // 2 if kind == "pair" else count
    n_out = count
    types = [(draw(st.booleans()), draw(st.sampled_from(WIDTHS))) for _ in range(len(kinds) + 2)]
    depths = [draw(st.integers(1, 4)) for _ in range(len(kinds) + 1)]
    bypass = n_out == n and draw(st.booleans())
    bypass_depth = draw(st.integers(1, n + 1))
    pipelined = [draw(st.booleans()) for _ in range(len(kinds) + 2)]

    # the region's arrays sometimes have a read and a write port (hls/two_port.py)
    two_port = [' @ Memory(storage_type="RAM_2P")' if draw(st.booleans()) else ""
                for _ in range(2)]

    in_t, out_t = types[0], types[-1]
    lines = ["import allo_rtl as allo", "import allo_rtl.dataflow as df",
             "from allo_rtl.ir.types import Int, UInt, Stream",
             "from allo_rtl.memory import Memory", "", "",
             "@df.region()",
             f"def top(A: {_type(*in_t)}[{n}]{two_port[0]}, "
             f"B: {_type(*out_t)}[{n_out}]{two_port[1]}):"]
    for k, d in enumerate(depths):
        lines.append(f"    s{k}: Stream[{_type(*types[k + 1])}, {d}]")
    if bypass:
        lines.append(f"    by: Stream[{_type(*in_t)}, {bypass_depth}]")
    stage_names = []

    def kernel(name, args, params, body):
        stage_names.append(name)
        lines.extend(["", f"    @df.kernel(mapping=[1]{', args=[' + args + ']' if args else ''})",
                      f"    def {name}({params}):"] + [f"        {b}" for b in body])

    body = [f"for i in range({n}):", f"    s0.put(a[i])"]
    if bypass:
        body.append("    by.put(a[i])")
    kernel("source", "A", f"a: {_type(*in_t)}[{n}]", body)
    count = n
    for k, kind in enumerate(kinds):
        src, dst, t_in = f"s{k}", f"s{k + 1}", _type(*types[k + 1])
        if kind == "map":
            body = [f"for i in range({count}):", f"    v: {t_in} = {src}.get()",
                    f"    {dst}.put({_map_expr(draw)})"]
        elif kind == "sum":
            body = [f"acc: Int(40) = 0", f"for i in range({count}):",
                    f"    acc = acc + {src}.get()", f"    {dst}.put(acc)"]
        elif kind == "reverse":     # holds every element before the first put
            body = [f"buf: {t_in}[{count}] = 0", f"for i in range({count}):",
                    f"    buf[i] = {src}.get()", f"for j in range({count}):",
                    f"    {dst}.put(buf[{count - 1} - j])"]
        elif kind == "dup":
            body = [f"for i in range({count}):", f"    v: {t_in} = {src}.get()",
                    f"    {dst}.put(v)", f"    {dst}.put(v + i)"]
            count *= 2
        else:
            body = [f"for i in range({count // 2}):", f"    x: {t_in} = {src}.get()",
                    f"    y: {t_in} = {src}.get()", f"    {dst}.put(x - y * 2)"]
            count //= 2
        kernel(f"{kind}{k}", "", "", body)
    last = f"s{len(kinds)}"
    body = [f"for i in range({n_out}):"]
    body.append(f"    b[i] = {last}.get() + by.get()" if bypass else f"    b[i] = {last}.get()")
    kernel("sink", "B", f"b: {_type(*out_t)}[{n_out}]", body)

    loops = [f"{name}_0:i" for name, p in zip(stage_names, pipelined) if p]
    stall = draw(st.one_of(st.none(), st.integers(1, 0xFFFF)))
    lo = -(1 << (in_t[1] - 1)) if in_t[0] else 0
    hi = (1 << (in_t[1] - 1)) - 1 if in_t[0] else (1 << in_t[1]) - 1
    edge = st.sampled_from(sorted({lo, hi, 0, min(1, hi), max(-1, lo)}))
    values = [draw(st.one_of(edge, st.integers(lo, hi))) for _ in range(n)]
    inputs = [np.array(values, dtype=np.int64), np.zeros(n_out, dtype=np.int64)]
    return StreamSample("\n".join(lines) + "\n", n, n_out, in_t, out_t, loops, stall, inputs)


_counter = itertools.count()


def load_region(sample: StreamSample, workdir: Path):
    path = workdir / f"fuzz_stream_{next(_counter)}.py"
    path.write_text(sample.source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.top, path


def _np(x, t):
    signed, bits = t
    dtype = np.int64 if signed or bits < 64 else np.uint64
    return np.asarray(x, dtype=dtype)


def run_sample(sample: StreamSample, workdir: Path, targets=(None,)) -> dict:
    """Interpreter vs each target (see the module docstring); AssertionError on a mismatch."""
    top, path = load_region(sample, workdir)
    ref = [a.copy() for a in sample.inputs]
    try:
        df.build(top, target="simulator")(*ref)
        ref_deadlock = False
    except DeadlockError:
        ref_deadlock = True
    outcome, cycles = {}, {}
    for target in targets:
        s = df.customize(top)
        for loop in sample.pipelined:
            s.pipeline(loop)
        options = {} if sample.stall_seed is None or target is not None else \
            {"stall_source": sample.stall_seed}
        mod = s.build(target=target, **options)
        hw = [a.copy() for a in sample.inputs]
        try:
            mod(*hw)
        except HardwareDeadlockError as e:
            assert ref_deadlock, f"{target}: hardware deadlock, the interpreter completes: {e}"
            assert str(path.name) in str(e), f"{target}: deadlock not at the user's lines: {e}"
            outcome[target] = "deadlock"
            continue
        outcome[target] = "done"
        if not ref_deadlock:
            assert np.array_equal(_np(hw[1], sample.out_type), _np(ref[1], sample.out_type)), \
                f"{target}: got {hw[1]}, interpreter {ref[1]}"
            if sample.stall_seed is None or target is not None:
                cycles[target] = mod.cycles
    assert len(set(cycles.values())) <= 1, f"simulators disagree on cycles: {cycles}"
    return {"interpreter": "deadlock" if ref_deadlock else "done", "hardware": outcome,
            "cycles": cycles}
