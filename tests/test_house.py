"""The house's rules (../shared/STYLE.md): every TRUST_* variable is read in warehouse.settings and
documented in the README; imports point down (ui/ never reaches queries/ or store/, data/ never queries/,
warehouse/ imports nothing of ours), and there are no import circles."""

import ast
import re
from pathlib import Path

from warehouse.settings import SETTINGS

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("app_pages", "auth", "data", "policy", "queries", "store", "ui", "warehouse")


def _modules():
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            name = ".".join(path.relative_to(REPO).with_suffix("").parts)
            yield name.removesuffix(".__init__"), path


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return {name for name in out if name.split(".")[0] in PACKAGES}


def test_every_trust_variable_is_declared_and_documented():
    readme = (REPO / "README.md").read_text()
    used = set()
    for _, path in _modules():
        used |= set(re.findall(r"\bTRUST_[A-Z_]+\b", path.read_text()))
    assert used <= set(SETTINGS), f"TRUST_* variables not declared in warehouse.settings: {used - set(SETTINGS)}"
    assert [name for name in SETTINGS if f"`{name}`" not in readme] == []
    for name, path in _modules():
        if name != "warehouse.settings":
            assert "os.environ" not in path.read_text(), f"{name} reads the environment itself"


def test_imports_point_down():
    forbidden = {
        "ui": ("queries", "store", "app_pages", "sqlalchemy"),
        "policy": ("queries", "store", "ui", "app_pages", "streamlit"),
        "data": ("queries", "store", "ui", "app_pages"),
        "warehouse": PACKAGES[:-1],
    }
    breaches = []
    for name, path in _modules():
        top = name.split(".")[0]
        text_imports = _imports(path) | {
            n for n in ("sqlalchemy", "streamlit") if re.search(rf"^\s*(from|import) {n}\b", path.read_text(), re.M)
        }
        for target in text_imports:
            if target.split(".")[0] in forbidden.get(top, ()):
                breaches.append(f"{name} imports {target}")
    assert breaches == []


def test_no_import_circles():
    modules = dict(_modules())
    graph = {name: {t for t in _imports(path) if t in modules and t != name} for name, path in modules.items()}
    state: dict[str, int] = {}
    circles = []

    def visit(node, stack):
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                circles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [node])
    assert circles == []
