"""The committed JSON Schemas are the models' own, and the solver stays pure."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import hamkor.planning.solver
from hamkor.planning.solver.model import Instance, Plan

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("name", "model"), [("plan-instance", Instance), ("plan", Plan)])
def test_schema_files_match_the_models(name: str, model: type[Instance | Plan]) -> None:
    path = ROOT / "docs" / "formats" / f"{name}.schema.json"
    assert json.loads(path.read_text(encoding="utf-8")) == model.model_json_schema()


def test_solver_imports_no_database() -> None:
    package = Path(hamkor.planning.solver.__file__).parent
    rules = ROOT / "src" / "hamkor" / "programs" / "conflict_rules.py"  # the checker's too
    for source in [*package.glob("*.py"), rules]:
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(("sqlalchemy", "hamkor.core")), (source, name)
                assert not name.endswith(".models"), (source, name)
                assert name != "models", source
