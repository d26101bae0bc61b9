"""Streams of blocks (``Stream[T[M, N], d]``) in hardware (ir/block_streams.py: a FIFO of
the blocks' words, put/get as element loops), checked differentially: the KPN interpreter,
Amaranth's simulator, Icarus and Verilator all give numpy's answer; an undersized block FIFO
is reported by the watchdog with the stream's name; the report gives depths in blocks."""
import importlib.util
import pathlib

import numpy as np
import pytest

import allo_rtl as allo
import allo_rtl.dataflow as df
from allo_rtl.ir.types import Stream, int16, int32
from allo_rtl.sim.kpn import DeadlockError
from allo_rtl.sim.watchdog import HardwareDeadlockError

# Icarus and Verilator builds take 6-50 s each on the shared 2-core machine: slow (not in CI)
SIMS = [None, pytest.param("icarus", marks=[pytest.mark.icarus, pytest.mark.slow]),
        pytest.param("verilator", marks=[pytest.mark.verilator, pytest.mark.slow])]
EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples" / "dataflow"
T, R, C = 3, 2, 3          # blocks of R x C, T of them


def _interp_and_hw(top, args, sim=None, **options):
    ref = [a.copy() for a in args]
    df.build(top, target="simulator")(*ref)
    hw = [a.copy() for a in args]
    mod = df.customize(top).build(target=sim, **options)
    mod(*hw)
    return ref, hw, mod


@df.region()
def tiles(A: int32[T, R, C], B: int32[T, R, C]):
    """Whole 2-D blocks: the producer puts a parameter's tile, the consumer a computed one."""
    s: Stream[int32[R, C], 1]

    @df.kernel(mapping=[1], args=[A])
    def prod(a: int32[T, R, C]):
        for t in range(T):
            blk: int32[R, C] = 0
            for r, c in allo.grid(R, C):
                blk[r, c] = a[t, r, c] ^ (t * 16 + r * 4 + c)
            s.put(blk)

    @df.kernel(mapping=[1], args=[B])
    def cons(b: int32[T, R, C]):
        for t in range(T):
            got: int32[R, C] = s.get()
            for r, c in allo.grid(R, C):
                b[t, r, c] = got[r, c] - t


def _tiles_expect(A):
    t, r, c = np.meshgrid(np.arange(T), np.arange(R), np.arange(C), indexing="ij")
    x = (A.astype(np.int64) ^ (t * 16 + r * 4 + c)) - t
    return ((x + 2**31) % 2**32 - 2**31).astype(np.int32)


@pytest.mark.parametrize("sim", SIMS)
def test_block_stream_of_2d_tiles_matches_interpreter_and_numpy(sim):
    rng = np.random.default_rng(11)
    A = rng.integers(-2**31, 2**31, (T, R, C), dtype=np.int64).astype(np.int32)
    A[0, 0, 0], A[0, 0, 1], A[1, 1, 2] = -2**31, 2**31 - 1, -1        # edges wrap
    ref, hw, mod = _interp_and_hw(tiles, [A, np.zeros_like(A)], sim)
    np.testing.assert_array_equal(ref[1], _tiles_expect(A))
    np.testing.assert_array_equal(hw[1], _tiles_expect(A))


def test_block_stream_report_in_words_and_blocks():
    """Depth 1 block of 2 x 3 = a 6-word FIFO; the producer fills it while the consumer
    copies out, so it held between 1 and 6 words; the suggestion is in blocks."""
    A = np.arange(T * R * C, dtype=np.int32).reshape(T, R, C)
    _, hw, mod = _interp_and_hw(tiles, [A, np.zeros_like(A)])
    np.testing.assert_array_equal(hw[1], _tiles_expect(A))
    (row,) = mod.report().to_dict()["streams"]
    assert (row["name"], row["depth"], row["words_per_block"], row["depth_blocks"]) == \
        ("s", R * C, R * C, 1)
    assert 1 <= row["max_occupancy"] <= R * C
    assert row["suggested_blocks"] == -(-(row["max_occupancy"] + 1) // (R * C))
    assert "blocks int32[2, 3], depth 6 words = 1 blocks" in str(mod.report())


@df.region()
def short_of_blocks(A: int16[R, C], B: int16[R, C]):
    s: Stream[int16[R, C], 2]

    @df.kernel(mapping=[1], args=[A])
    def once(a: int16[R, C]):
        s.put(a)

    @df.kernel(mapping=[1], args=[B])
    def twice(b: int16[R, C]):
        x: int16[R, C] = s.get()
        y: int16[R, C] = s.get()         # never comes: a true deadlock
        for r, c in allo.grid(R, C):
            b[r, c] = x[r, c] + y[r, c]


@pytest.mark.parametrize("sim", SIMS)
def test_block_stream_deadlock_names_the_stream(sim):
    args = [np.ones((R, C), np.int16), np.zeros((R, C), np.int16)]
    with pytest.raises(DeadlockError):
        df.build(short_of_blocks, target="simulator")(*[a.copy() for a in args])
    mod = df.customize(short_of_blocks).build(target=sim)
    with pytest.raises(HardwareDeadlockError) as info:
        mod(*args)
    assert "stage twice_0 waits to get from s (empty)" in str(info.value)
    assert "test_block_stream_hw.py" in str(info.value)


@pytest.mark.parametrize("sim", SIMS)
def test_image_pipeline_example_in_hardware(sim):
    """examples/dataflow/image_pipeline.py: rows as blocks through two block streams."""
    spec = importlib.util.spec_from_file_location("ex_image", EXAMPLES / "image_pipeline.py")
    ex = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ex)
    img = np.random.default_rng(4).integers(0, 256, (ex.H, ex.W)).astype(np.uint8)
    img[0, :3] = [0, 255, 255]
    ref, hw, _ = _interp_and_hw(ex.top, [img, np.zeros_like(img)], sim)
    np.testing.assert_array_equal(ref[1], ex.reference(img))
    np.testing.assert_array_equal(hw[1], ex.reference(img))


def test_auto_depth_with_block_streams():
    """fifo_depth='auto': the block FIFO is deep (in words); results unchanged."""
    A = np.arange(T * R * C, dtype=np.int32).reshape(T, R, C) * 7
    _, hw, mod = _interp_and_hw(tiles, [A, np.zeros_like(A)], fifo_depth="auto")
    np.testing.assert_array_equal(hw[1], _tiles_expect(A))
    (row,) = mod.report().to_dict()["streams"]
    assert row["depth"] >= 1024 and row["depth_blocks"] == row["depth"] // (R * C)
