"""What targets, filters and figures look like coming in and going out (pages and API alike)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails

from hamkor.core.dates import OptionalSearchDate
from hamkor.core.errors import invalid
from hamkor.core.i18n import N_
from hamkor.programs.schemas import OptionalId, Required
from hamkor.reports.indicators import Filters

#: The largest target a program may set: far beyond any count it could reach.
MAX_TARGET = 10_000_000

IndicatorKey = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[a-z0-9_]+$"),
]


class TargetSet(BaseModel):
    """The value a program means to reach for one indicator (its key from ``docs/reports.md``)."""

    indicator_key: Annotated[IndicatorKey, Required]
    value: Annotated[int, Field(ge=0, le=MAX_TARGET), Required]


class ReportAsked(BaseModel):
    """A program's report asked for on its page: the file's format and its language (both
    checked against the offered ones by ``report_job.start``, naming the field)."""

    format: Annotated[str, StringConstraints(strip_whitespace=True, max_length=10), Required]
    lang: Annotated[str, StringConstraints(strip_whitespace=True, max_length=10), Required]


class TargetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    program_id: int
    indicator_key: str
    value: int


class FigureFilter(BaseModel):
    """What the figures narrow by: ``?from=2025-10-13&to=2025-10-17&city=3&specialty=7&
    institution=5`` (the names the calendar uses). A range must not end before it starts."""

    model_config = ConfigDict(populate_by_name=True)

    from_: OptionalSearchDate = Field(default=None, alias="from")
    to: OptionalSearchDate = None
    city: OptionalId = None
    specialty: OptionalId = None
    institution: OptionalId = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> FigureFilter:
        if self.from_ is not None and self.to is not None and self.to < self.from_:
            problem = invalid(N_("The range cannot end before it starts."))
            raise ValidationError.from_exception_data(
                "hamkor", [InitErrorDetails(type=problem, loc=("to",), input=self.to)]
            )
        return self

    @property
    def is_set(self) -> bool:
        return any(value is not None for value in self.model_dump().values())

    def query(self) -> dict[str, Any]:
        """The filter as query parameters, for links that keep it."""
        return {
            key: value for key, value in self.model_dump(by_alias=True).items() if value is not None
        }

    def narrowed(self, own: frozenset[int] | None) -> Filters:
        """The engine's filters, within the institutions a reader is limited to (``own``)."""
        institutions = own
        if self.institution is not None:
            chosen = frozenset({self.institution})
            institutions = chosen if own is None else chosen & own
        return Filters(
            since=self.from_,
            until=self.to,
            city_id=self.city,
            specialty_id=self.specialty,
            institution_ids=institutions,
        )


class BreakdownItem(BaseModel):
    """One value of a breakdown (a day, a city's id, a status), its label and its count."""

    value: str | int
    label: str
    count: int


class FigureRead(BaseModel):
    """An indicator's value for the reader, the program's target (or the sum of the programs'
    targets across programs), and its breakdowns. ``value`` is null for a count of patients
    when the caller's role reaches no patient records (an auditor)."""

    key: str
    label: str
    value: int | None
    target: int | None
    breakdowns: dict[str, list[BreakdownItem]]
