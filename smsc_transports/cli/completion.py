"""``smsc completion bash|zsh|fish``: a shell completion script generated from the parser.

The script is built from the same :mod:`argparse` parser that runs the command, so it
never drifts from it: it completes subcommand names, each subcommand's options, the
values of options with fixed choices, and file names where a subcommand takes a file.
Install it with, for example::

    smsc completion bash > ~/.local/share/bash-completion/completions/smsc
    smsc completion zsh  > "${fpath[1]}/_smsc"
    smsc completion fish > ~/.config/fish/completions/smsc.fish
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from typing import Any

from smsc_transports.cli.verbosity import add_verbosity_options

__all__ = ["SHELLS", "Command", "Option", "add_completion_parser", "describe", "render"]

SHELLS = ("bash", "zsh", "fish")


@dataclass(frozen=True)
class Option:
    """One option of a subcommand: its flags, whether it takes a value, its choices."""

    flags: tuple[str, ...]
    help: str = ""
    takes_value: bool = False
    choices: tuple[str, ...] = ()
    file: bool = False


@dataclass(frozen=True)
class Command:
    """A subcommand: its name, help, options and whether it takes a file argument."""

    name: str
    help: str = ""
    options: tuple[Option, ...] = ()
    takes_file: bool = False
    words: tuple[str, ...] = field(default=())
    """Values a positional argument with fixed choices takes (``completion bash``)."""


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction[Any] | None:
    # argparse has no public way to list subcommands; its action objects are stable.
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


_FILE_DESTS = frozenset({"file", "out", "journal", "path", "config"})


def _is_file(dest: str) -> bool:
    """Whether an argument names a file (by its destination name; argparse has no types)."""
    return dest in _FILE_DESTS or dest.endswith(("_file", "_path"))


def describe(parser: argparse.ArgumentParser) -> list[Command]:
    """Return every subcommand of ``parser`` with its options, in registration order."""
    sub = _subparsers(parser)
    if sub is None:
        return []
    helps = {choice.dest: choice.help or "" for choice in sub._choices_actions}
    commands = []
    for name, subparser in sub.choices.items():
        options = []
        positional = []
        words: list[str] = []
        for action in subparser._actions:
            if not action.option_strings:
                positional.append(action.dest)
                words.extend(str(c) for c in action.choices or ())
                continue
            takes_value = action.nargs != 0
            options.append(
                Option(
                    flags=tuple(action.option_strings),
                    help=action.help or "",
                    takes_value=takes_value,
                    choices=tuple(str(c) for c in action.choices or ()),
                    file=takes_value and not action.choices and _is_file(action.dest),
                )
            )
        commands.append(
            Command(
                name=name,
                help=helps.get(name, ""),
                options=tuple(options),
                takes_file=any(_is_file(p) for p in positional),
                words=tuple(words),
            )
        )
    return commands


def _plain(text: str) -> str:
    """Help text safe inside any of the three shells' quoting: no quotes, brackets, colons."""
    return re.sub(r"[\[\]:'\"`$\\]", "", " ".join(text.split()))[:70]


def _bash(commands: list[Command]) -> str:
    names = " ".join(c.name for c in commands)
    cases = []
    for command in commands:
        flags = " ".join(f for o in command.options for f in o.flags)
        prev_cases = []
        for option in command.options:
            pattern = "|".join(option.flags)
            if option.choices:
                words = " ".join(option.choices)
                reply = f'COMPREPLY=($(compgen -W "{words}" -- "$cur")); return;;'
            elif option.file:
                reply = 'COMPREPLY=($(compgen -f -- "$cur")); return;;'
            elif option.takes_value:
                reply = "return;;"
            else:
                continue
            prev_cases.append(f"            {pattern}) {reply}")
        value_cases = "\n".join(prev_cases)
        if command.words:
            others = f'COMPREPLY=($(compgen -W "{" ".join(command.words)}" -- "$cur"))'
        elif command.takes_file:
            others = 'COMPREPLY=($(compgen -f -- "$cur"))'
        else:
            others = "COMPREPLY=()"
        cases.append(
            f"""    {command.name})
        case $prev in
{value_cases}
        esac
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "{flags}" -- "$cur"))
        else
            {others}
        fi;;"""
        )
    body = "\n".join(cases)
    return f"""# bash completion for smsc (generated by `smsc completion bash`)
_smsc() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}}
    local sub="" i
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ ${{COMP_WORDS[i]}} != -* ]]; then sub=${{COMP_WORDS[i]}}; break; fi
    done
    case $sub in
    "")
        COMPREPLY=($(compgen -W "{names} -h --help" -- "$cur"));;
{body}
    esac
}}
complete -o filenames -F _smsc smsc
"""


def _zsh_option(option: Option) -> str:
    help_text = _plain(option.help)
    action = ""
    if option.choices:
        action = f":value:({' '.join(option.choices)})"
    elif option.file:
        action = ":file:_files"
    elif option.takes_value:
        action = ":value: "
    if len(option.flags) == 1:
        return f"'{option.flags[0]}[{help_text}]{action}'"
    flags = ",".join(option.flags)
    return f"'({' '.join(option.flags)})'{{{flags}}}'[{help_text}]{action}'"


def _zsh(commands: list[Command]) -> str:
    described = "\n".join(f"        '{c.name}:{_plain(c.help)}'" for c in commands)
    cases = []
    for command in commands:
        specs = [_zsh_option(o) for o in command.options]
        if command.words:
            specs.append(f"'1:value:({' '.join(command.words)})'")
        elif command.takes_file:
            specs.append("'*:file:_files'")
        joined = " \\\n                ".join(specs)
        cases.append(f"        {command.name})\n            _arguments {joined};;")
    body = "\n".join(cases)
    return f"""#compdef smsc
# zsh completion for smsc (generated by `smsc completion zsh`)
_smsc() {{
    local -a commands
    commands=(
{described}
    )
    if (( CURRENT == 2 )); then
        _describe -t commands 'smsc command' commands
        return
    fi
    words=("${{(@)words[2,-1]}}")
    (( CURRENT-- ))
    case $words[1] in
{body}
    esac
}}
compdef _smsc smsc
"""


def _fish(commands: list[Command]) -> str:
    names = " ".join(c.name for c in commands)
    lines = [
        "# fish completion for smsc (generated by `smsc completion fish`)",
        "complete -c smsc -f",
    ]
    for command in commands:
        lines.append(
            f"complete -c smsc -n 'not __fish_seen_subcommand_from {names}' "
            f"-a {command.name} -d '{_plain(command.help)}'"
        )
    for command in commands:
        seen = f"-n '__fish_seen_subcommand_from {command.name}'"
        if command.words:
            lines.append(f"complete -c smsc {seen} -a '{' '.join(command.words)}'")
        elif command.takes_file:
            lines.append(f"complete -c smsc {seen} -F")
        for option in command.options:
            parts = [f"complete -c smsc {seen}"]
            for flag in option.flags:
                parts.append(f"-l {flag[2:]}" if flag.startswith("--") else f"-s {flag[1:]}")
            if option.choices:
                parts.append(f"-x -a '{' '.join(option.choices)}'")
            elif option.file:
                parts.append("-r -F")
            elif option.takes_value:
                parts.append("-x")
            parts.append(f"-d '{_plain(option.help)}'")
            lines.append(" ".join(parts))
    return "\n".join(lines) + "\n"


def render(parser: argparse.ArgumentParser, shell: str) -> str:
    """Return the completion script for ``shell`` (one of :data:`SHELLS`)."""
    commands = describe(parser)
    if shell == "bash":
        return _bash(commands)
    if shell == "zsh":
        return _zsh(commands)
    if shell == "fish":
        return _fish(commands)
    raise ValueError(f"no completion for {shell!r}; choose one of {', '.join(SHELLS)}")


def completion_command(args: argparse.Namespace) -> int:
    """Print the completion script for ``args.shell`` (``args.root``: the ``smsc`` parser)."""
    print(render(args.root, args.shell), end="")
    return 0


def add_completion_parser(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Register ``smsc completion SHELL``."""
    p = subparsers.add_parser("completion", help="print a shell completion script")
    p.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    add_verbosity_options(p)
    p.set_defaults(handler=completion_command)
