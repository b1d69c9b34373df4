"""``posaudit cases``: list, show, act on, sync and verify cases; add users.

Exit codes: 0 done (verify: intact), 2 verify found problems or a bulk action was refused on
some cases, 3 usage or input error (including a refused action).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from posaudit.arguments import Parser, add_warehouse, subcommand
from posaudit.cases import lifecycle, roles, trail
from posaudit.cases.store import Store

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 2, 3
LIST_COLUMNS = ("case_id", "state", "amount", "currency", "assignee", "opened_at", "title")


def register(subparsers: Any) -> None:
    """Add `cases` and its sub-commands to a parent parser's subparsers."""
    cases = subcommand(subparsers, "cases", "cases: list, show, act, sync, verify, users",
                       epilog="exit codes: 0 done (verify: intact), 2 verify found problems or a "
                              "bulk action was refused on some cases, 3 usage or input error "
                              "(including a refused action)")
    sub = cases.add_subparsers(dest="cases_command", required=True)

    def common(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        add_warehouse(p)
        p.add_argument("--users", help="users file (default: WAREHOUSE/users.json)")
        return p

    p = common(subcommand(sub, "list", "cases, oldest first"))
    p.add_argument("--state", choices=lifecycle.STATES)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = common(subcommand(sub, "show", "one case and its trail"))
    p.add_argument("case_id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)

    p = common(subcommand(sub, "act", "act on a case: act CASE_ID ACTION, or act ACTION with "
                                      "--all-open-of-type or --state for every matching case"))
    p.add_argument("target", nargs="+", metavar="[CASE_ID] ACTION",
                   help=f"actions: {', '.join(lifecycle.TRANSITIONS)}")
    p.add_argument("--actor", required=True, help="who acts; their role decides what is allowed")
    p.add_argument("--amount", help="refund, recovery or write-off amount (> 0)")
    p.add_argument("--reference", help="refund or recovery voucher (required for those)")
    p.add_argument("--reason", help="why; the text of a comment")
    p.add_argument("--assignee", help="for assign (default: the actor)")
    p.add_argument("--all-open-of-type", metavar="TYPE",
                   help="every OPEN case of this exception type")
    p.add_argument("--state", choices=lifecycle.STATES, help="every case in this state")
    p.set_defaults(func=cmd_act)

    p = common(subcommand(sub, "sync", "open a case for every exception and every file report "
                                       "in the current snapshot that has none, and link reports "
                                       "to their exceptions' cases"))
    p.set_defaults(func=cmd_sync)

    p = common(subcommand(sub, "verify", "check the trail's hash chain (exit 2 if broken)"))
    p.set_defaults(func=cmd_verify)

    users = subcommand(sub, "users", "manage the users file")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    p = common(subcommand(users_sub, "add", "add or replace a user"))
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=roles.ROLES)
    p.add_argument("--password-stdin", action="store_true",
                   help="read a password (for the dashboard login) from standard input")
    p.set_defaults(func=cmd_users_add)


def _users_file(args: argparse.Namespace) -> Path:
    return Path(args.users) if args.users else roles.users_path(args.warehouse)


def cmd_list(args: argparse.Namespace) -> int:
    rows = lifecycle.list_cases(Store.at(args.warehouse), args.state)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    print("\t".join(LIST_COLUMNS))
    for row in rows:
        print("\t".join("" if row[c] is None else str(row[c]) for c in LIST_COLUMNS))
    print(f"{len(rows)} case(s)", file=sys.stderr)
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    store = Store.at(args.warehouse)
    case = lifecycle.get_case(store, args.case_id)
    if case is None:
        print(f"posaudit cases show: no case {args.case_id}", file=sys.stderr)
        return EXIT_USAGE
    actions = lifecycle.case_trail(store, args.case_id)
    if args.json:
        print(json.dumps({"case": case, "trail": actions}, ensure_ascii=False, indent=2))
        return EXIT_OK
    for key, value in case.items():
        print(f"{key:12} {'' if value is None else value}")
    print("trail:")
    for a in actions:
        extra = " ".join(f"{k}={a[k]}" for k in ("amount", "reference", "reason") if a[k])
        move = a["to_state"] if a["from_state"] in (None, a["to_state"]) else \
            f"{a['from_state']}->{a['to_state']}"
        print(f"  #{a['seq']} {a['at']} {a['actor']} ({a['role']}) {a['action']} {move} {extra}"
              .rstrip())
    return EXIT_OK


def cmd_act(args: argparse.Namespace) -> int:
    bulk = args.all_open_of_type or args.state
    if len(args.target) != (1 if bulk else 2):
        print("posaudit cases act: give CASE_ID ACTION, or ACTION with --all-open-of-type or "
              "--state", file=sys.stderr)
        return EXIT_USAGE
    store = Store.at(args.warehouse)
    actor = lifecycle.Actor.from_users(_users_file(args), args.actor)
    action = args.target[-1]
    case_ids = _matching(store, args.all_open_of_type, args.state) if bulk else [args.target[0]]
    refused = 0
    for case_id in case_ids:
        try:
            row = lifecycle.act(store, case_id, action, actor, amount=args.amount,
                                reference=args.reference, reason=args.reason,
                                assignee=args.assignee or args.actor)
        except lifecycle.ActionRefused as exc:
            refused += 1
            print(f"posaudit cases act: {exc}", file=sys.stderr)
            continue
        print(f"case {case_id}: {action} by {actor.name} -> {row['to_state']} (#{row['seq']})")
    if bulk:
        print(f"{len(case_ids) - refused} of {len(case_ids)} case(s) acted on", file=sys.stderr)
        return EXIT_PROBLEMS if refused else EXIT_OK
    return EXIT_USAGE if refused else EXIT_OK


def _matching(store: Store, exception_type: str | None, state: str | None) -> list[str]:
    where, params = [], []
    if exception_type:
        where.append("c.state = 'OPEN' and json_extract(a.payload, "
                     "'$.exception.exception_type') = ?")
        params.append(exception_type)
    if state:
        where.append("c.state = ?")
        params.append(state)
    # A case's exception is named where it was opened, or where the exception joined it (link).
    sql = ("select distinct c.case_id, c.opened_at from cases c join case_actions a "
           "on a.case_id = c.case_id and a.action in ('open', 'link') "
           f"where {' and '.join(where)} order by c.opened_at, c.case_id")
    with store.read() as conn:
        return [r[0] for r in conn.execute(sql, params)]


def cmd_sync(args: argparse.Namespace) -> int:
    from posaudit.cases.sync import sync
    from posaudit.pipeline.warehouse import Warehouse

    snapshot = Warehouse.at(args.warehouse).current_snapshot()
    result = sync(Store.at(args.warehouse), snapshot)
    print(f"{len(result.opened)} case(s) opened from {snapshot.name}")
    for line in result.summary().splitlines()[1:]:  # reports that joined an existing case
        print(line)
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    store = Store.at(args.warehouse)
    problems = trail.verify(store)
    if not problems:
        print(f"trail intact: {store.path}")
        return EXIT_OK
    for problem in problems:
        print(problem)
    print(f"trail broken: {len(problems)} problem(s) in {store.path}", file=sys.stderr)
    return EXIT_PROBLEMS


def cmd_users_add(args: argparse.Namespace) -> int:
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    roles.add_user(_users_file(args), args.name, args.role, password)
    print(f"user {args.name}: {args.role}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="posaudit")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"posaudit cases: {exc}", file=sys.stderr)
        return EXIT_USAGE
