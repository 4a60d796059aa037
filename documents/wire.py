"""The JSON that carries a job's result out of the parsing child (issue #9): bytes in, JSON out.

The parent never unpickles what the child sends. A child that a hostile file had taken over
could otherwise answer with a pickle that runs code in the parent, which holds the platform's
credentials. The child's answer is one JSON object; the parent reads it with `json` and builds
its values only from the types it expects, field by field.

A job whose result is a type of its own says so with `@returns(ResultType)`; that type writes
itself with `to_json()` and is read back with `from_json(...)`, which raises `WireError` on
anything malformed. Any other job must return plain JSON (None, booleans, numbers, strings,
lists and string-keyed dictionaries), which comes back as it is (a tuple is refused, since it
would come back a list).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any, Protocol, Self, TypeAlias, TypeVar

__all__ = [
    "Json",
    "JsonResult",
    "WireError",
    "b64",
    "decode_result",
    "encode_result",
    "field",
    "from_b64",
    "returns",
]

Json: TypeAlias = bool | int | float | str | list["Json"] | dict[str, "Json"] | None


class WireError(ValueError):
    """The child's answer is not what the parent expects (malformed, or of the wrong shape)."""


class JsonResult(Protocol):
    def to_json(self) -> Json: ...

    @classmethod
    def from_json(cls, data: Json) -> Self: ...


F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

# job function → the type of its result. Keyed by the function itself: the child gets the job
# by reference (its module and name), so both sides look up the same object.
_RESULT_TYPES: dict[Callable[..., Any], type[JsonResult]] = {}


def returns(result_type: type[JsonResult]) -> Callable[[F], F]:
    """Declare that a job's result is `result_type`, which crosses to the parent as its JSON."""

    def register(job: F) -> F:
        _RESULT_TYPES[job] = result_type
        return job

    return register


def encode_result(job: Callable[..., Any], value: Any) -> Json:
    """The JSON form of `job`'s result; `TypeError` if it has none (a programming error)."""
    result_type = _RESULT_TYPES.get(job)
    if result_type is not None:
        if not isinstance(value, result_type):
            raise TypeError(f"{job.__qualname__} returned {type(value).__name__}")
        return value.to_json()
    _check_plain(value)
    return value  # type: ignore[no-any-return]  # checked just above


def decode_result(job: Callable[..., Any], data: Json) -> Any:
    """`job`'s result read back from its JSON; `WireError` if it is malformed."""
    result_type = _RESULT_TYPES.get(job)
    return data if result_type is None else result_type.from_json(data)


def _check_plain(value: Any, depth: int = 0) -> None:
    if depth > 100:
        raise TypeError("the result is nested too deeply for JSON")
    if value is None or isinstance(value, bool | int | float | str):
        return
    if type(value) is list:
        for item in value:
            _check_plain(item, depth + 1)
        return
    if type(value) is dict:
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"a dictionary key of type {type(key).__name__} is not JSON")
            _check_plain(item, depth + 1)
        return
    raise TypeError(f"a value of type {type(value).__name__} is not JSON")


# -- reading helpers for `from_json` --------------------------------------------------------------


def field(data: Json, name: str, kind: type[T]) -> T:
    """`data[name]`, which must be of `kind` (an int is not a bool, nor a bool an int)."""
    if not isinstance(data, dict):
        raise WireError(f"expected an object holding {name!r}")
    value = data.get(name)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise WireError(f"{name!r} is not a {kind.__name__}")
    return value


def optional(data: Json, name: str, kind: type[T]) -> T | None:
    if isinstance(data, dict) and data.get(name) is None:
        return None
    return field(data, name, kind)


def strings(data: Json, name: str) -> list[str]:
    items = field(data, name, list)
    if not all(isinstance(item, str) for item in items):
        raise WireError(f"{name!r} is not a list of strings")
    return items


def integers(data: Json, name: str) -> list[int]:
    items = field(data, name, list)
    if not all(isinstance(item, int) and not isinstance(item, bool) for item in items):
        raise WireError(f"{name!r} is not a list of integers")
    return items


def objects(data: Json, name: str) -> list[Json]:
    items = field(data, name, list)
    if not all(isinstance(item, dict) for item in items):
        raise WireError(f"{name!r} is not a list of objects")
    return items


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def from_b64(data: Json, name: str) -> bytes:
    try:
        return base64.b64decode(field(data, name, str), validate=True)
    except binascii.Error:
        raise WireError(f"{name!r} is not base64") from None
