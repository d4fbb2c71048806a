"""Frozen, slotted dataclasses built at about the cost of plain objects.

A frozen dataclass stores each field through ``object.__setattr__``, since its own
``__setattr__`` refuses every change: about five times what a plain attribute store
costs. The values a bulk send builds once per recipient (the message, its result and
outcome) pay that on every field of every one. :func:`quick_init` gives such a class an
``__init__`` with the same signature, defaults and ``__post_init__`` that stores the
fields while the instance briefly wears a twin class (a subclass adding no slots, with
plain attribute stores), then gives it its class back. The value that comes out is the
same frozen instance the dataclass's own ``__init__`` builds: equal, hashed, printed,
pickled and refusing changes alike.

:func:`stores` and :func:`seal` are the same two steps for a class whose ``__init__``
is written by hand (it validates what it stores).
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

__all__ = ["quick_init", "seal", "stores"]

_T = TypeVar("_T")
# A store no class's own ``__setattr__`` can refuse.
_store = object.__setattr__
# The setter of ``__class__`` itself: ``object.__setattr__`` would look the name up first.
_set_class = object.__dict__["__class__"].__set__
# Each class's twin, made on first use; None for a class that cannot have one.
_TWINS: dict[type, type | None] = {}


def _twin(cls: type) -> type | None:
    """A subclass of ``cls`` adding no slots, whose instances take plain attribute stores.

    An instance may change its class only to one of the same layout. A subclass that adds
    no slots has it by construction, and CPython checks that more cheaply than for a
    sibling class with the same slots (it compares no slot names), on both changes of
    class. Only a slotted dataclass made directly from ``object`` has a twin; a subclass
    of one is built the slow way, so that its own ``__setattr__`` (if any) still runs.
    """
    if cls not in _TWINS:
        own = vars(cls)
        eligible = cls.__bases__ == (object,) and "__slots__" in own and "__dict__" not in own
        # Both are replaced: CPython serves them through one slot, and a __delattr__
        # left to the dataclass's frozen one would send every store through Python.
        plain = {
            "__slots__": (),
            "__setattr__": object.__setattr__,
            "__delattr__": object.__delattr__,
        }
        _TWINS[cls] = type(f"{cls.__name__}Draft", (cls,), plain) if eligible else None
    return _TWINS[cls]


class _Factory:
    """The default of a field with a default factory, shown as the dataclass shows it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


class _Setter:
    """Stores through ``object.__setattr__``: for a subclass, which has no twin."""

    __slots__ = ("target",)
    target: object

    def __init__(self, target: object) -> None:
        _store(self, "target", target)

    def __setattr__(self, name: str, value: object) -> None:
        _store(self.target, name, value)


def stores(instance: Any) -> Any:
    """``instance`` of a frozen, slotted dataclass, open to plain stores.

    Only for the ``__init__`` of the instance's own class, which must :func:`seal` it
    before anything else sees it. An instance of a subclass is stored into the slow
    way, through ``object.__setattr__``.
    """
    twin = _TWINS.get(type(instance)) or _twin(type(instance))
    if twin is None:
        return _Setter(instance)
    _set_class(instance, twin)
    return instance


def seal(stored: Any, cls: type[_T]) -> _T:
    """The instance opened by :func:`stores`, given its frozen class ``cls`` back."""
    if type(stored) is _Setter:
        return stored.target  # type: ignore[return-value]
    stored.__class__ = cls
    return stored  # type: ignore[no-any-return]


def quick_init(cls: type[_T]) -> type[_T]:
    """Replace the ``__init__`` of frozen, slotted dataclass ``cls`` by a cheaper twin.

    Same parameters, defaults, default factories and ``__post_init__``; fields must all
    be ``init`` fields, without ``kw_only`` or ``InitVar`` (none of ours has them).
    """
    params = getattr(cls, "__dataclass_params__", None)
    twin = _twin(cls)
    if params is None or not params.frozen or twin is None:
        raise TypeError(f"{cls.__name__} is not a frozen, slotted dataclass without a base")
    original = vars(cls)["__init__"]
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    namespace: dict[str, Any] = {
        "_twin": twin,
        "_cls": cls,
        "_set_class": _set_class,
        "_original": original,
    }
    signature: list[str] = []
    defaults: list[str] = []
    stored: list[str] = []
    for field in fields:
        if not field.init or field.kw_only:
            raise TypeError(f"{cls.__name__}.{field.name}: only plain init fields are supported")
        name = field.name
        stored.append(f"    self.{name} = {name}")
        if field.default_factory is not dataclasses.MISSING:
            namespace[f"_factory_{name}"] = field.default_factory
            namespace["_missing"] = _FACTORY
            signature.append(f"{name}=_missing")
            defaults.append(f"    if {name} is _missing:\n        {name} = _factory_{name}()")
        elif field.default is not dataclasses.MISSING:
            namespace[f"_default_{name}"] = field.default
            signature.append(f"{name}=_default_{name}")
        else:
            signature.append(name)
    names = ", ".join(field.name for field in fields)
    body = [
        *defaults,
        # A subclass's instance has another layout: the dataclass's own __init__ builds it.
        "    if self.__class__ is not _cls:",
        f"        return _original(self, {names})",
        "    _set_class(self, _twin)",
        *stored,
    ]
    body.append("    self.__class__ = _cls")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    source = f"def __init__(self, {', '.join(signature)}):\n" + "\n".join(body)
    exec(source, namespace)  # noqa: S102 - built from the class's own field names
    init = namespace["__init__"]
    init.__qualname__ = original.__qualname__
    init.__annotations__ = original.__annotations__
    init.__doc__ = original.__doc__
    init.__module__ = cls.__module__
    type.__setattr__(cls, "__init__", init)
    return cls
