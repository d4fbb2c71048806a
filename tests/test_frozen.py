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
from hypothesis import given
from hypothesis import strategies as st

from smsc_transports import Message, SMSCError, results
from smsc_transports.frozen import builder, quick_init, seal, stores


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

    # A subclass has no twin: its stores go through object.__setattr__.
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

    # A subclass has no twin: it is stored into the slow way.
    sub = Subclassed("79160000001", "hello")
    assert type(sub) is Subclassed and sub.text == "hello"
    assert sub == Subclassed("79160000001", "hello")
    opened = stores(sub)
    assert type(opened) is not Subclassed
    assert seal(opened, Subclassed) is sub


# --- builder: the class call as a plain function ----------------------------------------

_MESSAGE = Message("79160000001", "hello")
_ERROR = SMSCError("refused")
_PHONE_RESULTS = st.builds(
    results.PhoneResult,
    st.text(max_size=16),
    st.none() | st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.none() | st.sampled_from(list(results.MessageStatus)),
    st.none() | st.integers(-10, 300),
    st.none() | st.text(max_size=6),
    st.dictionaries(st.text(max_size=4), st.integers()),
    st.none() | st.text(max_size=8),
)
_SEND_RESULTS = st.builds(
    results.SendResult,
    st.text(max_size=8),
    st.integers(0, 10),
    st.none() | st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.none() | st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.lists(_PHONE_RESULTS, max_size=3).map(tuple),
    st.sampled_from(["", "https", "smpp"]),
    st.booleans(),
    st.none() | st.dictionaries(st.text(max_size=4), st.integers()),
)


def _the_same_value(built: Any, called: Any) -> None:
    assert type(built) is type(called)
    assert all(a is b for a, b in zip(_fields(built), _fields(called), strict=True))
    assert built == called and hash(built) == hash(called) and repr(built) == repr(called)
    try:
        pickled = pickle.dumps(called)
    except TypeError as refused:  # a Message's extra (a mappingproxy) does not pickle
        with pytest.raises(type(refused), match=str(refused)):
            pickle.dumps(built)
    else:
        assert pickle.dumps(built) == pickled and pickle.loads(pickled) == built
    first = dataclasses.fields(built)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(built, first, None)


@given(_PHONE_RESULTS, st.data())
def test_build_phone_result_gives_what_the_class_call_gives(
    value: results.PhoneResult, data: st.DataObject
) -> None:
    # Any split of the same arguments into positional and keyword ones.
    values = _fields(value)
    split = data.draw(st.integers(1, len(values)))
    names = [f.name for f in dataclasses.fields(value)][split:]
    keywords = dict(zip(names, values[split:], strict=True))
    _the_same_value(
        results.build_phone_result(*values[:split], **keywords),
        results.PhoneResult(*values[:split], **keywords),
    )


@given(_SEND_RESULTS)
def test_build_send_result_gives_what_the_class_call_gives(value: results.SendResult) -> None:
    keywords = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    _the_same_value(results.build_send_result(**keywords), results.SendResult(**keywords))


@given(st.integers(0, 10**6), st.none() | _SEND_RESULTS, st.sampled_from([None, _ERROR]))
def test_build_outcome_gives_what_the_class_call_gives_and_refuses_the_same(
    index: int, result: results.SendResult | None, error: SMSCError | None
) -> None:
    if (result is None) == (error is None):  # __post_init__ refuses both and neither
        with pytest.raises(ValueError, match="exactly one of result and error") as called:
            results.Outcome(index, _MESSAGE, result, error)
        with pytest.raises(ValueError) as built:
            results.build_outcome(index, _MESSAGE, result, error)
        assert str(built.value) == str(called.value)
    else:
        _the_same_value(
            results.build_outcome(index, _MESSAGE, result, error),
            results.Outcome(index, _MESSAGE, result, error),
        )


def test_a_builder_has_the_class_signature_defaults_and_wrong_call_errors() -> None:
    build = builder(Quick)
    assert inspect.signature(build).parameters == inspect.signature(Quick).parameters
    first, second = build("1"), build("2")
    assert first.raw == {} and first.raw is not second.raw  # the factory, once per value
    assert build("7916", Decimal(1), id="3") == Quick("7916", Decimal(1), id="3")
    with pytest.raises(ValueError, match="refused"):
        build("refused")
    with pytest.raises(TypeError, match=r"^Quick\(\) missing 1 required positional argument"):
        build()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'unknown'"):
        build("7916", unknown=1)  # type: ignore[call-arg]


def test_only_a_quick_init_class_has_a_builder() -> None:
    # Message's own __init__ validates: a builder would store its fields unchecked.
    for cls in (Plain, Message, results.HlrInfo):
        with pytest.raises(TypeError, match="no __init__ from quick_init"):
            builder(cls)

    @quick_init
    @dataclass(frozen=True, slots=True)
    class Counted:
        phone: str

        def __new__(cls, *args: Any, **kwargs: Any) -> Counted:
            return super().__new__(cls)

    with pytest.raises(TypeError, match="its own __new__"):
        builder(Counted)
