"""``mod.report(html=PATH)`` (reports/html.py) rendered in a real headless browser (Debian's
Chromium): the page is self-contained (no network reference), its script runs without console
errors, and it shows the expected elements with the design's own numbers: the Gantt charts,
the loop rows (trips, II requested/achieved, the limiting resource and its source line), the
banks of a partitioned array, functional units with source lines, a call's stall, the board
section. Skipped, with the reason, when chromium is not installed."""
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pytest

import allo_rtl as allo
from test_stall import calls_variable, gemm_schedule

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                    "(apt-get install -y chromium)")


def browse(path):
    """(DOM after scripts ran, console messages) of a local page in headless Chromium."""
    out = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                          "--enable-logging=stderr", "--v=0", "--dump-dom",
                          path.resolve().as_uri()], capture_output=True, text=True, timeout=120)
    console = [ln for ln in out.stderr.splitlines() if "CONSOLE" in ln]
    return out.stdout, console


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(dom):
    p = _Elements()
    p.feed(dom)
    return p.tags, " ".join(p.text)


def _gemm_page(tmp_path):
    mod = gemm_schedule().build()
    rng = np.random.default_rng(0)
    mod(*[rng.integers(-9, 9, (8, 8)).astype(np.int32) for _ in range(2)])
    page = tmp_path / "gemm.html"
    rep = mod.report(html=page)
    return mod, rep.to_dict(), page


def test_the_page_is_self_contained(tmp_path):
    _, _, page = _gemm_page(tmp_path)
    text = page.read_text()
    refs = re.findall(r"(?:src|href)\s*=|https?://[^'\"]*", text)
    assert refs == ["http://www.w3.org/2000/svg"] * len(refs) and "<link" not in text


@needs_chromium
def test_gemm_page_renders_with_its_schedule(tmp_path):
    mod, data, page = _gemm_page(tmp_path)
    dom, console = browse(page)
    assert console == [], console
    tags, text = parse(dom)
    assert ("body", {"data-ready": "1"}) in tags, "the page's script did not run"
    charts = [a for t, a in tags if t == "svg" and a.get("class") == "gantt"]
    pipe = data["functions"][0]["loops"][-1]
    assert pipe["pipelined"] and len(charts) >= 2
    # the pipeline's chart names its II and depth; the loop row its II and limit
    assert f"pipeline {pipe['name']} (state s" in text
    assert f"II {pipe['ii']} (requested {pipe['ii_requested']}), depth {pipe['depth']}" in text
    assert pipe["note"].split(";")[0] in text and f"line(s) {pipe['line'] + 1}" in text
    bars = [a for t, a in tags if t == "rect" and "data-tip" in a]
    ops = [op for plan in mod.design.designs["gemm"].pipelines.values()
           for op in plan.schedule.block.ops if op.operands]
    assert len(bars) >= min(len(ops), 60)
    # B is partitioned along dim 2: one memory row with its 8 banks
    mem = next(m for m in data["functions"][0]["memories"] if m["name"] == "B")
    assert mem["banks"] == 8 and mem["partition"] in text
    assert "cycles (last call)" in text and str(mod.cycles) in text
    # every unit the report counts has a row; the multiplier serves the C += A * B line
    units = data["functions"][0]["functional_units"]
    for unit, count in units.items():
        assert re.search(rf"<td>{unit}</td><td class=\"num\">{count}</td>", dom), unit
    mul = next(u for u in units if u.startswith("mul"))
    assert re.search(rf"<td>{mul}</td><td class=\"num\">\d+</td><td>[^<]*\b"
                     rf"{pipe['line'] + 1}\b", dom)


@needs_chromium
def test_calls_show_their_stall_and_board_numbers_show_when_present(tmp_path):
    mod = allo.customize(calls_variable).build()
    mod(np.arange(8, dtype=np.int32), np.arange(8, dtype=np.int32))
    mod.board_report = {"board": "ulx3s-85f", "device": "LFE5U-85F", "mode": "uart",
                        "fmax_mhz": 87.5, "clock_mhz": 25.0, "timing_met": True,
                        "utilization": {"lut": 1234, "ff": 567, "bram": 3, "dsp": 2},
                        "bitstream": "x.bit"}
    page = tmp_path / "calls.html"
    mod.report(html=page)
    dom, console = browse(page)
    assert console == []
    tags, text = parse(dom)
    assert text.count("stall until count_down done") == 2
    assert "function count_down" in text and "function calls_variable" in text
    assert "Board build" in text and "87.5" in text and "1234" in text


@needs_chromium
def test_the_console_check_sees_a_script_error(tmp_path):
    """The check above can fail: a page whose script throws is caught by it."""
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><html><body><script>undefined_fn();</script></body></html>")
    _, console = browse(page)
    assert any("undefined_fn" in ln for ln in console), console
