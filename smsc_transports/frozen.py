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
is written by hand (it validates what it stores). :func:`builder` makes the class call
of a :func:`quick_init` class a plain function, for loops that build one per recipient.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

__all__ = ["builder", "quick_init", "seal", "stores"]

_T = TypeVar("_T")
_P = ParamSpec("_P")
# A store no class's own ``__setattr__`` can refuse.
_store = object.__setattr__
# The setter of ``__class__`` itself: ``object.__setattr__`` would look the name up first.
_set_class = object.__dict__["__class__"].__set__
# Each class's twin, made on first use; None for a class that cannot have one.
_TWINS: dict[type, type | None] = {}
# What quick_init read of each class it gave an __init__; a builder builds the same.
_PLANS: dict[type, _Plan] = {}


def _twin(cls: type) -> type | None:
    """A subclass of ``cls`` adding no slots, whose instances take plain attribute stores.

    An instance may change its class only to one of the same layout. A subclass that adds
    no slots has it by construction, and CPython checks that more cheaply than for a
    sibling class with the same slots (it compares no slot names), on both changes of
    class. Only a slotted class made directly from ``object`` has one (the values this
    module serves); an instance of a subclass of one is stored into through
    ``object.__setattr__`` (:func:`stores`) or built by the dataclass's own ``__init__``
    (:func:`quick_init`), which knows the fields a subclass may add.
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
    original = vars(cls)["__init__"]
    plan = _PLANS[cls] = _Plan(cls)
    plan.namespace["_original"] = original
    body = [
        *plan.defaults,
        # A subclass may add fields and checks: the dataclass's own __init__ builds it.
        "    if self.__class__ is not _cls:",
        f"        return _original(self, {', '.join(plan.names)})",
        "    _set_class(self, _twin)",
        *plan.stores,
        "    self.__class__ = _cls",
        *plan.post_init,
    ]
    init = plan.compiled("__init__", ["self", *plan.signature], body)
    init.__qualname__ = original.__qualname__
    init.__annotations__ = original.__annotations__
    init.__doc__ = original.__doc__
    type.__setattr__(cls, "__init__", init)
    return cls


def builder(cls: Callable[_P, _T]) -> Callable[_P, _T]:
    """A function that takes what ``cls`` takes and returns the same value as ``cls(...)``.

    For the loops that build one value per recipient. The class call hands keyword
    arguments to ``__init__`` in a dict, allocates an instance of ``cls`` and changes its
    class twice; the function takes its arguments as any function does and allocates the
    instance as its twin (one change of class). Same defaults, default factories,
    ``__post_init__`` and errors as the ``__init__`` :func:`quick_init` gave ``cls``
    (only such a class has a builder: one with a hand-written ``__init__`` validates what
    a builder would store unchecked). It is named after the class, so that a wrong
    call's ``TypeError`` names the class.
    """
    plan = _PLANS.get(cls)  # type: ignore[call-overload]
    if plan is None:
        raise TypeError(f"{cls!r} has no __init__ from quick_init to build as")
    if vars(cls).get("__new__") is not None:
        raise TypeError(f"{cls!r} has its own __new__, which the class call would run")
    plan.namespace["_new"] = object.__new__
    body = [
        *plan.defaults,
        "    self = _new(_twin)",
        *plan.stores,
        "    self.__class__ = _cls",
        *plan.post_init,
        "    return self",
    ]
    function = plan.compiled(cls.__name__, plan.signature, body)
    function.__qualname__ = cls.__qualname__
    function.__annotations__ = {**vars(cls)["__init__"].__annotations__, "return": cls.__name__}
    function.__doc__ = f"A new :class:`{cls.__name__}`, the same value as the class call builds."
    return function  # type: ignore[no-any-return]


class _Plan:
    """The source lines :func:`quick_init` and :func:`builder` make from a class's fields."""

    def __init__(self, cls: type) -> None:
        params = getattr(cls, "__dataclass_params__", None)
        twin = _twin(cls)
        if params is None or not params.frozen or twin is None:
            raise TypeError(f"{cls.__name__} is not a frozen, slotted dataclass without a base")
        self.cls = cls
        self.namespace: dict[str, Any] = {"_twin": twin, "_cls": cls, "_set_class": _set_class}
        self.names: list[str] = []
        self.signature: list[str] = []
        self.defaults: list[str] = []
        self.stores: list[str] = []
        for field in dataclasses.fields(cls):
            if not field.init or field.kw_only:
                raise TypeError(
                    f"{cls.__name__}.{field.name}: only plain init fields are supported"
                )
            name = field.name
            self.names.append(name)
            self.stores.append(f"    self.{name} = {name}")
            if field.default_factory is not dataclasses.MISSING:
                self.namespace[f"_factory_{name}"] = field.default_factory
                self.namespace["_missing"] = _FACTORY
                self.signature.append(f"{name}=_missing")
                self.defaults.append(
                    f"    if {name} is _missing:\n        {name} = _factory_{name}()"
                )
            elif field.default is not dataclasses.MISSING:
                self.namespace[f"_default_{name}"] = field.default
                self.signature.append(f"{name}=_default_{name}")
            else:
                self.signature.append(name)
        self.post_init = ["    self.__post_init__()"] if hasattr(cls, "__post_init__") else []

    def compiled(self, name: str, parameters: list[str], body: list[str]) -> Any:
        """The function ``name`` with ``parameters`` and ``body``, in the class's module."""
        source = f"def {name}({', '.join(parameters)}):\n" + "\n".join(body)
        exec(source, self.namespace)  # noqa: S102 - built from the class's own field names
        function = self.namespace.pop(name)
        function.__module__ = self.cls.__module__
        return function
