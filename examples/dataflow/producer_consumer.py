"""Allo's producer/consumer: one stage streams an array element by element, another adds 1.

    python examples/dataflow/producer_consumer.py
"""
import numpy as np

import allo_rtl as allo
import allo_rtl.dataflow as df
from allo_rtl.ir.types import Stream, int32

M, N = 16, 16


@df.region()
def top(A: int32[M, N], B: int32[M, N]):
    pipe: Stream[int32, 4]

    @df.kernel(mapping=[1], args=[A])
    def producer(a: int32[M, N]):
        for i, j in allo.grid(M, N):
            pipe.put(a[i, j])

    @df.kernel(mapping=[1], args=[B])
    def consumer(b: int32[M, N]):
        for i, j in allo.grid(M, N):
            b[i, j] = pipe.get() + 1


if __name__ == "__main__":
    A = np.random.default_rng(1).integers(-1000, 1000, (M, N)).astype(np.int32)
    B = np.zeros_like(A)
    df.build(top, target="simulator")(A, B)
    assert (B == A + 1).all()
    print("producer/consumer: matches numpy")
