"""Task-level pipelining with ping-pong buffers: a loop over T tiles whose body is three
stages handing arrays to each other (X, Y). ``s.dataflow("t")`` makes the stages run at
the same time in hardware, each array double-buffered, so stage 2 reads tile t while stage
1 writes tile t + 1. Y's stage reads X backwards, which a stream could not carry. One
definition for tests/test_pingpong_hw.py and benchmarks/bench_dataflow.py.

    python examples/dataflow/pingpong_tiles.py
"""
import numpy as np

import allo_rtl as allo
from allo_rtl.ir.types import int32


def tiles(T: int, N: int):
    """The kernel over ``T`` tiles of ``N`` elements."""
    def kernel(A: int32[T, N]) -> int32[T, N]:
        B: int32[T, N]
        X: int32[N]
        Y: int32[N]
        for t in range(T):
            for i in range(N):
                X[i] = A[t, i] * 3
            for j in range(N):
                Y[j] = X[N - 1 - j] + t
            for k in range(N):
                B[t, k] = Y[k] * 2 + k
        return B
    return kernel


def schedule(T: int, N: int, dataflow: bool = True, pipelined: bool = True):
    s = allo.customize(tiles(T, N))
    if pipelined:
        for name in ("i", "j", "k"):
            s.pipeline(name)
    if dataflow:
        s.dataflow("t")
    return s


def reference(A):
    T, N = A.shape
    x = (A[:, ::-1].astype(np.int64) * 3 + np.arange(T)[:, None]) * 2 + np.arange(N)
    return ((x + 2**31) % 2**32 - 2**31).astype(np.int32)


if __name__ == "__main__":
    A = np.random.default_rng(0).integers(-1000, 1000, (4, 8)).astype(np.int32)
    assert (schedule(4, 8).build(target="python")(A) == reference(A)).all()
    print("ping-pong tiles: matches numpy")
