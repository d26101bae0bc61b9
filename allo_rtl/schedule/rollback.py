"""Undo for schedule primitives: a primitive that fails part-way leaves the module as it was.

Primitives rewrite the IR in place (loops, buffers, their attrs), and users keep handles to
its objects (``s.A`` is a Buffer; loop handles name loops). So instead of a deep copy that
would give the schedule new objects, ``snapshot`` records the *contents* of every mutable
object reachable from the module -- the fields of each allo_rtl object, the items of each
list, dict and set, the values of numpy arrays -- and ``restore`` writes them back. Objects a
failed primitive created become unreachable; every object that existed before is the same
object again, in the same state, so earlier handles stay valid.

Assumes primitives mutate only through those containers (no ``__slots__`` classes in the IR);
objects from outside allo_rtl (Python functions, modules) are not walked and not restored.
"""
from __future__ import annotations

import numpy as np

_ATOMS = (str, bytes, int, float, complex, bool, type(None), range, type)


def _owned(obj) -> bool:
    return type(obj).__module__.startswith("allo_rtl") and hasattr(obj, "__dict__")


class Snapshot:
    def __init__(self, root):
        self._saved: list = []          # (object, its contents)
        seen: set = set()
        stack = [root]
        while stack:
            obj = stack.pop()
            if isinstance(obj, _ATOMS) or id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, np.ndarray):
                self._saved.append((obj, obj.copy()))
            elif isinstance(obj, list):
                self._saved.append((obj, list(obj)))
                stack.extend(obj)
            elif isinstance(obj, dict):
                self._saved.append((obj, dict(obj)))
                stack.extend(obj.keys())
                stack.extend(obj.values())
            elif isinstance(obj, set):
                self._saved.append((obj, set(obj)))
                stack.extend(obj)
            elif isinstance(obj, (tuple, frozenset)):
                stack.extend(obj)
            elif _owned(obj):
                fields = dict(vars(obj))
                self._saved.append((obj, fields))
                stack.extend(fields.values())

    def restore(self) -> None:
        for obj, contents in self._saved:
            if isinstance(obj, np.ndarray):
                obj[...] = contents
            elif isinstance(obj, list):
                obj[:] = contents
            elif isinstance(obj, (dict, set)):
                obj.clear()
                obj.update(contents)
            else:
                obj.__dict__.clear()
                obj.__dict__.update(contents)


def snapshot(root) -> Snapshot:
    return Snapshot(root)
