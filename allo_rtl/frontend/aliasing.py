"""``C = A`` for arrays: Python makes C another name for A, Allo copies A into a new buffer.

The two agree as long as neither array is written while both names are in use; then the copy
is what the kernel does (Allo's meaning, which the hardware implements). Where they would
differ -- C or A written, or passed to a kernel call that may write it, in or after the
statement that binds C -- the binding is refused at its line rather than silently giving
Allo's answer to a Python reader or Python's to an Allo reader.

This is a conservative syntactic check on the kernel's AST (names, not values): a store
anywhere in the same top-level statement counts, since a loop may run it before the binding
again.
"""
from __future__ import annotations

import ast

_READ_ONLY_CALLS = {"min", "max", "abs", "range", "len", "int", "float", "bool", "print"}


def _root_name(node):
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _writes(tree: ast.AST, names: set):
    """(node, name) of each write to one of ``names`` inside ``tree``, in source order."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
            name = _root_name(node)
            if name in names:
                found.append((node, name))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id not in _READ_ONLY_CALLS:
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                name = _root_name(arg)
                if name in names:
                    found.append((node, name))
    return sorted(found, key=lambda w: (w[0].lineno, w[0].col_offset))


def conflicting_write(func: ast.FunctionDef, binding: ast.Assign, new: str, old: str):
    """The first write that makes ``new = old`` (a copy here, an alias in Python) observable,
    or None. Writes in top-level statements before the binding's are harmless."""
    body = func.body
    start = next((k for k, stmt in enumerate(body)
                  if any(n is binding for n in ast.walk(stmt))), 0)
    for stmt in body[start:]:
        for node, name in _writes(stmt, {new, old}):
            if node is not binding:
                return node, name
    return None
