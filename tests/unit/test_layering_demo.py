"""The demo's story stays outside the app: nothing under ``forwarder_insure/``, ``blueprints/`` or
``jobs/`` imports the top-level ``demo`` package, except the ``demo`` CLI command, lazily, inside
its own function body. Read from the source (ast), so a guarded or late import is caught too."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP_PACKAGES = ("forwarder_insure", "blueprints", "jobs")
DEMO = "demo"
#: The one place allowed to import the demo: (file relative to the root, enclosing function).
ALLOWED = {("forwarder_insure/cli.py", "demo_command")}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module an ``from ... import`` names (relative imports resolved)."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join([*base, *([node.module] if node.module else [])])


def _is_demo(name: str) -> bool:
    return name == DEMO or name.startswith(f"{DEMO}.")


def _demo_imports(path: Path) -> list[tuple[int, str | None]]:
    """(line, enclosing function or None) of every import of the demo package in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module = _module_name(path)
    found: list[tuple[int, str | None]] = []

    def visit(node: ast.AST, function: str | None) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name if function is None else function
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, path.name == "__init__.py")
            names = [base, *(f"{base}.{a.name}" if base else a.name for a in node.names)]
        elif isinstance(node, ast.Call) and node.args:
            # importlib.import_module("demo...") / __import__("demo...")
            callee = node.func
            called = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
            first = node.args[0]
            if called in {"import_module", "__import__"} and isinstance(first, ast.Constant):
                names = [str(first.value)]
        if any(_is_demo(name) for name in names):
            found.append((getattr(node, "lineno", 0), function))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, None)
    return found


def _app_files() -> list[Path]:
    return sorted(path for package in APP_PACKAGES for path in (ROOT / package).rglob("*.py"))


def test_the_app_packages_import_the_demo_only_from_the_demo_command() -> None:
    files = _app_files()
    assert len(files) > 50  # the walk really saw the app
    offenders = []
    allowed_seen = set()
    for path in files:
        relative = path.relative_to(ROOT).as_posix()
        for line, function in _demo_imports(path):
            if (relative, function) in ALLOWED:
                allowed_seen.add((relative, function))
            else:
                where = f"in {function}()" if function else "at module level"
                offenders.append(f"{relative}:{line} imports the demo package {where}")
    assert offenders == []
    # The allowance is not dead: the demo command really imports the demo package lazily.
    assert allowed_seen == ALLOWED


def test_the_demo_story_is_not_kept_in_the_app_packages() -> None:
    """No module of the app is a demo module (the seeding story moved to the ``demo`` package)."""
    assert [p.relative_to(ROOT).as_posix() for p in _app_files() if "demo" in p.stem] == []
    assert (ROOT / DEMO / "seed.py").is_file()
    assert (ROOT / DEMO / "claims_story.py").is_file()


def test_importing_the_app_and_its_cli_loads_no_demo_module() -> None:
    """The same at run time: the CLI module, the app factory, the blueprints and the jobs load
    without pulling in the demo (a fresh interpreter, so no other test has imported it)."""
    code = (
        "import sys\n"
        "import forwarder_insure, forwarder_insure.cli, blueprints, jobs.registry, jobs.scheduler\n"
        "loaded = sorted(m for m in sys.modules if m == 'demo' or m.startswith('demo.'))\n"
        "print(loaded)\n"
        "sys.exit(1 if loaded else 0)\n"
    )
    result = subprocess.run(  # noqa: S603 (our own interpreter, fixed code)
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
