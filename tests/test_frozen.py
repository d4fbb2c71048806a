"""quick_init, stores and seal: frozen values built cheaply, and the same as the dataclass's."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from smsc_transports import Message, results
from smsc_transports.frozen import quick_init, seal, stores


@dataclass(frozen=True, slots=True)
class Plain:
    phone: str
    cost: Decimal | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)
    id: str | None = None

    def __post_init__(self) -> None:
        if self.phone == "refused":
            raise ValueError("refused")


@quick_init
@dataclass(frozen=True, slots=True)
class Quick:
    phone: str
    cost: Decimal | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)
    id: str | None = None

    def __post_init__(self) -> None:
        if self.phone == "refused":
            raise ValueError("refused")


def _fields(value: Any) -> tuple[Any, ...]:
    return tuple(getattr(value, f.name) for f in dataclasses.fields(value))


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("7916",), {}),
        (("7916", Decimal("1.5")), {}),
        (("7916",), {"raw": {"a": 1}, "id": "12"}),
        ((), {"phone": "7916", "id": "3", "cost": None}),
    ],
)
def test_a_quick_value_holds_what_the_dataclass_init_stores(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    quick, plain = Quick(*args, **kwargs), Plain(*args, **kwargs)
    assert type(quick) is Quick
    assert _fields(quick) == _fields(plain)
    assert repr(quick) == repr(plain).replace("Plain", "Quick")
    assert quick == Quick(*args, **kwargs)
    assert hash(quick) == hash(Quick(*args, **kwargs))
    assert pickle.loads(pickle.dumps(quick)) == quick
    assert copy.deepcopy(quick) == quick


def test_a_quick_value_is_frozen_and_keeps_its_checks() -> None:
    value = Quick("7916")
    with pytest.raises(dataclasses.FrozenInstanceError):
        value.phone = "7917"  # type: ignore[misc]
    with pytest.raises(ValueError, match="refused"):
        Quick("refused")
    with pytest.raises(TypeError):
        Quick()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Quick("7916", unknown=1)  # type: ignore[call-arg]


def test_each_quick_value_gets_its_own_default_from_the_factory() -> None:
    first, second = Quick("1"), Quick("2")
    assert first.raw == {} and first.raw is not second.raw
    given = {"x": 1}
    assert Quick("3", raw=given).raw is given


def test_replace_and_a_plain_subclass_build_through_quick_init() -> None:
    value = dataclasses.replace(Quick("7916", id="1"), id="2")
    assert (type(value), value.id, value.phone) == (Quick, "2", "7916")

    class Sub(Quick):
        __slots__ = ()

    sub = Sub("7916", Decimal(2))
    assert type(sub) is Sub and sub.cost == Decimal(2) and sub.raw == {}
    with pytest.raises(dataclasses.FrozenInstanceError):
        sub.id = "x"  # type: ignore[misc]


def test_quick_init_builds_through_the_twin_not_object_setattr() -> None:
    # Every result above would be the same on the slow path: check the fast one runs.
    assert "_twin" in vars(Quick)["__init__"].__code__.co_names  # quick_init's, not Plain's
    assert "_twin" not in vars(Plain)["__init__"].__code__.co_names
    value = object.__new__(Quick)
    opened: Any = stores(value)
    assert type(value).__name__ == "QuickDraft"  # the twin, which takes plain stores
    opened.phone, opened.cost, opened.raw, opened.id = "7916", None, {}, None
    assert opened is value
    assert seal(opened, Quick) is value and type(value) is Quick
    assert value == Quick("7916")

    class Sub(Quick):
        __slots__ = ()

    # A subclass may have its own __setattr__: no twin, stores go through object.__setattr__.
    assert type(stores(object.__new__(Sub))).__name__ == "_Setter"


def test_the_twin_is_a_subclass_adding_no_slots_with_plain_stores() -> None:
    # The same layout by construction (so CPython allows the change of class without
    # comparing slot names), and both halves of the frozen setattr slot replaced: with the
    # dataclass's __delattr__ left in place every store would run through Python.
    twin = type(stores(object.__new__(Quick)))
    assert twin.__bases__ == (Quick,) and vars(twin)["__slots__"] == ()
    assert vars(twin)["__setattr__"] is object.__setattr__
    assert vars(twin)["__delattr__"] is object.__delattr__
    draft: Any = object.__new__(twin)
    draft.phone = "7916"
    del draft.phone
    with pytest.raises(AttributeError):
        draft.phone  # noqa: B018 - reading the deleted slot is the check


def test_quick_init_keeps_the_signature_the_dataclass_would_have() -> None:
    assert str(inspect.signature(Quick)) == str(inspect.signature(Plain))
    for cls in (results.PhoneResult, results.SendResult, results.CostResult, results.Outcome):
        names = [p.name for p in inspect.signature(cls).parameters.values()]
        assert names == [f.name for f in dataclasses.fields(cls)]


def test_quick_init_refuses_what_it_cannot_build() -> None:
    @dataclass(slots=True)
    class Mutable:
        a: int

    @dataclass(frozen=True)
    class Unslotted:
        a: int

    for cls in (Mutable, Unslotted):
        with pytest.raises(TypeError):
            quick_init(cls)


def test_stores_and_seal_build_a_hand_written_frozen_value() -> None:
    message = Message("79160000001", "hello")
    assert type(message) is Message and message.phones == ("79160000001",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.text = "changed"  # type: ignore[misc]

    class Subclassed(Message):
        __slots__ = ()

    # A subclass has no twin of its own layout: it is stored into the slow way.
    sub = Subclassed("79160000001", "hello")
    assert type(sub) is Subclassed and sub.text == "hello"
    assert sub == Subclassed("79160000001", "hello")
    opened = stores(sub)
    assert type(opened) is not Subclassed
    assert seal(opened, Subclassed) is sub
