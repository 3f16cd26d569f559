"""The log-in and API-token forms, bounded like every other input (issue 15).

They were read field by field from the posted form, so a user name of a megabyte went on to the
throttle's counters and the password hasher, and a token name was cut short without a word.
As schemas they refuse what no account can hold, naming the field, before anything is counted.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, StringConstraints

from hamkor.core.forms import BlankIsNone
from hamkor.core.text import ADDRESS_MAX, OneLine, Storable, bounded
from hamkor.core.users import PASSWORD_MAX, USERNAME_MAX

#: The longest name of an API token (the column's width).
TOKEN_NAME_MAX = 100


class LoginForm(BaseModel):
    """A log-in as posted: the password is taken as typed, blanks included."""

    username: Annotated[str, bounded(USERNAME_MAX), Storable] = ""
    password: Annotated[str, StringConstraints(max_length=PASSWORD_MAX), Storable] = ""
    next: Annotated[str, bounded(ADDRESS_MAX)] = "/"


class TokenForm(BaseModel):
    """A new API token: its name (blank: a default in the reader's language) and whether it
    may write as well as read."""

    name: Annotated[Annotated[str, bounded(TOKEN_NAME_MAX), OneLine] | None, BlankIsNone] = None
    write: bool = False
