"""A systolic gemm: a (P0 + 2) x (P1 + 2) grid of PEs (Allo's dataflow style). The left column
feeds rows of A to the right, the top row feeds columns of B down, the inner P0 x P1 PEs
multiply-accumulate and pass their operands on, the last row and column drain.

    python examples/dataflow/systolic_gemm.py
"""
import numpy as np

import allo_rtl as allo
import allo_rtl.dataflow as df
from allo_rtl.ir.types import Stream, int32

P0, P1, K = 4, 4, 8


@df.region()
def top(A: int32[P0, K], B: int32[K, P1], C: int32[P0, P1]):
    fifo_A: Stream[int32, 2][P0 + 2, P1 + 2]
    fifo_B: Stream[int32, 2][P0 + 2, P1 + 2]

    @df.kernel(mapping=[P0 + 2, P1 + 2], args=[A, B, C])
    def pe(a: int32[P0, K], b: int32[K, P1], c: int32[P0, P1]):
        i, j = df.get_pid()
        with allo.meta_if(i in {0, P0 + 1} and j in {0, P1 + 1}):
            pass                                    # the corners do nothing
        with allo.meta_elif(j == 0):                # feed a row of A
            for k in range(K):
                fifo_A[i, j + 1].put(a[i - 1, k])
        with allo.meta_elif(i == 0):                # feed a column of B
            for k in range(K):
                fifo_B[i + 1, j].put(b[k, j - 1])
        with allo.meta_elif(i == P0 + 1 and j > 0):   # drain B
            for k in range(K):
                x: int32 = fifo_B[i, j].get()
        with allo.meta_elif(j == P1 + 1 and i > 0):   # drain A
            for k in range(K):
                y: int32 = fifo_A[i, j].get()
        with allo.meta_else():
            acc: int32 = 0
            for k in range(K):
                u: int32 = fifo_A[i, j].get()
                v: int32 = fifo_B[i, j].get()
                acc += u * v
                fifo_A[i, j + 1].put(u)
                fifo_B[i + 1, j].put(v)
            c[i - 1, j - 1] = acc


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    A = rng.integers(-100, 100, (P0, K)).astype(np.int32)
    B = rng.integers(-100, 100, (K, P1)).astype(np.int32)
    C = np.zeros((P0, P1), np.int32)
    mod = df.build(top, target="simulator")
    mod(A, B, C)
    assert (C == A.astype(np.int64) @ B).all()
    print(f"systolic gemm {P0}x{P1} PEs, K={K}: matches numpy")
    print(mod.stream_report())
