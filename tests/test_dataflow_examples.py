"""The dataflow showcases in examples/dataflow run and check themselves against numpy."""
import runpy
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples" / "dataflow").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_and_matches_numpy(path, capsys):
    runpy.run_path(str(path), run_name="__main__")
    assert "matches numpy" in capsys.readouterr().out


def test_examples_exist():
    assert {p.stem for p in EXAMPLES} >= {"systolic_gemm", "producer_consumer", "image_pipeline"}
