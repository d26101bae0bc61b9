"""Kernels written to a file at test time: allo-rtl reads a kernel's source (for its lines and
errors), so a kernel made from a template must live in a real file and be imported from it."""
import importlib.util
from pathlib import Path


def load_module(path: Path):
    """Import the Python file ``path`` as a fresh module named after its stem."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def module_from_source(directory: Path, stem: str, source: str):
    """Write ``source`` to ``directory/stem.py`` and import it."""
    path = Path(directory) / f"{stem}.py"
    path.write_text(source)
    return load_module(path)
