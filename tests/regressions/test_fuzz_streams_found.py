"""Failures the stream fuzzer (tests/fuzz_streams.py) found, minimized by hand; each test
failed before its fix."""
import numpy as np

import allo_rtl.dataflow as df
from allo_rtl.ir.types import Stream, int32


@df.region()
def pairs(A: int32[4], B: int32[2]):
    s0: Stream[int32, 1]
    s1: Stream[int32, 1]

    @df.kernel(mapping=[1], args=[A])
    def source(a: int32[4]):
        for i in range(4):
            s0.put(a[i])

    @df.kernel(mapping=[1])
    def pair():
        for i in range(2):
            x: int32 = s0.get()
            y: int32 = s0.get()      # a second get of the same stream: another element
            s1.put(x - y * 2)

    @df.kernel(mapping=[1], args=[B])
    def sink(b: int32[2]):
        for i in range(2):
            b[i] = s1.get()


def test_two_gets_of_one_stream_are_two_transfers():
    # common-subexpression elimination merged the two identical gets into one transfer: with
    # depth 1 the source then waited forever on a full s0; deeper, x - 2x was computed silently
    A = np.array([1, 2, 30, 4], dtype=np.int32)
    B = np.zeros(2, np.int32)
    df.customize(pairs).build()(A, B)
    assert list(B) == [1 - 2 * 2, 30 - 4 * 2]
