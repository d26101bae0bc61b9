"""The numpy boundary's errors, the IR printer/verifier, templates and the CLI."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.cli import main as cli_main
from allo_rtl.ir import nodes as ir
from allo_rtl.ir.printer import format_module
from allo_rtl.ir.types import int32, uint8
from allo_rtl.ir.verifier import IRVerifyError, verify_module


def scale(A: int32[4], k: uint8) -> int32[4]:
    B: int32[4] = 0
    for i in range(4):
        B[i] = A[i] * k
    return B


@pytest.mark.parametrize("target", ["python", None])
@pytest.mark.parametrize("args, needle", [
    ((np.zeros(5, dtype=np.int32), 1), "must have shape (4,)"),
    ((np.zeros(4, dtype=np.float32), 1), "needs an integer array"),
    (([0, 0, 0, 0], 1), "must be a numpy array"),
    ((np.zeros(4, dtype=np.int32), 1.5), "is an integer"),
    ((np.zeros(4, dtype=np.int32),), "takes 2 arguments"),
])
def test_bad_arguments_name_the_argument(target, args, needle):
    mod = allo.customize(scale).build(target=target)
    with pytest.raises(allo.AlloError, match="scale") as info:
        mod(*args)
    assert needle in str(info.value)


def test_printer_is_deterministic_and_verifier_accepts_parsed_ir():
    s1, s2 = allo.customize(scale), allo.customize(scale)
    assert str(s1) == str(s2) == format_module(s1.module)
    text = str(s1)
    assert "def scale(A: int32[4], k: uint8) -> (B: int32[4] (result)):" in text
    assert "for i in range(" in text
    verify_module(s1.module)


def test_verifier_rejects_broken_ir():
    s = allo.customize(scale)
    store = next(x for x in ir.walk_stmts(s.top.body) if isinstance(x, ir.Store)
                 and isinstance(x.value, ir.Cast))
    store.value = store.value.operand            # an Int(40) value stored into int32
    with pytest.raises(IRVerifyError, match="storing"):
        verify_module(s.module)


@allo.template("T", "M")
def vsum(A: "T[M]") -> "T":
    s: T = 0
    for i in range(M):
        s += A[i]
    return s


def test_template_instantiation():
    mod = allo.customize(vsum, instantiate=[uint8, 5]).build()
    assert mod(np.array([200, 100, 1, 2, 3], dtype=np.uint8)) == (306 % 256)
    with pytest.raises(allo.AlloError, match="instantiate"):
        allo.customize(vsum)


def test_cli_ir_verilog_report(tmp_path, capsys):
    here = Path(__file__)
    assert cli_main(["ir", f"{here}:scale"]) == 0
    assert "def scale" in capsys.readouterr().out
    assert cli_main(["verilog", f"{here}:scale", "-o", str(tmp_path)]) == 0
    assert (tmp_path / "scale.v").read_text().startswith("/*") or "module scale" in (tmp_path / "scale.v").read_text()
    assert (tmp_path / "scale.report.json").exists()
    assert cli_main(["report", f"{here}:nothing_here"]) == 1
    assert "defines no 'nothing_here'" in capsys.readouterr().err


def test_console_script_version():
    out = subprocess.run([sys.executable, "-m", "allo_rtl.cli", "--version"], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == f"allo-rtl {allo.__version__}"
