"""The command line's conventions, shared by every subcommand: a usage error exits 3 (argparse's
own errors included: a missing or unknown argument, a bad value), help is plain text, and
--warehouse and --landing fall back to an environment variable."""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Sequence
from typing import Any, NoReturn

# 2 is "refused to publish"; argparse's own status for a usage error would say that.
EXIT_USAGE = 3
WAREHOUSE_ENV = "POSAUDIT_WAREHOUSE"
LANDING_ENV = "POSAUDIT_LANDING"

EXIT_CODES = """exit codes:
  0  done (refresh: published, or unchanged and the current snapshot has no warnings)
  1  published with warnings (refresh: also unchanged, when the current snapshot has them)
  2  refused to publish: the previous snapshot stays live
  3  usage or input error, or the warehouse is locked by another writer"""


class LineFormatter(argparse.HelpFormatter):
    """Wraps each line of a description or epilog on its own: lists (the exit codes) keep
    their lines, long sentences still fit the terminal."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        lines = []
        for line in text.splitlines():
            # An indented list item ("  0  done …") continues under its text.
            hang = len(line) - len(line.lstrip())
            lines.append(textwrap.fill(line, width, initial_indent=indent,
                                       subsequent_indent=indent + " " * (hang + 3 if hang else 0))
                         if line.strip() else "")
        return "\n".join(lines)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors exit 3 and whose subcommands are Parsers too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", LineFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")

    # Any, as in argparse's overloads: the result is the namespace object the caller passed.
    def parse_known_args(self, args: Sequence[str] | None = None, namespace: Any = None,
                         ) -> tuple[Any, list[str]]:
        parsed, rest = super().parse_known_args(args, namespace)
        # Subcommands are parsed by this same method, so each checks its own options.
        for action in self._actions:
            if isinstance(action, FromEnv) and getattr(parsed, action.dest, None) is None:
                value = os.environ.get(action.env)
                if not value:
                    self.error(f"{action.option_strings[0]} or {action.env} is required")
                setattr(parsed, action.dest, value)
        return parsed, rest


class FromEnv(argparse.Action):
    """A required option whose value may come from an environment variable instead."""

    def __init__(self, option_strings: list[str], dest: str, *, env: str,
                 **kwargs: Any) -> None:
        kwargs.setdefault("metavar", dest.upper())
        super().__init__(option_strings, dest, **kwargs)
        self.env = env

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        setattr(namespace, self.dest, values)


def add_warehouse(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", action=FromEnv, env=WAREHOUSE_ENV, metavar="W",
                        help=f"warehouse folder (default: ${WAREHOUSE_ENV})")


def add_landing(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--landing", action=FromEnv, env=LANDING_ENV, metavar="LANDING",
                        help=f"landing zone folder (default: ${LANDING_ENV})")


def add_verbose(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-v", "--verbose", dest="list_files", action="store_true",
                        help="also print one line per landing file decided")


def subcommand(sub: Any, name: str, summary: str, *, epilog: str | None = None,
               **kwargs: Any) -> argparse.ArgumentParser:
    """A subcommand whose own --help opens with the line the command list shows."""
    return sub.add_parser(name, help=summary, description=summary, epilog=epilog, **kwargs)

