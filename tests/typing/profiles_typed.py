"""Checked by mypy --strict in tests/test_profiles_typing.py (never run): what typed code
gets back from the profile, group and upsert calls on both clients."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import assert_type

import trodo


def sync_forms(client: trodo.TrodoClient) -> None:
    user = client.for_user(42)
    assert_type(user.people.set({"plan": "pro"}), trodo.WriteResult)
    assert_type(user.people.unset(["a", "b"]), trodo.WriteResult)
    assert_type(user.set_group("company", ["acme"]), trodo.WriteResult)
    group = user.get_group("company", "acme")
    assert_type(group, trodo.GroupProfile[trodo.WriteResult])
    assert_type(group.increment("seats", 2), trodo.WriteResult)
    assert_type(client.people_track_charge("u", 9.5), trodo.WriteResult)
    result = client.upsert_user("u", properties={"plan": "pro"})
    assert_type(result, trodo.UpsertResult)
    assert_type(result.response, trodo.UpsertResponse | None)
    assert_type(client.users.upsert("u"), trodo.UpsertResult)
    assert_type(trodo.people_set("u", {"plan": "pro"}), trodo.WriteResult)
    assert_type(trodo.upsert_user(7), trodo.UpsertResult)
    assert_type(trodo.get_group("u", "g", "1"), trodo.GroupProfile[trodo.WriteResult])
    assert_type(trodo.wallet_address("u", wallet_addr="0xabc"), bool)


async def async_forms(client: trodo.AsyncTrodoClient) -> None:
    user = client.for_user("u")
    assert_type(await user.people.set({"plan": "pro"}), trodo.WriteResult)
    group = user.get_group("company", "acme")  # not awaited: no request
    assert_type(group, trodo.GroupProfile[Awaitable[trodo.WriteResult]])
    assert_type(await group.delete(), trodo.WriteResult)
    assert_type(await client.upsert_user("u"), trodo.UpsertResult)
    assert_type(await client.remove_group("u", "company", "acme"), trodo.WriteResult)
    assert_type(await client.wallet_address("u", wallet_addr="0xabc"), bool)
