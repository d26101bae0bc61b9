"""The package's stages form a strict chain: a module imports only from its own stage or the
stages below it. Read from the source (every ``import``/``from ... import``, top level or
inside functions), so a lazy import upward fails too."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "allo_rtl"

# lower number = lower stage; a module may import stages with a number <= its own
RANK = {"errors": 0, "progress": 0, "dsl": 0, "memory": 0, "ir": 1, "primitives": 2, "frontend": 2, "schedule": 3,
        "hls": 4, "rtl": 5, "sim": 6, "boards": 7, "driver": 8, "build_options": 8, "tools": 8,
        "backend": 8, "cli": 9, "dataflow": 9, "__init__": 9,
        "reports": 5, "dse": 9,      # reports: read designs for sim/rtl users; dse: above customize
        "library": 9}                # Allo's layer library: kernels, as a user writes them


def _stage(module: str) -> str:
    parts = module.split(".")
    # ``from . import __version__``: a name of the package itself
    return parts[1] if len(parts) > 1 and parts[1] in RANK else "__init__"


def _imports(path: Path):
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    module = ".".join(rel.parts)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    if path.name == "__init__.py":
        module = package
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
                names = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
            else:
                names = [node.module or ""]
            for t in names:
                yield module, t, node.lineno
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield module, a.name, node.lineno


def test_every_stage_is_known():
    stages = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
              if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))}
    assert stages <= set(RANK), f"give these a rank: {sorted(stages - set(RANK))}"


def test_no_import_from_a_lower_stage_to_a_higher_one():
    back_edges = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for module, target, line in _imports(path):
            if not target.startswith("allo_rtl"):
                continue
            a, b = _stage(module), _stage(target)
            if b == "__init__" and target != "allo_rtl":
                continue
            if RANK[b] > RANK[a]:
                back_edges.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {a} imports {b} "
                                  f"({target})")
    assert not back_edges, "imports against the stage order:\n" + "\n".join(back_edges)


def test_the_checker_sees_a_back_edge(tmp_path):
    # the test above must be able to fail: a fake hls module importing the boards stage
    fake = tmp_path / "allo_rtl" / "hls" / "x.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("def f():\n    from ..boards import build\n")
    global PACKAGE
    saved, PACKAGE = PACKAGE, tmp_path / "allo_rtl"
    try:
        edges = [(m, t) for m, t, _ in _imports(fake)]
    finally:
        PACKAGE = saved
    assert edges == [("allo_rtl.hls.x", "allo_rtl.boards")]
    assert RANK[_stage(edges[0][1])] > RANK[_stage(edges[0][0])]
