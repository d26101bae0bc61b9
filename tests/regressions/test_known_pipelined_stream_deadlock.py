"""A pipelined stage's transfers complete in program order (rtl.pipeline ``elastic``): the
stream fuzzer found (seeds 44 and 57 of ``benchmarks/fuzz_streams.py --minutes 4``) that a
pipeline stalling as a whole on any blocked transfer holds a transfer earlier in program order
(a put another stage needs) behind a later one, and the hardware deadlocked (the watchdog
reported it) where the program (the Kahn-network interpreter: each transfer completes before
the next) finishes. Each region below deadlocked that way before the fix, on every simulator:

* ``reverse_with_bypass``: two puts of one iteration at one position, the later one's stream
  (``by``) full: the earlier put (``s0``, which the reversing stage waits for) must complete.
* ``late_put``: two puts at different positions to streams of different depths: iteration
  ``i + 1``'s first put (``s0`` full) must not hold iteration ``i``'s second (``by``, which
  the sink takes first).
* ``ring``: a get then a put one position later on a cyclic pair (Allo #561's fwd/bwd):
  iteration ``i + 1``'s get (``fwd`` empty) must not hold iteration ``i``'s put that refills it.
* ``get_then_full_put``: a get then a put at one position, the put's stream full: the get must
  complete (and keep its value for the put) so the producer can go on to the stream the sink
  waits for.
"""
import numpy as np
import pytest

import allo_rtl.dataflow as df
from allo_rtl.ir.types import Stream, int32
from allo_rtl.sim.cycle_model import CycleModelError
from allo_rtl.sim.kpn import DeadlockError
from allo_rtl.sim.watchdog import HardwareDeadlockError

SIMS = [None, pytest.param("icarus", marks=pytest.mark.icarus),
        pytest.param("verilator", marks=pytest.mark.verilator)]
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


@df.region()
def late_put(A: int32[N], B: int32[N]):
    s0: Stream[int32, 1]
    by: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[A])
    def source(a: int32[N]):
        for i in range(N):
            s0.put(i * 5)            # position 0
            by.put(a[i])             # after a[i]'s read: a later position

    @df.kernel(mapping=[1], args=[B])
    def sink(b: int32[N]):
        for i in range(N):
            y: int32 = by.get()
            b[i] = y - s0.get()


@df.region()
def ring(T: int32[N], B: int32[N]):
    fwd: Stream[int32, 1]
    bwd: Stream[int32, 1]

    @df.kernel(mapping=[1], args=[T])
    def step(t: int32[N]):
        for i in range(N):
            x: int32 = fwd.get()
            bwd.put(x + t[x & 3])    # the read at x: the put is a position after the get

    @df.kernel(mapping=[1], args=[B])
    def echo(b: int32[N]):
        fwd.put(1)
        for i in range(N - 1):
            y: int32 = bwd.get()
            b[i] = y
            fwd.put(y * 2)
        b[N - 1] = bwd.get()


@df.region()
def get_then_full_put(A: int32[N], B: int32[N]):
    a: Stream[int32, 1]
    b: Stream[int32, N - 2]
    c: Stream[int32, 1]

    @df.kernel(mapping=[1], args=[A])
    def source(x: int32[N]):
        for i in range(N):
            a.put(x[i])
        c.put(100)

    @df.kernel(mapping=[1])
    def copy():
        for i in range(N):
            b.put(a.get() * 3)       # one position: the get, then the put into a full b

    @df.kernel(mapping=[1], args=[B])
    def sink(y: int32[N]):
        k: int32 = c.get()
        for i in range(N):
            y[i] = b.get() + k


def _wrap(v: int) -> int:
    return (v + 2**31) % 2**32 - 2**31


def _numpy(top, A):
    A = A.astype(np.int64)
    if top is reverse_with_bypass:
        out = A[::-1] + A
    elif top is late_put:
        out = A - 5 * np.arange(N)
    elif top is ring:
        out, x = [], 1
        for _ in range(N):       # step: x + t[x & 3]; echo: the next x doubles it
            y = _wrap(x + int(A[x & 3]))
            out.append(y)
            x = _wrap(2 * y)
        out = np.array(out)
    else:
        out = 3 * A + 100
    return ((out + 2**31) % 2**32 - 2**31).astype(np.int32)


CASES = [(reverse_with_bypass, "source_0:i"), (late_put, "source_0:i"), (ring, "step_0:i"),
         (get_then_full_put, "copy_0:i")]


def _inputs(seed):
    rng = np.random.default_rng(seed)
    A = rng.integers(-2**31, 2**31, N).astype(np.int32)
    A[:2] = [2**31 - 1, -2**31]          # the int32 edges
    return A


@pytest.mark.parametrize("top,loop", CASES, ids=lambda c: getattr(c, "__name__", c))
def test_the_program_and_the_unpipelined_hardware_finish(top, loop):
    A = _inputs(1)
    ref = np.zeros(N, np.int32)
    df.build(top, target="simulator")(A.copy(), ref)
    np.testing.assert_array_equal(ref, _numpy(top, A))
    hw = np.zeros(N, np.int32)
    df.customize(top).build()(A.copy(), hw)
    np.testing.assert_array_equal(hw, ref)


@pytest.mark.parametrize("sim", SIMS)
@pytest.mark.parametrize("top,loop", CASES, ids=lambda c: getattr(c, "__name__", c))
def test_the_pipelined_stage_finishes(sim, top, loop):
    A = _inputs(2)
    ref = np.zeros(N, np.int32)
    df.build(top, target="simulator")(A.copy(), ref)
    s = df.customize(top)
    s.pipeline(loop)
    mod = s.build(target=sim)
    hw = np.zeros(N, np.int32)
    mod(A.copy(), hw)
    np.testing.assert_array_equal(ref, _numpy(top, A))
    np.testing.assert_array_equal(hw, ref)


def test_the_cycle_model_still_refuses_stream_stalls():
    """An elastic pipeline's cycles depend on when its FIFOs fill: the fast cycle model cannot
    time them, and says so, as for any stream wait."""
    s = df.customize(late_put)
    s.pipeline("source_0:i")
    with pytest.raises(CycleModelError, match="stream_wait"):
        s.build(target="cycles")(_inputs(3), np.zeros(N, np.int32))


@df.region()
def starved(A: int32[N], B: int32[N]):
    s: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[A])
    def source(a: int32[N]):
        for i in range(N - 1):          # one short
            s.put(a[i])

    @df.kernel(mapping=[1], args=[B])
    def sink(b: int32[N]):
        for i in range(N):
            b[i] = s.get() + 1


def test_a_true_deadlock_of_an_elastic_pipeline_is_reported_under_stalls():
    """The fuzzer's stall source once hid it: position 0's transfer was only reported while
    the state was not stalled, so every external stall looked like progress to the watchdog
    and the simulation ran to its cycle limit."""
    with pytest.raises(DeadlockError):
        df.build(starved, target="simulator")(_inputs(4), np.zeros(N, np.int32))
    s = df.customize(starved)
    s.pipeline("sink_0:i")
    with pytest.raises(HardwareDeadlockError, match="sink_0 waits to get from s"):
        s.build(stall_source=5, max_cycles=2000)(_inputs(4), np.zeros(N, np.int32))
