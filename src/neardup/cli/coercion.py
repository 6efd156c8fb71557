"""Converting option values without Pydantic.

Typer converts every option value with a Pydantic ``TypeAdapter``: importing Pydantic and
building the adapters costs about 0.4 s of every command's start-up (more than hashing 60
photos). :func:`light_coercion` makes Typer convert the plain cases itself (strings,
decimal integers and floats within their range, paths, choices, lists and optionals of
those); a value the plain conversion does not accept (a typo, a number out of range) goes
to Typer's own conversion, so every error message stays Typer's.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")


class _NotPlain(Exception):
    """The value needs Typer's own conversion (it is invalid, or not a plain case)."""


Convert = Callable[[Any, Any, Any], Any]  # (value, param, ctx) -> converted value


def _optional(annotation: Any) -> Any:
    """``X`` of ``X | None`` (the annotation itself otherwise)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _number(kind: type, low: Any, high: Any) -> Convert:
    pattern = _INT if kind is int else _FLOAT

    def convert(value: Any, _param: Any, _ctx: Any) -> Any:
        if isinstance(value, bool):
            raise _NotPlain
        if isinstance(value, int) or (kind is float and isinstance(value, float)):
            number = kind(value)  # a default
        elif isinstance(value, str) and pattern.fullmatch(value):
            number = kind(value)
        else:
            raise _NotPlain
        if (low is not None and number < low) or (high is not None and number > high):
            raise _NotPlain
        return number

    return convert


def _string(value: Any, _param: Any, _ctx: Any) -> Any:
    if not isinstance(value, str):
        raise _NotPlain
    return value


def _flag(value: Any, _param: Any, _ctx: Any) -> Any:
    if not isinstance(value, bool):
        raise _NotPlain
    return value


def converter(annotation: Any, info: Any) -> Convert | None:
    """The plain conversion of a parameter annotated ``annotation`` with Typer's parameter
    info ``info``; ``None`` where only Typer's own conversion will do."""
    from typer import _param_types

    if getattr(info, "parser", None) is not None or getattr(info, "clamp", False):
        return None
    inner = _optional(annotation)
    if typing.get_origin(inner) is list:
        (item,) = typing.get_args(inner) or (str,)
        each = converter(item, info)
        if each is None:
            return None

        def convert_list(value: Any, param: Any, ctx: Any) -> Any:
            if not isinstance(value, (list, tuple)):
                raise _NotPlain
            return [each(v, param, ctx) for v in value]

        return convert_list
    is_enum = isinstance(inner, type) and issubclass(inner, Enum)
    if is_enum or typing.get_origin(inner) is typing.Literal:
        choices: list[Any] = list(inner) if is_enum else list(typing.get_args(inner))
        sensitive = info.case_sensitive

        def convert_choice(value: Any, _param: Any, ctx: Any) -> Any:
            try:  # what Typer's choice adapter calls
                return _param_types.coerce_cli_choice(
                    value, choices=choices, case_sensitive=sensitive, ctx=ctx
                )
            except (ValueError, TypeError):  # not a choice: Typer's conversion words it
                raise _NotPlain from None

        return convert_choice
    if inner is bool:
        return _flag
    if inner is str:
        return None if getattr(info, "path_type", None) else _string
    if inner in (int, float):
        return _number(inner, info.min, info.max)
    if isinstance(inner, type) and issubclass(inner, Path):
        kind = info.path_type or inner

        def convert_path(value: Any, param: Any, ctx: Any) -> Any:
            if not isinstance(value, (str, Path)) or value == "":
                raise _NotPlain
            # a Path already: Typer's check of it then needs no Pydantic
            path = value if isinstance(value, kind) else kind(value)
            return _param_types.coerce_cli_path(path, info, path_type=kind, param=param, ctx=ctx)

        return convert_path
    return None


def light_coercion() -> None:
    """Make Typer convert plain option values without Pydantic (see the module)."""
    try:
        from typer import _coercion, core
    except ImportError:  # pragma: no cover - another Typer: its own conversion stays
        return
    parameter = getattr(core, "_TyperParameter", None)
    base = getattr(_coercion, "RuntimeParam", None)
    original = getattr(parameter, "get_runtime_param", None)
    if parameter is None or base is None or original is None or getattr(original, "neardup", False):
        return

    @dataclass(frozen=True)
    class PlainRuntimeParam(base):  # type: ignore[misc, valid-type]
        convert: Any = None
        descriptor: Any = None

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            try:
                return self.convert(value, param, ctx)
            except _NotPlain:
                full = _coercion.build_runtime_param(self.descriptor)
                return full._coerce_value(value, param=param, ctx=ctx)

    def get_runtime_param(self: Any) -> Any:
        if self._runtime_param is None:
            desc = self.type_descriptor
            convert = (
                None
                if desc.file_annotation is not None
                else converter(desc.annotation, desc.parameter_info)
            )
            if convert is not None:
                self._runtime_param = PlainRuntimeParam(
                    parameter_info=desc.parameter_info,
                    annotation=desc.annotation,
                    convert=convert,
                    descriptor=desc,
                )
        return original(self)

    get_runtime_param.neardup = True  # type: ignore[attr-defined]
    parameter.get_runtime_param = get_runtime_param
