"""Random ``s.dataflow(loop)`` kernels for differential fuzzing of the ping-pong rewrite
(``ir/pingpong.py``; hypothesis strategies, so a failure shrinks to a small kernel).

A sample is the source text of one int32 kernel (written to a file: the frontend reads real
lines) whose loop ``for t in range(T)`` holds 2-5 stage loops over ``range(N)``. The first
stage fills a fresh local array from the input row ``A[t, :]``; each later stage either
fills another fresh array, updates an earlier one in place (``X[i] = X[i] op ...``: a chain
of more than two stages), or -- the last -- writes the output row ``B[t, :]``. Reads take an
array at ``i``, ``N - 1 - i``, ``(i + s) % N`` or a fixed element; values combine with
``+ - * ^``, constants and ``t``. Some stage loops are pipelined.

Every such kernel is in the class the rewrite documents (each array written whole by its
first user, which does not read it; later users read or update it in place): it must build.
With a small probability an update reads its own array elsewhere than at ``i``, or the first
stage reads the array it writes (the previous iteration's values: a dependence the double
buffer would break), which the rewrite may refuse, but only with an ``AlloError`` at the
user's file; if it builds, the results must still be right.

``run_sample`` checks, against a reference evaluated here on Python ints (wrapped to int32 at
every store, as the kernel's stores are): the interpreter of the original kernel, the
rewritten module on the KPN interpreter, and the hardware of the dataflow build.
"""
from __future__ import annotations

import importlib.util
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

import allo_rtl as allo
from allo_rtl.errors import AlloError
from allo_rtl.ir.pingpong import pingpong_loops
from allo_rtl.sim.kpn import KPNModule

OPS = ("+", "-", "*", "^")


@dataclass
class Read:
    array: str                  # "A" (the input row) or a local array
    index: str                  # "i", "rev", "shift", "fixed"
    amount: int = 0             # shift: s; fixed: the element

    def text(self, i: str) -> str:
        idx = {"i": i, "rev": f"N - 1 - {i}", "shift": f"({i} + {self.amount}) % N",
               "fixed": str(self.amount)}[self.index]
        return f"A[t, {idx}]" if self.array == "A" else f"{self.array}[{idx}]"

    def at(self, i: int, n: int) -> int:
        return {"i": i, "rev": n - 1 - i, "shift": (i + self.amount) % n,
                "fixed": self.amount}[self.index]


@dataclass
class StageSpec:
    kind: str                   # "fresh", "update", "out"
    target: str                 # the array written ("B" for out)
    terms: list                 # [Read | int | "t"], combined left to right
    ops: list                   # len(terms) - 1 of OPS
    pipelined: bool = False


@dataclass
class TileSample:
    source: str
    T: int
    N: int
    stages: list
    legal: bool
    A: np.ndarray = field(default=None, repr=False)


def wrap32(v: int) -> int:
    return (v + 2 ** 31) % 2 ** 32 - 2 ** 31


def _term_text(term, i: str) -> str:
    if isinstance(term, Read):
        return term.text(i)
    return "t" if term == "t" else f"({term})"


def _expr_text(spec: StageSpec, i: str) -> str:
    out = _term_text(spec.terms[0], i)
    for op, term in zip(spec.ops, spec.terms[1:]):
        out = f"({out} {op} {_term_text(term, i)})"
    return out


@st.composite
def _read(draw, arrays: list, n: int) -> Read:
    array = draw(st.sampled_from(["A"] + arrays))
    index = draw(st.sampled_from(["i", "i", "rev", "shift", "fixed"]))
    amount = draw(st.integers(1, max(1, n - 1))) if index == "shift" else \
        draw(st.integers(0, n - 1)) if index == "fixed" else 0
    return Read(array, index, amount)


@st.composite
def _terms(draw, arrays: list, n: int, first=None) -> tuple:
    count = draw(st.integers(1, 3))
    terms = [first] if first is not None else []
    while len(terms) < count + (first is not None):
        terms.append(draw(st.one_of(_read(arrays, n), _read(arrays, n),
                                    st.sampled_from([1, 3, -2, 7, 2 ** 31 - 1, "t"]))))
    ops = [draw(st.sampled_from(OPS)) for _ in terms[1:]]
    return terms, ops


@st.composite
def samples(draw) -> TileSample:
    T, N = draw(st.integers(1, 5)), draw(st.integers(1, 6))
    arrays, stages, legal = [], [], True
    stages.append(StageSpec("fresh", "X0", *draw(_terms([], N, first=Read("A", "i")))))
    arrays.append("X0")
    if draw(st.sampled_from([False] * 7 + [True])):     # X0 of the iteration before
        stages[0].terms.append(Read("X0", draw(st.sampled_from(["i", "rev"]))))
        stages[0].ops.append("+")
        legal = False
    for _ in range(draw(st.integers(0, 3))):
        if draw(st.booleans()) and len(arrays) < 3:
            name = f"X{len(arrays)}"
            terms, ops = draw(_terms(arrays, N, first=draw(_read(arrays, N))))
            stages.append(StageSpec("fresh", name, terms, ops))
            arrays.append(name)
        else:
            target = draw(st.sampled_from(arrays))
            # reads of the array being updated stay at i, but now and then elsewhere
            others = [a for a in arrays if a != target]
            terms, ops = draw(_terms(others, N, first=Read(target, "i")))
            if draw(st.sampled_from([False] * 9 + [True])):
                terms.append(Read(target, "rev"))
                ops.append("+")
                legal = False
            stages.append(StageSpec("update", target, terms, ops))
    used = draw(st.sampled_from(arrays))
    terms, ops = draw(_terms(arrays, N, first=Read(used, draw(st.sampled_from(["i", "rev"])))))
    stages.append(StageSpec("out", "B", terms, ops))
    for spec in stages:
        spec.pipelined = draw(st.booleans())

    lines = ["import allo_rtl as allo", "from allo_rtl.ir.types import int32", "",
             f"T, N = {T}, {N}", "", "",
             "def kernel(A: int32[T, N]) -> int32[T, N]:", "    B: int32[T, N]"]
    lines += [f"    {a}: int32[N]" for a in arrays]
    lines.append("    for t in range(T):")
    for k, spec in enumerate(stages):
        i = f"i{k}"
        lines.append(f"        for {i} in range(N):")
        dst = f"B[t, {i}]" if spec.kind == "out" else f"{spec.target}[{i}]"
        lines.append(f"            {dst} = {_expr_text(spec, i)}")
    lines.append("    return B")
    bound = 2 ** 31 - 1
    edge = st.sampled_from([0, 1, -1, bound, -bound - 1])
    A = np.array([[draw(st.one_of(edge, st.integers(-bound - 1, bound))) for _ in range(N)]
                  for _ in range(T)], dtype=np.int32).reshape(T, N)
    return TileSample("\n".join(lines) + "\n", T, N, stages, legal, A)


def reference(sample: TileSample) -> np.ndarray:
    """The kernel evaluated statement by statement on Python ints."""
    T, N = sample.T, sample.N
    arrays = {s.target: [0] * N for s in sample.stages if s.kind == "fresh"}
    B = [[0] * N for _ in range(T)]
    for t in range(T):
        for spec in sample.stages:
            for i in range(N):
                def value(term):
                    if isinstance(term, Read):
                        row = [int(v) for v in sample.A[t]] if term.array == "A" \
                            else arrays[term.array]
                        return row[term.at(i, N)]
                    return t if term == "t" else term
                v = value(spec.terms[0])
                for op, term in zip(spec.ops, spec.terms[1:]):
                    w = value(term)
                    v = v + w if op == "+" else v - w if op == "-" else \
                        v * w if op == "*" else v ^ w
                if spec.kind == "out":
                    B[t][i] = wrap32(v)
                else:
                    arrays[spec.target][i] = wrap32(v)
    return np.array(B, dtype=np.int64).reshape(T, N).astype(np.int32)


_counter = itertools.count()


def load_kernel(sample: TileSample, workdir: Path):
    path = workdir / f"fuzz_tiles_{next(_counter)}.py"
    path.write_text(sample.source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.kernel, path


def _schedule(kernel, sample: TileSample):
    s = allo.customize(kernel)
    for k, spec in enumerate(sample.stages):
        if spec.pipelined:
            s.pipeline(f"i{k}")
    s.dataflow("t")
    return s


def run_sample(sample: TileSample, workdir: Path, targets=(None,)) -> dict:
    """The checks of the module docstring; AssertionError on a mismatch or a refusal of a
    kernel in the documented class. Returns {"outcome": "built" | "refused", "cycles"}."""
    kernel, path = load_kernel(sample, workdir)
    want = reference(sample)
    try:
        s = _schedule(kernel, sample)
        np.testing.assert_array_equal(s.build(target="python")(sample.A.copy()), want,
                                      err_msg="interpreter")
        np.testing.assert_array_equal(KPNModule(pingpong_loops(s.module))(sample.A.copy()),
                                      want, err_msg="rewritten module on the KPN interpreter")
        cycles = {}
        for target in targets:
            mod = s.build(**({} if target is None else {"target": target}))
            np.testing.assert_array_equal(mod(sample.A.copy()), want, err_msg=str(target))
            cycles[target] = mod.cycles
    except AlloError as e:
        assert not sample.legal, f"a kernel in the documented class was refused: {e}"
        assert path.name in str(e), f"refusal not at the user's file: {e}"
        return {"outcome": "refused", "cycles": {}}
    assert len(set(cycles.values())) <= 1, f"simulators disagree on cycles: {cycles}"
    return {"outcome": "built", "cycles": cycles}
