"""The layer rules of the package, read from the imports of every module.

Each package's ``__init__`` docstring states its rule; this test holds the code to them:

* ``wire/`` is sans-I/O: it imports the value core, other ``wire`` modules, the standard
  library's pure parts and the pure third-party codecs, never a socket, thread, selector,
  event loop or network client;
* ``backends/`` never imports ``emulator/``, ``cli/``, ``callbacks/`` or ``contrib/``;
* ``emulator/`` never imports ``backends/`` or ``cli/``, and its ``state/`` no front end;
* ``cli/`` never imports ``backends/``; ``callbacks/`` and ``contrib/`` neither, nor the
  emulator;
* the core imports none of the layers above it;
* no import cycle anywhere, lazy and ``TYPE_CHECKING`` imports included.

Every import counts wherever it stands (module level, in a function, under
``TYPE_CHECKING``), so a rule cannot be dodged by moving an import into a function.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "smsc_transports"
ROOT = "smsc_transports"

VALUE_CORE = {
    f"{ROOT}.{name}"
    for name in (
        "config",
        "encoding",
        "errors",
        "field_support",
        "frozen",
        "message",
        "observe",
        "results",
        "statuses",
        "translit",
        "transport",
    )
}
CORE = VALUE_CORE | {ROOT, f"{ROOT}.adapters", f"{ROOT}.factory"}

# What sans-I/O code may take from outside the package.
PURE_STDLIB = {
    "__future__",
    "abc",
    "base64",
    "binascii",
    "codecs",
    "collections",
    "dataclasses",
    "datetime",
    "decimal",
    "email",
    "enum",
    "functools",
    "hashlib",
    "importlib",
    "itertools",
    "json",
    "logging",
    "math",
    "operator",
    "random",  # a seeded draw (reconnect jitter), like time.monotonic a value source
    "re",
    "secrets",
    "string",
    "struct",
    "time",
    "typing",
    "unicodedata",
    "urllib",
    "uuid",
}
PURE_THIRD_PARTY = {"smpplib", "lxml"}
# Of those, the submodules that do I/O.
IO_SUBMODULES = {"urllib.request", "smpplib.client", "smpplib.gsm"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name: str) -> str:
    """The module ``name`` names: itself, or the package holding an imported attribute."""
    while name and name not in MODULES and name.startswith(ROOT):
        name = name.rpartition(".")[0]
    return name


def _imports(module: str) -> Iterator[str]:
    """Every module ``module`` imports, ours resolved to a module of the package."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    is_package = MODULES[module].name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield _resolve(alias.name) if alias.name.startswith(ROOT) else alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module if is_package else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}" if base else anchor
            if not base.startswith(ROOT):
                yield base
                continue
            for alias in node.names:
                yield _resolve(f"{base}.{alias.name}")


GRAPH = {module: sorted(set(_imports(module)) - {module}) for module in MODULES}


def _ours(module: str) -> list[str]:
    return [target for target in GRAPH[module] if target.startswith(ROOT)]


def _in(module: str, *layers: str) -> bool:
    return any(
        module == f"{ROOT}.{layer}" or module.startswith(f"{ROOT}.{layer}.") for layer in layers
    )


def _modules_in(layer: str) -> list[str]:
    return [module for module in MODULES if _in(module, layer)]


def test_the_scan_sees_the_package_and_its_imports() -> None:
    # Guards the test itself: an empty graph would let every rule pass.
    assert len(MODULES) > 100
    assert f"{ROOT}.wire.smpp.pdu" in GRAPH[f"{ROOT}.wire.smpp.session.link"]
    assert f"{ROOT}.errors" in GRAPH[f"{ROOT}.message"]
    assert "requests" in GRAPH[f"{ROOT}.backends.soap.session"]


def _not_sans_io(module: str) -> list[str]:
    """What ``module`` imports that sans-I/O code must not."""
    bad = []
    for target in GRAPH[module]:
        if target.startswith(ROOT):
            if not (target in VALUE_CORE or _in(target, "wire")):
                bad.append(target)
            continue
        top = target.partition(".")[0]
        allowed = top in PURE_STDLIB or top in PURE_THIRD_PARTY
        if not allowed or any(target.startswith(io) for io in IO_SUBMODULES):
            bad.append(target)
    return bad


def _crossings(layer: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    """The modules of ``layer`` that import one of ``forbidden``, with what they import."""
    found = {
        module: [target for target in _ours(module) if _in(target, *forbidden)]
        for module in _modules_in(layer)
    }
    return {module: targets for module, targets in found.items() if targets}


@pytest.mark.parametrize("module", _modules_in("wire"))
def test_wire_is_sans_io(module: str) -> None:
    assert not _not_sans_io(module), f"{module} (wire/ is sans-I/O) imports {_not_sans_io(module)}"


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("backends", ("emulator", "cli", "callbacks", "contrib")),
        ("emulator", ("backends", "cli", "callbacks", "contrib")),
        ("cli", ("backends",)),
        ("callbacks", ("backends", "emulator", "cli", "contrib")),
        ("contrib", ("backends", "emulator", "cli", "callbacks")),
    ],
)
def test_a_layer_never_imports_the_ones_it_must_not_know(
    layer: str, forbidden: tuple[str, ...]
) -> None:
    assert not _crossings(layer, forbidden)


def test_the_rules_catch_a_forbidden_import() -> None:
    # Guards the rules themselves: planted imports must be reported.
    link, reader = f"{ROOT}.wire.smpp.session.link", f"{ROOT}.backends.smpp.sync_link"
    GRAPH[link].extend(["socket", f"{ROOT}.backends.smpp"])
    GRAPH[reader].append(f"{ROOT}.emulator")
    try:
        assert set(_not_sans_io(link)) == {"socket", f"{ROOT}.backends.smpp"}
        assert _crossings("backends", ("emulator",)) == {reader: [f"{ROOT}.emulator"]}
    finally:
        del GRAPH[link][-2:]
        GRAPH[reader].pop()


def test_the_emulator_state_knows_no_front_end() -> None:
    state = _modules_in("emulator.state")
    assert state, "the emulator keeps its state in emulator/state/"
    fronts = ("emulator.http", "emulator.smpp", "emulator.smtp", "emulator.server")
    bad = {module: [t for t in _ours(module) if _in(t, *fronts)] for module in state}
    assert not {module: targets for module, targets in bad.items() if targets}


def test_the_core_imports_no_layer_above_it() -> None:
    layers = ("wire", "backends", "emulator", "cli", "callbacks", "contrib")
    bad = {module: [t for t in _ours(module) if _in(t, *layers)] for module in CORE}
    assert not {module: targets for module, targets in bad.items() if targets}


def _cycle() -> list[str] | None:
    """One import cycle among the package's modules, or ``None``."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(module: str) -> list[str] | None:
        path.append(module)
        on_path.add(module)
        for target in _ours(module):
            if target in on_path:
                return [*path[path.index(target) :], target]
            if target not in done and (found := visit(target)):
                return found
        path.pop()
        on_path.discard(module)
        done.add(module)
        return None

    for module in MODULES:
        if module not in done and (found := visit(module)):
            return found
    return None


def test_no_import_cycles() -> None:
    # The package face imports the whole public API; a module that imports a name from
    # it would close a circle through it, so the face is a node like any other.
    assert _cycle() is None, " -> ".join(_cycle() or [])


@pytest.mark.parametrize(
    "package", [m for m, path in MODULES.items() if path.name == "__init__.py"]
)
def test_every_package_face_states_its_rule(package: str) -> None:
    docstring = ast.get_docstring(ast.parse(MODULES[package].read_text(encoding="utf-8")))
    assert docstring, f"{package}/__init__.py has no docstring"
    assert "Rule" in docstring, f"{package}/__init__.py does not state its rule"


def test_the_cycle_finder_finds_a_cycle() -> None:
    # Guards the finder: a graph with a known circle must be reported.
    module, target = f"{ROOT}.errors", f"{ROOT}.message"
    GRAPH[module].append(target)
    try:
        found = _cycle()
    finally:
        GRAPH[module].remove(target)
    assert found is not None and found[0] == found[-1]


def test_no_folder_keeps_three_modules_sharing_a_name_prefix() -> None:
    # Name prefixes (smpp_*, cli_*) doing the job of a folder: three make a folder.
    crowded = {}
    for folder in {path.parent for path in MODULES.values()}:
        stems = [p.stem for p in folder.glob("*.py") if not p.stem.startswith("_")]
        prefixes = Counter(stem.split("_")[0] for stem in stems if "_" in stem)
        crowded.update({f"{folder.name}/{k}_*": n for k, n in prefixes.items() if n >= 3})
    assert not crowded
