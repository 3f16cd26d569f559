"""The LP relaxation of a CP-SAT model, solved by GLOP: a second proven bound on the objective.

With few workers CP-SAT spends its time searching and its own LP, built lazily on the
presolved model, often stays far above the linear relaxation of the model it was given. The
relaxation here keeps every variable's range and the constraints that are linear without an
enforcement literal (linear rows, at-most-one, exactly-one, clauses and implications); dropping
the others only loosens it, so its optimum bounds every solution of the model.

It is built from the model (in the caller's thread) and solved apart (GLOP releases the GIL,
so :meth:`Relaxation.bound` can run in a thread while CP-SAT searches).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from ortools.linear_solver import pywraplp  # type: ignore[import-untyped]
from ortools.sat.python import cp_model, cp_model_helper

_BIG = 2**62


class Relaxation:
    """The LP relaxation of a maximising ``model``.

    Constraints on any variable of ``leave_out`` are left out too (a smaller LP that solves
    faster; still a relaxation, so still a bound)."""

    def __init__(
        self, model: cp_model.CpModel, *, leave_out: Iterable[cp_model.IntVar] = ()
    ) -> None:
        proto = model.proto
        self._objective = proto.objective
        self._lp: pywraplp.Solver | None = pywraplp.Solver.CreateSolver("GLOP")
        if proto.objective.scaling_factor >= 0 or self._lp is None:  # not a maximisation
            self._lp = None
            return
        lp = self._lp
        skip = {var.index for var in leave_out}
        inf = lp.infinity()
        xs = []
        for var in proto.variables:
            domain = list(var.domain)
            xs.append(lp.NumVar(domain[0], domain[-1], ""))

        def row(lo: float, hi: float, terms: Iterable[tuple[int, float]]) -> None:
            ct = lp.Constraint(lo, hi)
            for v, coef in terms:
                ct.SetCoefficient(xs[v], coef)

        def clause(refs: Iterable[int], lo: float, hi: float) -> None:
            """lo ≤ Σ literals ≤ hi, a negated literal ¬x being 1 − x."""
            refs = list(refs)
            negated = sum(1 for ref in refs if ref < 0)
            row(lo - negated, hi - negated, [(r, 1) if r >= 0 else (-r - 1, -1) for r in refs])

        for ct in proto.constraints:
            if len(ct.enforcement_literal) or not skip.isdisjoint(_variables(ct)):
                continue
            if ct.has_linear():
                bounds = list(ct.linear.domain)
                row(
                    bounds[0] if bounds[0] > -_BIG else -inf,
                    bounds[-1] if bounds[-1] < _BIG else inf,
                    zip(ct.linear.vars, ct.linear.coeffs, strict=True),
                )
            elif ct.has_at_most_one():
                clause(ct.at_most_one.literals, -inf, 1)
            elif ct.has_exactly_one():
                clause(ct.exactly_one.literals, 1, 1)
            elif ct.has_bool_or():
                clause(ct.bool_or.literals, 1, inf)
            elif ct.has_bool_and():
                for ref in ct.bool_and.literals:
                    clause([ref], 1, inf)
        goal = lp.Objective()
        for v, coef in zip(self._objective.vars, self._objective.coeffs, strict=True):
            goal.SetCoefficient(xs[v], coef)
        goal.SetMinimization()

    def bound(self, *, time_limit: float | None) -> float | None:
        """An upper bound on the model's objective, in the model's own units, or None when
        GLOP does not prove one within ``time_limit`` seconds (None: however long it takes)."""
        lp = self._lp
        if lp is None:
            return None
        if time_limit is not None:
            lp.SetTimeLimit(max(1, int(time_limit * 1000)))
        if lp.Solve() != pywraplp.Solver.OPTIMAL:
            return None
        # CP-SAT stores a maximisation as a minimisation: value = scaling_factor × (min + offset).
        objective = self._objective
        value = float(objective.scaling_factor * (lp.Objective().Value() + objective.offset))
        # The LP optimum is exact up to GLOP's tolerances: round outward by a small margin.
        return value + 1e-6 * max(1.0, abs(value))


def lp_bound(
    model: cp_model.CpModel,
    *,
    deadline: float | None,
    leave_out: Iterable[cp_model.IntVar] = (),
) -> float | None:
    """The bound of :class:`Relaxation` of ``model``, built and solved by ``deadline`` (a
    ``time.monotonic()`` instant; None: to the end), or None."""
    relaxation = Relaxation(model, leave_out=leave_out)
    if deadline is None:
        return relaxation.bound(time_limit=None)
    left = deadline - time.monotonic()
    return relaxation.bound(time_limit=left) if left > 0 else None


def _variables(ct: cp_model_helper.ConstraintProto) -> set[int]:
    """The variables a (linear or Boolean) constraint is on."""
    if ct.has_linear():
        return set(ct.linear.vars)
    for name in ("at_most_one", "exactly_one", "bool_or", "bool_and"):
        if getattr(ct, f"has_{name}")():
            return {ref if ref >= 0 else -ref - 1 for ref in getattr(ct, name).literals}
    return set()
