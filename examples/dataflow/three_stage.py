"""Three stages over N elements: load -> x * x + i -> store, as a dataflow region joined by
streams (the stages run at the same time) and, for comparison, by arrays (a region without
streams: the stages run one after another). One definition for the tests
(tests/test_stream_hw.py) and the benchmark (benchmarks/bench_dataflow.py).

    python examples/dataflow/three_stage.py
"""
import numpy as np

import allo_rtl.dataflow as df
from allo_rtl.ir.types import Stream, int32

STAGES = ("load_0", "square_plus_0", "store_0")     # the stage instances, for schedules


def streamed(n: int, d1: int = 2, d2: int = 3):
    """The region over ``n`` elements, its streams ``d1`` and ``d2`` deep."""
    @df.region()
    def three_stage(A: int32[n], B: int32[n]):
        s1: Stream[int32, d1]
        s2: Stream[int32, d2]

        @df.kernel(mapping=[1], args=[A])
        def load(a: int32[n]):
            for i in range(n):
                s1.put(a[i])

        @df.kernel(mapping=[1])
        def square_plus():
            for i in range(n):
                x: int32 = s1.get()
                s2.put(x * x + i)

        @df.kernel(mapping=[1], args=[B])
        def store(b: int32[n]):
            for i in range(n):
                b[i] = s2.get()
    return three_stage


def in_turn(n: int):
    """The same stages joined by arrays: no stage can wait, so they run in turn."""
    @df.region()
    def three_arrays(A: int32[n], B: int32[n]):
        T: int32[n]         # no initialisation: the stages write every element first
        U: int32[n]

        @df.kernel(mapping=[1], args=[A, T])
        def load(a: int32[n], t: int32[n]):
            for i in range(n):
                t[i] = a[i]

        @df.kernel(mapping=[1], args=[T, U])
        def square_plus(t: int32[n], u: int32[n]):
            for i in range(n):
                x: int32 = t[i]
                u[i] = x * x + i

        @df.kernel(mapping=[1], args=[U, B])
        def store(u: int32[n], b: int32[n]):
            for i in range(n):
                b[i] = u[i]
    return three_arrays


def reference(A):
    return (A.astype(np.int64) ** 2 + np.arange(len(A))).astype(np.int32)   # int32 wraps


if __name__ == "__main__":
    A = np.random.default_rng(0).integers(-3000, 3000, 16).astype(np.int32)
    for top in (streamed(16), in_turn(16)):
        B = np.zeros_like(A)
        df.build(top, target="simulator")(A, B)
        assert (B == reference(A)).all()
    print("three stages, streams and arrays: matches numpy")
