"""The delivery policy, driven by hand with a fake clock: no sockets, no threads.

Events are ints (their order of tracking), so delivered order is easy to check.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from trodo._core.answers import Answer, DropReason, Outcome
from trodo._core.batches import Batch, Drop, PolicyConfig
from trodo._core.policy import DeliveryPolicy
from trodo._core.retry import backoff_delay

OK = Answer(Outcome.OK)
RETRY = Answer(Outcome.RETRY, detail="503 Service Unavailable")
TOO_LARGE = Answer(Outcome.TOO_LARGE, detail="413 Payload Too Large")
REJECTED = Answer(Outcome.REJECTED, detail="400 Bad Request")
UNAUTHORIZED = Answer(Outcome.UNAUTHORIZED, detail="401 Unauthorized")


def policy(jitter: float = 0.5, **options: Any) -> DeliveryPolicy[int]:
    """A policy over int events whose jitter always draws ``jitter``."""
    return DeliveryPolicy(PolicyConfig(**options), lambda: jitter)


def add_many(
    p: DeliveryPolicy[int], events: Sequence[int], now: float = 0.0, size: int = 300
) -> None:
    for event in events:
        assert p.add(event, size, now).accepted


def send(
    p: DeliveryPolicy[int], now: float, answer: Answer = OK
) -> tuple[list[int], list[Drop[int]]]:
    """Take the due batch and answer it; fails when nothing is due."""
    batch = p.next_batch(now)
    assert batch is not None, "expected a batch to be due"
    return list(batch.items), p.on_answer(batch, answer, now)


@dataclass
class Run:
    """What a simulated driver saw: accepted requests and drops, with times."""

    delivered: list[int] = field(default_factory=list)
    requests: list[list[int]] = field(default_factory=list)
    drops: list[Drop[int]] = field(default_factory=list)
    end: float = 0.0

    def dropped(self, reason: DropReason) -> list[int]:
        return [e for d in self.drops if d.reason is reason for e in d.items]


def drive(
    p: DeliveryPolicy[int],
    server: Callable[[list[int], float], Answer],
    *,
    now: float = 0.0,
    latency: float = 0.01,
    max_steps: int = 100_000,
) -> Run:
    """A single-threaded driver: send whatever is due, sleep until the next wakeup."""
    run = Run()
    for _ in range(max_steps):
        batch = p.next_batch(now)
        if batch is None:
            wait = p.next_wakeup(now)
            if wait is None:
                run.end = now
                return run
            now += wait
            continue
        items = list(batch.items)
        run.requests.append(items)
        now += latency
        answer = server(items, now)
        if answer.outcome is Outcome.OK:
            run.delivered.extend(items)
        run.drops.extend(p.on_answer(batch, answer, now))
    raise AssertionError("the policy never went idle")


def always_ok(items: list[int], now: float) -> Answer:
    return OK


# -- when a request is due ----------------------------------------------------


def test_nothing_is_sent_before_batch_size_or_the_interval() -> None:
    p = policy(batch_size=10, flush_interval=5.0)
    add_many(p, range(9), now=0.0)
    assert p.next_batch(4.9) is None
    assert p.next_wakeup(4.9) == pytest.approx(0.1)


def test_reaching_batch_size_makes_a_batch_due_at_once() -> None:
    p = policy(batch_size=10, flush_interval=5.0)
    add_many(p, range(10), now=0.0)
    items, _ = send(p, 0.0)
    assert items == list(range(10))


def test_add_asks_for_a_wakeup_on_the_first_event_and_at_batch_size() -> None:
    p = policy(batch_size=3)
    wakes = [p.add(i, 10, 0.0).wake for i in range(4)]
    assert wakes == [True, False, True, False]


def test_the_interval_sends_the_oldest_events_once_they_have_waited_long_enough() -> None:
    p = policy(batch_size=50, flush_interval=5.0)
    add_many(p, [0], now=1.0)
    add_many(p, [1], now=3.0)
    assert p.next_wakeup(2.0) == pytest.approx(4.0)
    assert p.next_batch(5.9) is None
    items, _ = send(p, 6.0)
    assert items == [0, 1]


def test_after_a_batch_the_interval_counts_from_the_next_oldest_event() -> None:
    p = policy(batch_size=2, flush_interval=5.0, max_request_events=2)
    add_many(p, [0, 1], now=0.0)
    add_many(p, [2], now=4.0)
    send(p, 4.0)
    assert p.next_wakeup(4.0) == pytest.approx(5.0)


def test_an_empty_policy_has_no_wakeup() -> None:
    assert policy().next_wakeup(0.0) is None


def test_a_backlog_is_sent_in_requests_of_up_to_max_request_events() -> None:
    p = policy(batch_size=50, max_request_events=500)
    add_many(p, range(1200), size=10)
    run = drive(p, always_ok)
    assert [len(r) for r in run.requests] == [500, 500, 200]


def test_a_request_respects_max_request_bytes() -> None:
    p = policy(batch_size=10, max_request_bytes=1000)
    add_many(p, range(10), size=300)
    run = drive(p, always_ok)
    assert [len(r) for r in run.requests] == [3, 3, 3, 1]


def test_an_event_larger_than_max_request_bytes_goes_alone() -> None:
    p = policy(batch_size=3, max_request_bytes=1000)
    p.add(0, 100, 0.0)
    p.add(1, 5000, 0.0)
    p.add(2, 100, 0.0)
    run = drive(p, always_ok)
    assert run.requests == [[0], [1], [2]]


def _negative(item: int) -> bool:
    return item < 0


def test_an_item_that_must_go_alone_is_a_request_of_its_own_in_its_place() -> None:
    # Negative ints stand for profile writes: no bulk form, one request each.
    p = policy(batch_size=100, alone=_negative)
    add_many(p, [0, 1, -2, 3, 4, 5, -6, -7, 8])
    p.request_flush()
    run = drive(p, always_ok)
    assert run.requests == [[0, 1], [-2], [3, 4, 5], [-6], [-7], [8]]
    assert run.delivered == [0, 1, -2, 3, 4, 5, -6, -7, 8]


def test_an_item_alone_answered_413_is_dropped_not_split_and_the_rest_goes_on() -> None:
    p = policy(batch_size=100, alone=_negative)
    add_many(p, [0, -1, 2])
    p.request_flush()
    run = drive(p, lambda items, now: TOO_LARGE if items == [-1] else OK)
    assert run.requests == [[0], [-1], [2]]
    assert run.dropped(DropReason.TOO_LARGE) == [-1]
    assert run.delivered == [0, 2]


def test_an_item_alone_waiting_for_its_retry_holds_back_what_came_after_it() -> None:
    p = policy(batch_size=100, alone=_negative)
    add_many(p, [-1, 2])
    p.request_flush()
    failures = iter([RETRY, RETRY])
    run = drive(p, lambda items, now: next(failures, OK) if items == [-1] else OK)
    assert run.requests == [[-1], [-1], [-1], [2]]
    assert run.delivered == [-1, 2]


def test_a_long_stream_of_adds_and_sends_delivers_every_event_once_in_order() -> None:
    def size_of(event: int) -> int:
        return 100 + event % 7

    p = policy(batch_size=50, max_request_events=60)
    delivered: list[int] = []
    for round_ in range(300):  # a backlog that grows by 10 events a round
        for event in range(round_ * 70, (round_ + 1) * 70):
            p.add(event, size_of(event), 0.0)
        batch = p.next_batch(0.0)
        assert batch is not None
        assert batch.nbytes == sum(size_of(e) for e in batch.items)
        delivered.extend(batch.items)
        p.on_answer(batch, OK, 0.0)
    p.close()
    delivered.extend(drive(p, always_ok).delivered)
    assert delivered == list(range(300 * 70))


@pytest.mark.parametrize("size", [-1, 2.5])
def test_add_refuses_an_impossible_size_and_changes_nothing(size: Any) -> None:
    p = policy(batch_size=2)
    add_many(p, [0])
    with pytest.raises(ValueError, match="int size >= 0"):
        p.add(1, size, 0.0)
    add_many(p, [2], size=7)
    batch = p.next_batch(0.0)
    assert batch is not None
    assert (batch.items, batch.nbytes) == ([0, 2], 307)


def test_only_one_batch_is_in_flight_at_a_time() -> None:
    p = policy(batch_size=2, max_request_events=2)
    add_many(p, range(4))
    first = p.next_batch(0.0)
    assert first is not None
    assert p.next_batch(0.0) is None
    assert p.next_wakeup(0.0) is None
    p.on_answer(first, OK, 0.0)
    second = p.next_batch(0.0)
    assert second is not None
    assert second.items == [2, 3]


# -- flush and close ----------------------------------------------------------


def test_flush_sends_everything_covered_without_waiting_and_settles() -> None:
    p = policy(batch_size=50, flush_interval=60.0)
    add_many(p, range(7))
    ticket = p.request_flush()
    assert p.next_wakeup(0.0) == 0.0
    run = drive(p, always_ok)
    assert run.delivered == list(range(7))
    assert run.end < 1.0
    assert ticket.settled
    assert ticket.delivered_all


def test_a_flush_ticket_is_not_settled_while_covered_events_are_in_flight() -> None:
    p = policy()
    add_many(p, range(3))
    ticket = p.request_flush()
    batch = p.next_batch(0.0)
    assert batch is not None
    assert not ticket.settled
    assert not ticket.delivered_all
    p.on_answer(batch, OK, 0.0)
    assert ticket.settled


def test_a_flush_ticket_with_nothing_held_is_settled_at_once() -> None:
    ticket = policy().request_flush()
    assert ticket.settled
    assert ticket.delivered_all


def test_a_flush_ticket_does_not_cover_events_added_after_it() -> None:
    p = policy(batch_size=50, flush_interval=60.0, max_request_events=50)
    add_many(p, range(3))
    ticket = p.request_flush()
    add_many(p, range(3, 5))
    items, _ = send(p, 0.0)  # the request may carry the newer events along
    assert items == [0, 1, 2, 3, 4]
    assert ticket.settled
    add_many(p, range(5, 8))
    assert p.next_batch(0.0) is None  # flushing is over: back to waiting


def test_concurrent_flush_tickets_settle_each_when_its_own_events_are_resolved() -> None:
    p = policy(batch_size=2, flush_interval=60.0, max_request_events=2)
    add_many(p, range(2))
    first = p.request_flush()
    add_many(p, range(2, 4))
    second = p.request_flush()
    send(p, 0.0)
    assert first.settled
    assert not second.settled
    send(p, 0.0)
    assert second.settled


def test_a_flush_ticket_is_not_delivered_all_when_a_covered_event_was_dropped() -> None:
    p = policy(batch_size=2, max_request_events=2)
    add_many(p, range(2))
    covers_drop = p.request_flush()
    add_many(p, range(2, 4))
    after_drop = p.request_flush()
    send(p, 0.0, UNAUTHORIZED)
    send(p, 0.0, OK)
    assert covers_drop.settled
    assert not covers_drop.delivered_all
    # The second ticket still covered the dropped events: they were unresolved when it was issued.
    assert not after_drop.delivered_all


def test_a_flush_ticket_ignores_drops_that_happened_before_it() -> None:
    p = policy(batch_size=2)
    add_many(p, range(2))
    send(p, 0.0, UNAUTHORIZED)
    add_many(p, [2])
    ticket = p.request_flush()
    send(p, 0.0, OK)
    assert ticket.delivered_all


def test_close_refuses_new_events_with_shutdown_reported_once() -> None:
    p = policy()
    p.close()
    admissions = [p.add(i, 10, 0.0) for i in range(3)]
    assert [a.accepted for a in admissions] == [False, False, False]
    assert {a.reason for a in admissions} == {DropReason.SHUTDOWN}
    assert [a.first_of_episode for a in admissions] == [True, False, False]
    assert p.stats().dropped[DropReason.SHUTDOWN] == 3


def test_close_sends_everything_held_without_waiting_and_its_ticket_settles() -> None:
    p = policy(batch_size=50, flush_interval=60.0)
    add_many(p, range(5))
    ticket = p.close()
    run = drive(p, always_ok)
    assert run.delivered == list(range(5))
    assert run.end < 1.0
    assert ticket.delivered_all


def test_drain_returns_everything_held_in_order_with_the_reason() -> None:
    p = policy(batch_size=2, max_request_events=2)
    add_many(p, range(7))
    send(p, 0.0, RETRY)  # [0, 1] waits for its retry
    drops = p.drain(DropReason.SHUTDOWN, "shutdown timed out")
    assert [(d.reason, d.items, d.detail) for d in drops] == [
        (DropReason.SHUTDOWN, list(range(7)), "shutdown timed out")
    ]
    stats = p.stats()
    assert (stats.queued, stats.in_flight) == (0, 0)
    assert stats.dropped[DropReason.SHUTDOWN] == 7
    assert p.next_wakeup(0.0) is None


def test_drain_settles_open_tickets_as_not_delivered() -> None:
    p = policy()
    add_many(p, range(3))
    ticket = p.close()
    p.drain()
    assert ticket.settled
    assert not ticket.delivered_all


def test_drain_with_nothing_held_returns_nothing() -> None:
    assert policy().drain() == []


def test_a_late_answer_for_a_drained_batch_is_ignored() -> None:
    p = policy(batch_size=2)
    add_many(p, range(2))
    batch = p.next_batch(0.0)
    assert batch is not None
    [drop] = p.drain()
    assert drop.items == [0, 1]
    assert p.on_answer(batch, OK, 1.0) == []
    assert p.stats().sent == 0


def test_an_answer_for_a_batch_that_is_not_in_flight_is_refused() -> None:
    p = policy(batch_size=2)
    add_many(p, range(2))
    batch = p.next_batch(0.0)
    assert batch is not None
    p.on_answer(batch, OK, 0.0)
    with pytest.raises(ValueError, match="not the one in flight"):
        p.on_answer(batch, OK, 0.0)


# -- backoff ------------------------------------------------------------------


def test_backoff_delay_grows_exponentially_within_full_jitter_bounds() -> None:
    near_one = 0.999_999
    ceilings = [backoff_delay(n, near_one, base=0.5, cap=1000.0) for n in range(1, 6)]
    assert ceilings == pytest.approx([0.5, 1.0, 2.0, 4.0, 8.0], rel=1e-5)
    assert backoff_delay(4, 0.0, base=0.5, cap=1000.0) == 0.0
    assert backoff_delay(4, 0.25, base=0.5, cap=1000.0) == pytest.approx(1.0)


def test_backoff_delay_never_exceeds_the_cap() -> None:
    assert backoff_delay(50, 0.999, base=0.5, cap=30.0) <= 30.0
    assert backoff_delay(10_000, 0.5, base=0.5, cap=30.0) == pytest.approx(15.0)


def test_retry_after_is_a_floor_on_the_delay() -> None:
    assert backoff_delay(1, 0.1, retry_after=7.0) == 7.0
    assert backoff_delay(8, 0.9, base=0.5, cap=30.0, retry_after=2.0) == pytest.approx(27.0)


def test_retry_after_is_capped_by_max_retry_after() -> None:
    assert backoff_delay(1, 0.0, retry_after=3600.0, max_retry_after=60.0) == 60.0


@pytest.mark.parametrize("retry_after", [None, 0.0, -5.0, float("nan")])
def test_missing_or_meaningless_retry_after_leaves_the_backoff_alone(
    retry_after: float | None,
) -> None:
    assert backoff_delay(2, 0.5, base=0.5, cap=30.0, retry_after=retry_after) == 0.5


@pytest.mark.parametrize(("attempt", "jitter"), [(0, 0.5), (1, -0.1), (1, 1.5)])
def test_backoff_delay_rejects_impossible_arguments(attempt: int, jitter: float) -> None:
    with pytest.raises(ValueError, match=r"attempt|jitter"):
        backoff_delay(attempt, jitter)


# -- retries ------------------------------------------------------------------


def test_a_failed_batch_waits_its_backoff_and_nothing_else_is_sent_meanwhile() -> None:
    p = policy(jitter=0.5, batch_size=2, max_request_events=2, backoff_base=1.0)
    add_many(p, range(6))
    send(p, 10.0, RETRY)
    assert p.next_wakeup(10.0) == pytest.approx(0.5)  # 0.5 * base
    assert p.next_batch(10.4) is None  # newer events wait behind the retry
    items, _ = send(p, 10.5)
    assert items == [0, 1]


def test_retries_back_off_exponentially() -> None:
    p = policy(jitter=0.5, batch_size=1, backoff_base=1.0, backoff_cap=100.0)
    add_many(p, [0])
    now, waits = 0.0, []
    for _ in range(4):
        send(p, now, RETRY)
        wait = p.next_wakeup(now)
        assert wait is not None
        waits.append(wait)
        now += wait
    assert waits == pytest.approx([0.5, 1.0, 2.0, 4.0])


def test_the_policy_honours_retry_after() -> None:
    p = policy(jitter=0.5, batch_size=1)
    add_many(p, [0])
    send(p, 0.0, Answer(Outcome.RETRY, retry_after=12.0))
    assert p.next_wakeup(0.0) == pytest.approx(12.0)


def test_the_policy_caps_retry_after() -> None:
    p = policy(batch_size=1, max_retry_after=20.0)
    add_many(p, [0])
    send(p, 0.0, Answer(Outcome.RETRY, retry_after=3600.0))
    assert p.next_wakeup(0.0) == pytest.approx(20.0)


def test_a_batch_failing_past_its_retry_budget_is_given_up_whole() -> None:
    p = policy(jitter=0.5, batch_size=3, retry_budget=10.0)
    add_many(p, range(3))
    run = drive(p, lambda items, now: RETRY)
    assert [(d.reason, d.items) for d in run.drops] == [(DropReason.GAVE_UP, [0, 1, 2])]
    assert "503 Service Unavailable" in run.drops[0].detail
    first_failure = 0.01  # the first answer, after one request's latency
    assert first_failure + 10.0 <= run.end <= first_failure + 10.0 + 0.011


def test_the_last_retry_happens_at_the_budgets_end() -> None:
    # Jitter near 1 with a large cap would overshoot the deadline: the delay is shortened.
    p = policy(jitter=0.99, batch_size=1, backoff_base=8.0, backoff_cap=30.0, retry_budget=20.0)
    add_many(p, [0])
    times: list[float] = []

    def server(items: list[int], now: float) -> Answer:
        times.append(now)
        return RETRY

    drive(p, server, latency=0.0)
    assert times[-1] == pytest.approx(20.0)
    assert len(times) == 3  # 0, 7.92, then 20 instead of 7.92 + 15.84 = 23.76


def test_a_retry_after_pointing_past_the_budget_gives_up_at_once() -> None:
    p = policy(batch_size=1, retry_budget=10.0, max_retry_after=60.0)
    add_many(p, [0])
    _, drops = send(p, 0.0, Answer(Outcome.RETRY, retry_after=30.0))
    assert [(d.reason, d.items) for d in drops] == [(DropReason.GAVE_UP, [0])]


def test_a_zero_retry_budget_means_no_retries() -> None:
    p = policy(batch_size=1, retry_budget=0.0)
    add_many(p, [0])
    _, drops = send(p, 0.0, RETRY)
    assert [d.reason for d in drops] == [DropReason.GAVE_UP]


@pytest.mark.parametrize("seed", range(50))
def test_a_five_second_outage_loses_nothing_with_default_settings(seed: int) -> None:
    rng = random.Random(seed)
    p: DeliveryPolicy[int] = DeliveryPolicy(PolicyConfig(), rng.random)
    add_many(p, range(2000))
    outage_start = rng.uniform(0.0, 0.1)  # while the backlog is being sent

    def server(items: list[int], now: float) -> Answer:
        return RETRY if outage_start <= now < outage_start + 5.0 else OK

    run = drive(p, server, latency=0.05)
    assert p.stats().retries > 0
    assert run.drops == []
    assert run.delivered == list(range(2000))


# -- splits and rejections ----------------------------------------------------


def test_too_large_splits_the_batch_in_halves_sent_next() -> None:
    p = policy(batch_size=4)
    add_many(p, range(4))
    send(p, 0.0, TOO_LARGE)
    first, _ = send(p, 0.0)
    second, _ = send(p, 0.0)
    assert (first, second) == ([0, 1], [2, 3])


def test_a_single_event_too_large_is_dropped_as_too_large() -> None:
    p = policy(batch_size=1)
    add_many(p, [0])
    _, drops = send(p, 0.0, TOO_LARGE)
    assert [(d.reason, d.items, d.detail) for d in drops] == [
        (DropReason.TOO_LARGE, [0], "413 Payload Too Large")
    ]


@pytest.mark.parametrize("seed", range(20))
def test_too_large_splits_until_each_part_fits_and_drops_only_oversized_events(
    seed: int,
) -> None:
    rng = random.Random(seed)
    server_limit = 2000
    sizes = [rng.choice([50, 200, 900, 2500]) for _ in range(300)]
    p = policy(batch_size=300, max_request_events=300, max_request_bytes=10**6)
    for i, size in enumerate(sizes):
        p.add(i, size, 0.0)

    def server(items: list[int], now: float) -> Answer:
        return TOO_LARGE if sum(sizes[i] for i in items) > server_limit else OK

    run = drive(p, server)
    oversized = [i for i, size in enumerate(sizes) if size > server_limit]
    assert run.dropped(DropReason.TOO_LARGE) == oversized
    assert run.delivered == [i for i in range(300) if i not in oversized]


@pytest.mark.parametrize("seed", range(200))
def test_rejected_bisects_so_only_offending_events_are_dropped(seed: int) -> None:
    rng = random.Random(seed)
    count = rng.randint(1, 600)
    bad = set(rng.sample(range(count), rng.randint(0, min(count, 8))))
    p = policy(batch_size=50, max_request_events=500)
    add_many(p, range(count), size=100)
    p.close()

    def server(items: list[int], now: float) -> Answer:
        return REJECTED if bad.intersection(items) else OK

    run = drive(p, server)
    assert run.delivered == [i for i in range(count) if i not in bad]  # once each, in order
    assert run.dropped(DropReason.REJECTED) == sorted(bad)
    assert p.stats().dropped[DropReason.REJECTED] == len(bad)


def test_unauthorized_drops_the_batch_whole() -> None:
    p = policy(batch_size=3)
    add_many(p, range(3))
    _, drops = send(p, 0.0, UNAUTHORIZED)
    assert [(d.reason, d.items, d.detail) for d in drops] == [
        (DropReason.UNAUTHORIZED, [0, 1, 2], "401 Unauthorized")
    ]
    assert p.stats().queued == 0


@pytest.mark.parametrize("seed", range(30))
def test_delivery_order_is_preserved_under_splits_and_retries(seed: int) -> None:
    rng = random.Random(seed)
    bad = set(rng.sample(range(1000), 5))
    p: DeliveryPolicy[int] = DeliveryPolicy(
        PolicyConfig(batch_size=20, max_request_events=64, retry_budget=10_000.0), rng.random
    )
    add_many(p, range(1000), size=100)

    def server(items: list[int], now: float) -> Answer:
        roll = rng.random()
        if roll < 0.2:
            return RETRY
        if roll < 0.3 and len(items) > 1:
            return TOO_LARGE
        return REJECTED if bad.intersection(items) else OK

    run = drive(p, server)
    assert run.delivered == [i for i in range(1000) if i not in bad]
    assert run.dropped(DropReason.REJECTED) == sorted(bad)


def test_split_halves_go_before_events_that_were_already_queued() -> None:
    p = policy(batch_size=2, max_request_events=2)
    add_many(p, range(4))
    send(p, 0.0, TOO_LARGE)
    order = [send(p, 0.0)[0] for _ in range(3)]
    assert order == [[0], [1], [2, 3]]


def test_split_halves_keep_their_parents_retry_budget() -> None:
    p = policy(jitter=0.0, batch_size=2, retry_budget=10.0)
    add_many(p, range(2))
    send(p, 0.0, RETRY)  # first failure at 0
    send(p, 9.0, TOO_LARGE)
    _, drops = send(p, 11.0, RETRY)  # the half fails past the parent's deadline
    assert [(d.reason, d.items) for d in drops] == [(DropReason.GAVE_UP, [0])]


# -- memory bounds ------------------------------------------------------------


def test_a_full_queue_refuses_and_reports_once_per_episode() -> None:
    p = policy(batch_size=2, max_queue_size=4)
    add_many(p, range(4))
    refusals = [p.add(i, 10, 0.0) for i in range(4, 7)]
    assert [a.accepted for a in refusals] == [False, False, False]
    assert {a.reason for a in refusals} == {DropReason.QUEUE_FULL}
    assert [a.first_of_episode for a in refusals] == [True, False, False]
    assert p.stats().dropped[DropReason.QUEUE_FULL] == 3


def test_the_queue_full_episode_lasts_until_the_queue_drains_to_half() -> None:
    p = policy(batch_size=1, max_request_events=1, max_queue_size=4)
    add_many(p, range(4))
    assert p.add(4, 10, 0.0).first_of_episode
    send(p, 0.0)  # 3 held: above half, still full
    assert not p.add(5, 10, 0.0).accepted
    send(p, 0.0)  # 2 held: half, the episode is over
    assert p.add(6, 10, 0.0).accepted
    assert p.add(7, 10, 0.0).accepted
    assert p.add(8, 10, 0.0).first_of_episode  # a new episode


def test_the_byte_bound_refuses_an_event_that_would_exceed_it() -> None:
    p = policy(max_queue_bytes=1000)
    assert p.add(0, 600, 0.0).accepted
    admission = p.add(1, 600, 0.0)
    assert (admission.accepted, admission.reason) == (False, DropReason.QUEUE_FULL)


def test_delivered_events_free_their_bytes() -> None:
    p = policy(batch_size=1, max_queue_bytes=1000)
    add_many(p, [0], size=600)
    send(p, 0.0)
    assert p.add(1, 600, 0.0).accepted


def test_a_byte_bound_episode_lasts_until_bytes_drain_to_half() -> None:
    p = policy(batch_size=1, max_request_events=1, max_queue_bytes=1000)
    add_many(p, [0, 1], size=300)
    add_many(p, [2], size=200)
    assert p.add(3, 300, 0.0).first_of_episode
    send(p, 0.0)  # 500 bytes held: half, the episode is over
    assert p.add(4, 10, 0.0).accepted


def test_events_waiting_for_a_retry_count_against_the_bounds() -> None:
    p = policy(batch_size=2, max_queue_size=3)
    add_many(p, range(2))
    send(p, 0.0, RETRY)
    assert p.add(2, 10, 0.0).accepted
    assert not p.add(3, 10, 0.0).accepted


def test_defaults_take_a_burst_of_100_000_events_without_loss() -> None:
    p = policy()
    refused = sum(not p.add(i, 300, 0.0).accepted for i in range(100_000))
    assert refused == 0
    assert p.stats().queued == 100_000


# -- stats --------------------------------------------------------------------


def test_stats_count_sent_queued_in_flight_requests_retries_and_drops() -> None:
    p = policy(batch_size=2, max_request_events=2)
    add_many(p, range(7))
    send(p, 0.0, OK)  # 0, 1 delivered
    send(p, 0.0, RETRY)  # 2, 3 wait
    send(p, 1.0, OK)  # 2, 3 delivered
    send(p, 1.0, UNAUTHORIZED)  # 4, 5 dropped
    p.request_flush()  # 6 alone is not a batch yet
    in_flight = p.next_batch(1.0)
    assert in_flight is not None
    assert in_flight.items == [6]
    add_many(p, [7, 8])
    stats = p.stats()
    assert (stats.sent, stats.queued, stats.in_flight) == (4, 2, 1)
    assert (stats.requests, stats.retries) == (5, 1)
    assert stats.dropped == dict.fromkeys(DropReason, 0) | {DropReason.UNAUTHORIZED: 2}


def test_a_batch_tells_how_often_it_failed() -> None:
    p = policy(jitter=0.0, batch_size=1)
    add_many(p, [0])
    send(p, 0.0, RETRY)
    send(p, 0.0, RETRY)
    batch: Batch[int] | None = p.next_batch(0.0)
    assert batch is not None
    assert batch.failed_attempts == 2


# -- configuration ------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("batch_size", 0),
        ("batch_size", 2.5),
        ("batch_size", True),
        ("flush_interval", -1.0),
        ("flush_interval", float("inf")),
        ("max_request_events", 0),
        ("max_request_bytes", 0),
        ("max_queue_size", 0),
        ("max_queue_bytes", -1),
        ("backoff_base", 0.0),
        ("backoff_cap", float("nan")),
        ("max_retry_after", -1.0),
        ("retry_budget", "60"),
    ],
)
def test_an_invalid_option_is_refused_by_name(option: str, value: object) -> None:
    with pytest.raises(ValueError, match=option):
        PolicyConfig(**{option: value})  # type: ignore[arg-type]


def test_batch_size_may_not_exceed_max_request_events() -> None:
    with pytest.raises(ValueError, match=r"batch_size \(600\).*max_request_events \(500\)"):
        PolicyConfig(batch_size=600)


def test_backoff_cap_may_not_be_below_backoff_base() -> None:
    with pytest.raises(ValueError, match="backoff_cap"):
        PolicyConfig(backoff_base=5.0, backoff_cap=1.0)
