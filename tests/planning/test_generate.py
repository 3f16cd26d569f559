"""Synthetic instances: deterministic, of the stated sizes, valid."""

from __future__ import annotations

import pytest

from hamkor.planning.solver.generate import generate
from hamkor.planning.solver.io import dump, load_instance, validate_instance


def test_same_seed_same_instance() -> None:
    assert dump(generate(1, 5)) == dump(generate(1, 5))
    assert dump(generate(1, 5)) != dump(generate(1, 6))


@pytest.mark.parametrize("scale", [1, 2])
def test_counts(scale: int) -> None:
    inst = generate(scale, 0)
    assert len(inst.program.days) == 5
    assert {c.id for c in inst.cities} == {
        "tashkent", "bukhara", "nukus", "samarkand", "fergana", "karshi"
    }  # fmt: skip
    assert len(inst.specialists) == 150 * scale
    assert len(inst.rooms) == 40 * scale
    assert len(inst.activities) == 200 * scale
    assert len(inst.patients) == 2000 * scale
    assert len(inst.trainees) == 500 * scale
    kinds = {a.kind for a in inst.activities}
    assert {"master_class", "demonstration_operation", "consultation_session"} <= kinds
    assert any(a.mandatory for a in inst.activities)
    assert any(a.fixed_day for a in inst.activities)


def test_generated_instance_is_valid_and_reads_back() -> None:
    inst = generate(1, 3)
    assert validate_instance(inst) == []
    assert load_instance(dump(inst)) == inst


def test_scale_must_be_positive() -> None:
    with pytest.raises(ValueError, match="scale"):
        generate(0, 0)
