"""Known bug (the stream fuzzer found it, seeds 44 and 57 of ``benchmarks/fuzz_streams.py
--minutes 4``): a pipelined stage's transfers of one iteration may share a cycle
(hls/stream_order.py ``PIPELINE_GAP = 0``) and the pipeline stalls as a whole, so when the
bypass stream is full, the put to ``s0`` of that same iteration is held too. The reversing
stage then never gets its last element, and the hardware deadlocks where the program (the
Kahn-network interpreter: each transfer completes before the next) finishes. The deadlock is
reported (never wrong data), but it is a deadlock the source does not have. A fix needs
transfers that stall in program order (stages after a blocked transfer keep moving), not
only a gap between them. Strict xfail: this test fails the suite once the bug is fixed, so
the marker comes off then."""
import numpy as np
import pytest

import allo_rtl.dataflow as df
from allo_rtl.ir.types import Stream, int32
from allo_rtl.sim.watchdog import HardwareDeadlockError

N = 6


@df.region()
def reverse_with_bypass(A: int32[N], B: int32[N]):
    s0: Stream[int32, 1]
    s1: Stream[int32, 1]
    by: Stream[int32, N - 1]        # one short of the reverse stage's lag

    @df.kernel(mapping=[1], args=[A])
    def source(a: int32[N]):
        for i in range(N):
            s0.put(a[i])
            by.put(a[i])

    @df.kernel(mapping=[1])
    def reverse():
        buf: int32[N] = 0
        for i in range(N):
            buf[i] = s0.get()
        for j in range(N):
            s1.put(buf[N - 1 - j])

    @df.kernel(mapping=[1], args=[B])
    def sink(b: int32[N]):
        for i in range(N):
            b[i] = s1.get() + by.get()


def _inputs():
    return np.arange(1, N + 1, dtype=np.int32), np.zeros(N, np.int32)


def test_the_program_finishes():
    A, B = _inputs()
    df.build(reverse_with_bypass, target="simulator")(A, B)
    assert np.array_equal(B, A[::-1] + A)


def test_the_unpipelined_hardware_finishes():
    A, B = _inputs()
    df.customize(reverse_with_bypass).build()(A, B)
    assert np.array_equal(B, A[::-1] + A)


@pytest.mark.xfail(raises=HardwareDeadlockError, strict=True,
                   reason="known: a pipelined stage's same-iteration transfers stall together")
def test_the_pipelined_source_finishes():
    s = df.customize(reverse_with_bypass)
    s.pipeline("source_0:i")
    A, B = _inputs()
    s.build()(A, B)
    assert np.array_equal(B, A[::-1] + A)
