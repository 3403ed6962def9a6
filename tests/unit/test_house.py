"""The house rules, checked on the source: the store owns every table, no class inherits
from more than one project class, and the lower floors never import the upper ones.

These read the code with ``ast`` (not grep), so a docstring that mentions SQL or an
import under ``TYPE_CHECKING`` is told apart from the real thing."""

from __future__ import annotations

import ast
import re
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|REPLACE|PRAGMA)\b", re.I)
TX_CALLS = {"execute", "executemany", "defer", "call", "fetchone", "fetchall"}

# Floors, bottom first: a module may import its own floor and the floors below it.
# (The ground types in bot/*.py sit below everything; the wiring at the top imports all.)
FLOORS: dict[str, int] = {
    "store": 1,
    "rules": 2,
    "gate": 2,
    "channels": 2,
    "agent": 3,
    "effects": 4,
    "pipeline": 5,
    "judgment": 6,
    "tasks": 6,
    "desks": 7,
}
# Modules that sit on another floor than their package: pure types and helpers the
# store and the gate build on, and the handler that wires the desks together.
MODULE_FLOORS: dict[str, int] = {
    "rules.model": 0,
    "rules.template": 0,
    "rules.tools": 0,  # the [tools] constraint types of a rule header, pure like rules.model
    "rules.payload_template": 0,  # pure: fills a rule's webhook payload, read by rules.model
    "gate.textscan": 0,
    # Pure text rewriting (stdlib only) that textscan's money view reads first.
    "gate.numerals": 0,
    "tasks.model": 0,
    "pipeline.dispatcher": 0,
    "pipeline.handler": 8,
}


def floor_of(dotted: str) -> int | None:
    """``dotted`` is ``package.module`` under bot/ (or just ``package``)."""
    parts = dotted.split(".")
    if ".".join(parts[:2]) in MODULE_FLOORS:
        return MODULE_FLOORS[".".join(parts[:2])]
    return FLOORS.get(parts[0])


def modules() -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text(), filename=str(p))) for p in sorted(BOT.rglob("*.py"))]


def package_of(path: Path) -> str:
    rel = path.relative_to(BOT).parts
    return rel[0] if len(rel) > 1 else ""


def runtime_imports(tree: ast.Module) -> list[tuple[int, str]]:
    """``bot.x`` imports that run at import time (not under ``if TYPE_CHECKING``)."""
    found: list[tuple[int, str]] = []
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_only.update(id(n) for b in node.body for n in ast.walk(b))
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot."):
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("bot.")]
    return found


def test_no_sql_outside_the_store() -> None:
    offenders = []
    for path, tree in modules():
        if package_of(path) == "store":
            continue
        docstrings = {
            id(n.body[0].value)
            for n in ast.walk(tree)
            if isinstance(n, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and n.body
            and isinstance(n.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                if SQL.match(node.value) and re.search(r"\b(FROM|INTO|TABLE|SET|WHERE)\b", node.value):
                    offenders.append(f"{path.relative_to(BOT)}:{node.lineno}: {node.value[:60]!r}")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in TX_CALLS
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in {"tx", "conn", "db"}
            ):
                offenders.append(f"{path.relative_to(BOT)}:{node.lineno}: {ast.unparse(node)[:60]}")
    assert offenders == []


def test_no_class_inherits_from_two_project_classes() -> None:
    project_classes = {n.name for _, t in modules() for n in ast.walk(t) if isinstance(n, ast.ClassDef)}
    offenders = []
    for path, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                ours = [b for b in node.bases if ast.unparse(b).split(".")[-1] in project_classes]
                if len(ours) > 1:
                    offenders.append(f"{path.relative_to(BOT)}: {node.name}")
    assert offenders == []


def test_no_import_points_up() -> None:
    offenders = []
    for path, tree in modules():
        here = floor_of(".".join(path.relative_to(BOT).with_suffix("").parts))
        if here is None:
            continue
        for line, module in runtime_imports(tree):
            there = floor_of(module.removeprefix("bot."))
            if there is not None and there > here:
                offenders.append(f"{path.relative_to(BOT)}:{line}: {module}")
    assert offenders == []


def test_the_checks_see_what_they_look_for() -> None:
    """The scanners find a planted violation (a check that cannot fail is no check)."""
    planted = ast.parse(
        "from bot.desks import x\nif TYPE_CHECKING:\n    from bot.pipeline import y\n"
        "q = 'SELECT a FROM b WHERE c'\n"
    )
    assert runtime_imports(planted) == [(1, "bot.desks")]
    assert any(SQL.match(n.value) for n in ast.walk(planted) if isinstance(n, ast.Constant))
