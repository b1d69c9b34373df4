"""A world numbered the host way (``--id-style host``): the acquirers' own merchant numbers
and the scrambles the file writers use (posaudit.tools.generator.host_ids)."""

from __future__ import annotations

import dataclasses

import numpy as np

from posaudit.tools.generator.host_ids import HostIds
from posaudit.tools.generator.ids import luhn_check_digits, luhn_invalid, random_digits
from posaudit.tools.generator.world import ADYEN, CN_POS, World, default_contracts


def with_host_ids(world: World, seed: int) -> World:
    """``world`` numbered the host way: 15-digit merchant numbers at the acquirers, and the
    scrambles the file writers use."""
    rng = np.random.default_rng([seed, 102])
    taken: set[str] = set()
    accounts = []
    for account in world.accounts:
        if account.acquirer.layout in (CN_POS, ADYEN):
            number = account.number
            while number == account.number or number in taken:
                number = luhn_invalid(random_digits(rng, 1, 15)[0])
            if not taken:
                number = _card_like("4" + number[1:])
            taken.add(number)
            account = dataclasses.replace(account, number=number)
        accounts.append(account)
    return dataclasses.replace(world, accounts=tuple(accounts),
                               contracts=default_contracts(world.window, accounts),
                               host=HostIds.from_seed(seed))


def _card_like(number: str) -> str:
    """``number`` with its last digit set so that it passes the Luhn check."""
    body = np.array([[int(d) for d in number[:-1]]])
    return number[:-1] + str(int(luhn_check_digits(body)[0]))
