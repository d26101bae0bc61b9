"""Allo's own schedule examples (gemm with reorder/buffer_at/pipeline, blur with reuse_at,
conv2D with a line and a window buffer) run unchanged apart from the import lines; each script
checks its hardware result against numpy itself."""
import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "allo_docs"


@pytest.mark.parametrize("script,expect", [("gemm.py", "gemm 32x32x32:"),
                                           ("blur.py", "A read 100 times"),
                                           ("conv2d.py", "A read 100 times")])
def test_allo_example_runs(script, expect, capsys):
    runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    assert expect in capsys.readouterr().out


def test_examples_differ_from_allo_only_in_imports():
    for path in EXAMPLES.glob("*.py"):
        code = [line for line in path.read_text().splitlines() if "allo_rtl" in line]
        assert code and all(line.startswith(("import allo_rtl as allo", "from allo_rtl."))
                            for line in code), path
