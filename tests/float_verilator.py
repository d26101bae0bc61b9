"""Run many vectors through float units on Verilator in one simulation.

A *bundle* is a set of units sharing their operand ports (``a``, ``b``); each unit output is a
top-level port of its own. The bundle is converted to Verilog once and compiled with a small
C++ main that reads all vectors from a file, clocks the design once per vector and writes
every output of every cycle to another file. Pipelined units keep their registers (``en``
stays high): a unit of ``latency`` L gives the result of vector t in cycle t + L, which
:func:`run_bundle` lines up. One build per bundle (a few seconds of C++), then a million
vectors take seconds, where the Amaranth simulator needs milliseconds per vector.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import numpy as np
from amaranth.back import verilog
from amaranth.hdl import Module, Signal

from allo_rtl.sim.cocotb.runner import find_verilator, verilator_make_fixes

#: compiled bundles are kept here, keyed by the hash of their Verilog (a fresh clone builds
#: each bundle once; unchanged units are not rebuilt on the next run)
CACHE = Path(os.environ.get("ALLO_FLOAT_VSIM_DIR",
                            Path(__file__).resolve().parent.parent / "build" / "float_vsim"))

_MAIN = """#include <cstdio>
#include <cstdint>
#include "Vtop.h"
#include "verilated.h"
int main(int argc, char **argv) {
    Verilated::commandArgs(argc, argv);
    Vtop *top = new Vtop;
    FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
    if (!in || !out) return 2;
    uint64_t iv[%(nin)d], ov[%(nout)d];
    top->clk = 0; top->rst = 1; top->eval(); top->clk = 1; top->eval(); top->rst = 0;
    while (fread(iv, 8, %(nin)d, in) == %(nin)d) {
        top->clk = 0;
%(sets)s
        top->eval();
%(gets)s
        fwrite(ov, 8, %(nout)d, out);
        top->clk = 1;
        top->eval();
    }
    fclose(in); fclose(out);
    top->final();
    delete top;
    return 0;
}
"""


class Bundle:
    """Units sharing input ports; ``add(name, unit, connect, outputs)``.

    ``connect`` maps each unit input to a bundle input name, an int constant or a function
    of the dict of bundle inputs (e.g. ``lambda i: i["a"][:16]``); ``outputs`` maps a result
    name to the unit's output port name.
    """

    def __init__(self, inputs: dict):
        self.inputs = dict(inputs)                     # name -> width
        self.units = []                                # (name, unit, connect, outputs)
        self._built = None

    def add(self, name, unit, connect: dict, outputs: dict):
        self.units.append((name, unit, connect, outputs))

    def _design(self):
        m = Module()
        ins = {n: Signal(w, name=f"i_{n}") for n, w in self.inputs.items()}
        outs, latency = {}, {}
        for name, unit, connect, outputs in self.units:
            m.submodules[name] = unit
            for port, src in connect.items():
                value = ins[src] if isinstance(src, str) else src(ins) if callable(src) else src
                m.d.comb += getattr(unit, port).eq(value)
            for res, port in outputs.items():
                sig = getattr(unit, port)
                o = Signal(len(sig), name=f"o_{name}_{res}")
                m.d.comb += o.eq(sig)
                outs[(name, res)] = o
                latency[(name, res)] = unit.latency
        m.d.sync += Signal(name="keep_clock").eq(1)     # a sync domain even when all are comb
        return m, ins, outs, latency

    def build(self) -> tuple[Path, list, list, dict]:
        """(the simulator binary, input names, output keys, latency per output); built once
        per bundle (the Verilog conversion alone takes seconds)."""
        if self._built is None:
            self._built = self._build()
        return self._built

    def _build(self):
        exe = find_verilator()
        if not exe:
            raise RuntimeError("verilator is not installed")
        m, ins, outs, latency = self._design()
        text = verilog.convert(m, name="top", ports=[*ins.values(), *outs.values()])
        assert all(w <= 64 for w in self.inputs.values()), "ports wider than 64 bits"
        assert all(len(o) <= 64 for o in outs.values()), "ports wider than 64 bits"
        sets = "\n".join(f"        top->i_{n} = iv[{k}];" for k, n in enumerate(ins))
        gets = "\n".join(f"        ov[{k}] = top->{o.name};" for k, o in enumerate(outs.values()))
        main = _MAIN % dict(nin=len(ins), nout=len(outs), sets=sets, gets=gets)
        key = hashlib.sha256((text + main).encode()).hexdigest()[:16]
        d = CACHE / key
        binary = d / "obj_dir" / "Vtop"
        if not binary.exists():
            d.mkdir(parents=True, exist_ok=True)
            (d / "top.v").write_text(text)
            (d / "main.cpp").write_text(main)
            env = dict(os.environ)
            fixes = {"OPT_FAST": "-O0", "OPT_SLOW": "-O0", "OPT_GLOBAL": "-O0",
                     **verilator_make_fixes(exe)}
            env["MAKEFLAGS"] = " ".join(f"{k}={v}" for k, v in fixes.items())
            env["PATH"] = f"{Path(exe).parent}{os.pathsep}{env['PATH']}"
            subprocess.run([exe, "--cc", "--exe", "--build", "-j", "1", "-Wno-fatal",
                            "-Wno-lint", "-Wno-style", "--top-module", "top", "top.v",
                            "main.cpp"], cwd=d, env=env, check=True, capture_output=True)
        return binary, list(ins), list(outs), latency


def run_bundle(bundle: Bundle, vectors: dict) -> dict:
    """vectors: input name -> sequence of ints (all of one length). Returns
    {(unit, result): numpy uint64 array}, entry t the result for vector t."""
    binary, in_names, out_keys, latency = bundle.build()
    n = len(next(iter(vectors.values())))
    flush = max(latency.values(), default=0)
    data = np.zeros((n + flush, len(in_names)), dtype=np.uint64)
    for k, name in enumerate(in_names):
        data[:n, k] = np.asarray([int(v) for v in vectors[name]], dtype=np.uint64)
    d = binary.parent.parent
    tag = f"{os.getpid()}_{id(vectors)}"
    src, dst = d / f"in_{tag}.bin", d / f"out_{tag}.bin"
    try:
        data.tofile(src)
        subprocess.run([str(binary), str(src), str(dst)], check=True, capture_output=True)
        out = np.fromfile(dst, dtype=np.uint64).reshape(n + flush, len(out_keys))
    finally:
        for f in (src, dst):
            f.unlink(missing_ok=True)
    return {key: out[latency[key]:latency[key] + n, k] for k, key in enumerate(out_keys)}
