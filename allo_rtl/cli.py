"""``allo-rtl`` command line: print the IR, write Verilog, show the hardware report.

A target is ``path/to/file.py:name`` where ``name`` is a kernel (customized with no schedule)
or a function taking no arguments that returns a Schedule (``def schedule(): s = ...``).
"""
from __future__ import annotations

import argparse
import importlib.util
import inspect
import sys
from pathlib import Path

from . import __version__
from .errors import AlloError
from .schedule import Schedule, customize


def load_schedule(target: str) -> Schedule:
    path, sep, name = target.rpartition(":")
    if not sep or not path:
        raise AlloError(f"target {target!r} must look like path/to/file.py:name")
    file = Path(path)
    if not file.is_file():
        raise AlloError(f"no such file: {file}")
    spec = importlib.util.spec_from_file_location(file.stem, file)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(file.parent.resolve()))
    spec.loader.exec_module(module)
    obj = getattr(module, name, None)
    if obj is None:
        raise AlloError(f"{file} defines no {name!r}")
    if isinstance(obj, Schedule):
        return obj
    if callable(obj) and not inspect.signature(obj).parameters:
        s = obj()
        if not isinstance(s, Schedule):
            raise AlloError(f"{name}() must return a Schedule (allo.customize(...)), "
                            f"not {type(s).__name__}")
        return s
    return customize(obj)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="allo-rtl", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"allo-rtl {__version__}")
    sub = parser.add_subparsers(dest="command")
    p_ir = sub.add_parser("ir", help="print the kernel's IR after its schedule")
    p_ir.add_argument("target")
    p_v = sub.add_parser("verilog", help="write <kernel>.v and a JSON report")
    p_v.add_argument("target")
    p_v.add_argument("-o", "--output", default="out", help="project directory (default: out)")
    p_r = sub.add_parser("report", help="print the hardware report (loops, memories, units)")
    p_r.add_argument("target")
    p_b = sub.add_parser("build", help="build a bitstream for a board (YoWASP Yosys/nextpnr)")
    p_b.add_argument("target")
    p_b.add_argument("--board", required=True, help="board name (see: allo-rtl boards)")
    p_b.add_argument("-o", "--output", required=True, help="project directory")
    p_b.add_argument("--mode", choices=("uart", "bist"), default="uart")
    p_b.add_argument("--clock-mhz", type=float, default=None,
                     help="clock to check timing against (default: the board oscillator)")
    p_d = sub.add_parser("dump", help="print the CDFG, block and modulo schedules per function")
    p_d.add_argument("target")
    p_d.add_argument("--function", default="all", help="only this function (default: all)")
    sub.add_parser("boards", help="list the supported boards")
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "boards":
        from .boards.registry import format_boards
        print(format_boards())
        return 0
    try:
        s = load_schedule(args.target)
        if args.command == "ir":
            print(s)
        elif args.command == "verilog":
            mod = s.build(target="verilog", project=args.output)
            print(f"wrote {Path(args.output) / (mod.design.name + '.v')}")
        elif args.command == "report":
            print(s.build().report())
        elif args.command == "dump":
            print(s.build().design.dump(args.function))
        elif args.command == "build":
            mod = s.build(target="board", board=args.board, project=args.output,
                          mode=args.mode, clock_mhz=args.clock_mhz)
            print(mod.report())
    except AlloError as err:
        print(err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
