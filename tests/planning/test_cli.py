"""``hamkor plan generate | greedy | check`` on files."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hamkor.planning.cli import app
from hamkor.planning.solver.io import dump, load_instance, load_plan

from .tiny import instance, plan

runner = CliRunner()


def flat(output: str) -> str:
    """The output with Rich's line wrapping undone."""
    return " ".join(output.split())


def test_generate_greedy_check(tmp_path: Path) -> None:
    instance_file, plan_file = tmp_path / "instance.json", tmp_path / "plan.json"
    result = runner.invoke(
        app, ["generate", "--scale", "1", "--seed", "4", "--out", str(instance_file)]
    )
    assert result.exit_code == 0, result.output
    assert "150 specialists" in flat(result.output)
    assert len(load_instance(instance_file).activities) == 200

    result = runner.invoke(app, ["greedy", str(instance_file), "--out", str(plan_file)])
    assert result.exit_code == 0, result.output
    assert "total" in flat(result.output)
    assert load_plan(plan_file).solver.name == "greedy"

    result = runner.invoke(app, ["check", str(instance_file), str(plan_file)])
    assert result.exit_code == 0, result.output
    assert "no violations" in flat(result.output)


def test_check_lists_violations(tmp_path: Path) -> None:
    instance_file, plan_file = tmp_path / "instance.json", tmp_path / "plan.json"
    instance_file.write_text(dump(instance()), encoding="utf-8")
    data = json.loads(dump(plan()))
    data["consultations"].append({"patient": "p3", "activity": "cons1"})
    plan_file.write_text(json.dumps(data), encoding="utf-8")
    result = runner.invoke(app, ["check", str(instance_file), str(plan_file)])
    assert result.exit_code == 1
    assert "consultation_reach" in flat(result.output)
    assert "objective_mismatch" in flat(result.output)


def test_bad_files_exit_2(tmp_path: Path) -> None:
    instance_file, plan_file = tmp_path / "instance.json", tmp_path / "plan.json"
    data = json.loads(dump(instance()))
    data["activities"][1]["duration_minutes"] = -5
    instance_file.write_text(json.dumps(data), encoding="utf-8")
    plan_file.write_text(dump(plan()), encoding="utf-8")
    result = runner.invoke(app, ["check", str(instance_file), str(plan_file)])
    assert result.exit_code == 2
    assert "activities[1].duration_minutes" in flat(result.output)

    instance_file.write_text(dump(instance()), encoding="utf-8")
    plan_file.write_text("{", encoding="utf-8")
    result = runner.invoke(app, ["check", str(instance_file), str(plan_file)])
    assert result.exit_code == 2
    assert "line 1, column 2" in flat(result.output)

    result = runner.invoke(app, ["greedy", str(plan_file), "--out", str(tmp_path / "x.json")])
    assert result.exit_code == 2
