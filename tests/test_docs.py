"""The documents agree with the code: the configuration table of docs/operating.md names exactly
the environment variables the code reads, and every relative link in README.md and docs/*.md
points at a file (and a heading) that exists. No database: the code is read, not run."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "dailypapers"
OPERATING = ROOT / "docs" / "operating.md"
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NAME = re.compile(r"[A-Z][A-Z0-9_]*")


# --- the environment variables the code reads ------------------------------------------------


def _is_environ(node: ast.expr) -> bool:
    """``os.environ`` or a bare ``environ``."""
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def _called(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _is_helper(name: str) -> bool:
    """A function that reads the variable its first argument names (``infra.environment.env_*``)."""
    return name.lstrip("_").startswith("env_")


class _Reads(ast.NodeVisitor):
    """Where a module reads the environment: ``os.environ.get(NAME)``, ``os.environ[NAME]``,
    ``NAME in os.environ``, ``os.getenv(NAME)`` and helpers called ``env_*(NAME, ...)``.

    A read of a computed name must be inside such a helper, reading its own parameter, so that
    every variable stays visible at the helper's call sites."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.found: dict[str, list[str]] = {}
        self.hidden: list[str] = []
        self._functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._functions.append(node)
        self.generic_visit(node)
        self._functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        reads = (
            (isinstance(func, ast.Attribute) and func.attr == "get" and _is_environ(func.value))
            or _called(func) == "getenv"
            or _is_helper(_called(func))
        )
        if reads and node.args:
            self._read(node.args[0], node)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.ctx, ast.Load) and _is_environ(node.value):
            self._read(node.slice, node)
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        if isinstance(node.ops[0], ast.In | ast.NotIn) and _is_environ(node.comparators[0]):
            self._read(node.left, node)
        self.generic_visit(node)

    def _read(self, key: ast.expr, node: ast.AST) -> None:
        place = f"{self.where}:{getattr(node, 'lineno', '?')}"
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            if NAME.fullmatch(key.value):
                self.found.setdefault(key.value, []).append(place)
            return
        function = self._functions[-1] if self._functions else None
        own = function is not None and _is_helper(function.name)
        parameters = {a.arg for a in function.args.args} if function else set()
        if not (own and isinstance(key, ast.Name) and key.id in parameters):
            self.hidden.append(place)


def _scan() -> tuple[dict[str, list[str]], list[str]]:
    found: dict[str, list[str]] = {}
    hidden: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        reads = _Reads(str(path.relative_to(ROOT)))
        reads.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        for name, places in reads.found.items():
            found.setdefault(name, []).extend(places)
        hidden += reads.hidden
    return found, hidden


def _table() -> list[str]:
    """The variables in the first column of the table under "## Configuration"."""
    text = OPERATING.read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    cell = re.compile(r"^\|\s*`([^`]+)`\s*\|", re.MULTILINE)
    return [m.group(1) for m in cell.finditer(section)]


def test_the_scan_sees_every_kind_of_read():
    """A scanner that finds nothing would pass the table test below: it must see a read of
    each kind that settings and the data folder use today."""
    found, _ = _scan()
    for name in ("DAILYPAPERS_HOME", "DATABASE_URL", "DEBUG", "ALLOWED_HOSTS", "PORT"):
        assert name in found, f"the scan no longer sees {name}: teach it the new way of reading"
    assert len(found) >= 40


def test_no_variable_is_read_by_a_computed_name():
    _, hidden = _scan()
    assert not hidden, (
        "environment read by a name the docs test cannot see (read a constant, or name the "
        f"helper env_* and pass it the name): {hidden}"
    )


def test_the_configuration_table_lists_every_variable_the_code_reads():
    found, _ = _scan()
    listed = _table()
    assert len(listed) == len(set(listed)), (
        f"listed twice: {sorted(n for n in listed if listed.count(n) > 1)}"
    )
    missing = {name: found[name] for name in sorted(set(found) - set(listed))}
    stale = sorted(set(listed) - set(found))
    assert not missing, f"read by the code but not in docs/operating.md's table: {missing}"
    assert not stale, f"in docs/operating.md's table but read nowhere in src/: {stale}"


# --- links ------------------------------------------------------------------------------------

FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _prose(text: str) -> str:
    """The text without code, where a bracket and a parenthesis are no link."""
    return CODE.sub("", FENCE.sub("", text))


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation but - and _ dropped, spaces to -."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its words
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    return {_anchor(h) for h in HEADING.findall(FENCE.sub("", path.read_text(encoding="utf-8")))}


def _links() -> list[tuple[Path, str]]:
    return [
        (doc, target)
        for doc in DOCUMENTS
        for target in LINK.findall(_prose(doc.read_text(encoding="utf-8")))
        if not re.match(r"[a-z][a-z0-9+.-]*:", target)  # http:, https:, mailto:
    ]


def test_the_documents_are_there():
    names = {p.name for p in DOCUMENTS}
    expected = {"using.md", "operating.md", "open-data.md", "architecture.md", "benchmarks.md"}
    assert {"README.md"} | expected <= names
    assert _links(), "no relative link found: the link pattern is broken"


@pytest.mark.parametrize(
    "doc, target", _links(), ids=lambda v: v.name if isinstance(v, Path) else str(v)
)
def test_a_relative_link_points_at_something_that_exists(doc: Path, target: str):
    path, _, fragment = target.partition("#")
    goal = (doc.parent / path).resolve() if path else doc
    assert goal.exists(), f"{doc.relative_to(ROOT)} links to {target}: no such file"
    assert goal.is_relative_to(ROOT), f"{doc.relative_to(ROOT)} links outside the repository"
    if fragment and goal.suffix == ".md":
        assert fragment in _anchors(goal), (
            f"{doc.relative_to(ROOT)} links to {target}: no such heading in {goal.name}"
        )
