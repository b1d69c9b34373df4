"""Failed logins under a clock the test moves: a name locked after five wrong passwords until
its delay has passed, a delay that grows, a client locked after twenty, and who the client is."""

from __future__ import annotations

from pathlib import Path

import pytest

from posaudit.dashboards import auth, login_throttle
from posaudit.dashboards.login_throttle import LoginThrottle
from tests.helpers.dashboard_app import password


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def throttle(tmp_path: Path, clock: Clock) -> LoginThrottle:
    return LoginThrottle(login_throttle.throttle_path(tmp_path), clock)


def test_five_wrong_passwords_then_the_right_one_waits_for_the_delay(
        users_template: Path, throttle: LoginThrottle, clock: Clock) -> None:
    def try_(secret: str, client: str = "10.0.0.7") -> auth.Attempt:
        return auth.attempt(users_template, throttle, "olga", secret, client)

    for n in range(1, 5):
        assert try_("wrong") == auth.Attempt(None), n
        clock.advance(10)
    fifth = try_("wrong")
    assert fifth.found is None and fifth.retry_at == clock.now + 60
    clock.advance(59)
    # Refused without a look at the password: the right one gets no further, and from
    # another client neither (the lock is on the name).
    assert try_(password("olga")) == auth.Attempt(None, fifth.retry_at)
    assert try_(password("olga"), client="10.0.0.8") == auth.Attempt(None, fifth.retry_at)
    assert try_("wrong").retry_at == fifth.retry_at  # a refused attempt does not count
    clock.advance(1)
    found = try_(password("olga")).found
    assert found is not None and found.name == "olga"
    # A success clears the name's count: the next mistake is a first one again.
    assert try_("wrong") == auth.Attempt(None)


def test_the_lock_doubles_with_each_further_failure_and_quiet_time_forgets(
        users_template: Path, throttle: LoginThrottle, clock: Clock) -> None:
    def fail() -> float | None:
        return auth.attempt(users_template, throttle, "alice", "wrong", "c").retry_at

    for _ in range(4):
        assert fail() is None
    delays = []
    for _ in range(4):
        retry_at = fail()
        assert retry_at is not None
        delays.append(retry_at - clock.now)
        clock.advance(retry_at - clock.now)
    assert delays == [60, 120, 240, 480]
    clock.advance(login_throttle.PER_USER.window + 1)  # a quiet quarter of an hour
    assert fail() is None
    assert login_throttle.PER_USER.lock(100) == login_throttle.PER_USER.max_delay


def test_twenty_failures_from_one_client_lock_it_for_every_name(
        users_template: Path, throttle: LoginThrottle, clock: Clock) -> None:
    for n in range(19):
        assert auth.attempt(users_template, throttle, f"guess{n}", "x", "10.0.0.9").retry_at \
            is None
    locked = auth.attempt(users_template, throttle, "guess19", "x", "10.0.0.9")
    assert locked.retry_at == clock.now + login_throttle.PER_CLIENT.first_delay
    assert auth.attempt(users_template, throttle, "olga", password("olga"),
                        "10.0.0.9").found is None
    elsewhere = auth.attempt(users_template, throttle, "olga", password("olga"), "10.0.0.10")
    assert elsewhere.found is not None


def test_the_count_is_shared_through_the_file(users_template: Path, tmp_path: Path,
                                              clock: Clock) -> None:
    path = login_throttle.throttle_path(tmp_path)
    for _ in range(5):
        auth.attempt(users_template, LoginThrottle(path, clock), "bob", "wrong", "c")
    # Another session, another tab or another dashboard process opens the same file.
    assert LoginThrottle(path, clock).locked_until(["user:bob"]) == clock.now + 60
    assert auth.attempt(users_template, LoginThrottle(path, clock), " BOB", password("bob"),
                        "d").retry_at == clock.now + 60


def test_the_client_is_the_connection_or_the_nearest_proxys_entry() -> None:
    assert auth.client_address("203.0.113.5", "198.51.100.1") == "203.0.113.5"
    # Loopback (Streamlit reports none): the reverse proxy; its own entry is the last one.
    assert auth.client_address(None, "6.6.6.6, 198.51.100.1") == "198.51.100.1"
    assert auth.client_address(None, None) is None
    assert auth.client_address(object(), "") is None
