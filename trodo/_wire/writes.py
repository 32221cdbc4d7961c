"""How each profile, group and upsert write goes on the wire (protocol.md, key for key).

One entry a write of ``trodo._core.writes`` (a test checks that each has
one): its generated endpoint and its body, built from the record as the
generated models' names say (the wire keys are the models' business). Only
upsert reads its answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from trodo._core import writes as w
from trodo._core.write_results import UpsertResponse
from trodo._wire.operations import Generated
from trodo_api.api.groups import (
    add_group,
    group_profile_append,
    group_profile_delete,
    group_profile_increment,
    group_profile_remove,
    group_profile_set,
    group_profile_set_once,
    group_profile_union,
    group_profile_unset,
    remove_group,
    set_group,
)
from trodo_api.api.people import (
    people_append,
    people_clear_charges,
    people_delete_user,
    people_increment,
    people_remove,
    people_set,
    people_set_once,
    people_track_charge,
    people_union,
    people_unset,
)
from trodo_api.api.users import upsert_user
from trodo_api.models import (
    FixedProperties,
    GroupMembershipRequest,
    GroupProfileAppendRequest,
    GroupProfileIncrementRequest,
    GroupProfilePropertiesRequest,
    GroupProfileRemoveRequest,
    GroupProfileRequest,
    GroupProfileUnionRequest,
    GroupProfileUnsetRequest,
    PeopleIncrementRequest,
    PeopleListRequest,
    PeoplePropertiesRequest,
    PeopleRequest,
    PeopleTrackChargeRequest,
    PeopleUnsetRequest,
    ProfileProperties,
    SetGroupRequest,
    UpsertUserRequest,
    UpsertUserResponse,
)
from trodo_api.types import UNSET

Body = Callable[[str, w.WriteRecord], Any]
"""The site id and the record in, the generated request model out."""


def _nothing(parsed: object) -> None:
    return None


@dataclass(frozen=True, slots=True)
class WriteEndpoint:
    """A write's wire: the generated call, its body, and what is read from a 2xx answer."""

    generated: Generated
    body: Body
    read: Callable[[object], Any] = _nothing


def _bag(properties: dict[str, Any]) -> ProfileProperties:
    bag = ProfileProperties()
    bag.additional_properties = properties  # already a private, JSON-safe copy
    return bag


def _upsert(site: str, record: w.WriteRecord) -> UpsertUserRequest:
    properties, set_once, fixed = record.args
    # A bag not given is left out (UNSET), never sent as null; {} is sent as {}.
    return UpsertUserRequest(
        distinct_id=record.distinct_id,
        properties=UNSET if properties is None else _bag(properties),
        set_once=UNSET if set_once is None else _bag(set_once),
        fixed_properties=UNSET if fixed is None else FixedProperties.from_dict(fixed),
    )


def read_upsert(parsed: object) -> UpsertResponse | None:
    """Trodo's upsert answer, typed; a field of an unexpected type reads as absent."""
    if not isinstance(parsed, UpsertUserResponse):
        return None
    try:
        body = parsed.to_dict()
    except (TypeError, ValueError, AttributeError):
        body = {}
    applied = body.get("applied")
    skipped = body.get("skipped")
    return UpsertResponse(
        success=_typed(parsed.success, bool),
        distinct_id=_typed(parsed.distinct_id, str),
        created=_typed(parsed.created, bool),
        applied=_applied(applied),
        skipped=dict(skipped) if isinstance(skipped, Mapping) else {},
        body=body,
    )


def _typed(value: object, kind: type) -> Any:
    return value if isinstance(value, kind) else None


def _applied(value: object) -> dict[str, list[str]]:
    if not isinstance(value, Mapping):
        return {}
    return {
        str(bag): [str(key) for key in keys]
        for bag, keys in value.items()
        if isinstance(keys, list)
    }


# Each body: siteId and userId (the distinct id at the call), then the write's
# arguments in the order of its ``params`` (``a``), under the models' names.
WRITE_ENDPOINTS: dict[w.Write, WriteEndpoint] = {
    w.PEOPLE_SET: WriteEndpoint(
        people_set,
        lambda s, r: PeoplePropertiesRequest(s, r.distinct_id, properties=_bag(r.args[0])),
    ),
    w.PEOPLE_SET_ONCE: WriteEndpoint(
        people_set_once,
        lambda s, r: PeoplePropertiesRequest(s, r.distinct_id, properties=_bag(r.args[0])),
    ),
    w.PEOPLE_UNSET: WriteEndpoint(
        people_unset, lambda s, r: PeopleUnsetRequest(s, r.distinct_id, keys=r.args[0])
    ),
    w.PEOPLE_INCREMENT: WriteEndpoint(
        people_increment,
        lambda s, r: PeopleIncrementRequest(s, r.distinct_id, key=r.args[0], amount=r.args[1]),
    ),
    **{
        write: WriteEndpoint(
            generated,
            lambda s, r: PeopleListRequest(s, r.distinct_id, key=r.args[0], values=r.args[1]),
        )
        for write, generated in (
            (w.PEOPLE_APPEND, people_append),
            (w.PEOPLE_UNION, people_union),
            (w.PEOPLE_REMOVE, people_remove),
        )
    },
    w.PEOPLE_TRACK_CHARGE: WriteEndpoint(
        people_track_charge,
        lambda s, r: PeopleTrackChargeRequest(
            s, r.distinct_id, amount=r.args[0], properties=_bag(r.args[1])
        ),
    ),
    w.PEOPLE_CLEAR_CHARGES: WriteEndpoint(
        people_clear_charges, lambda s, r: PeopleRequest(s, r.distinct_id)
    ),
    w.PEOPLE_DELETE_USER: WriteEndpoint(
        people_delete_user, lambda s, r: PeopleRequest(s, r.distinct_id)
    ),
    w.SET_GROUP: WriteEndpoint(set_group, lambda s, r: SetGroupRequest(s, r.distinct_id, *r.args)),
    w.ADD_GROUP: WriteEndpoint(
        add_group, lambda s, r: GroupMembershipRequest(s, r.distinct_id, *r.args)
    ),
    w.REMOVE_GROUP: WriteEndpoint(
        remove_group, lambda s, r: GroupMembershipRequest(s, r.distinct_id, *r.args)
    ),
    w.GROUP_SET: WriteEndpoint(
        group_profile_set,
        lambda s, r: GroupProfilePropertiesRequest(
            s, r.distinct_id, r.args[0], r.args[1], properties=_bag(r.args[2])
        ),
    ),
    w.GROUP_SET_ONCE: WriteEndpoint(
        group_profile_set_once,
        lambda s, r: GroupProfilePropertiesRequest(
            s, r.distinct_id, r.args[0], r.args[1], properties=_bag(r.args[2])
        ),
    ),
    w.GROUP_UNION: WriteEndpoint(
        group_profile_union,
        lambda s, r: GroupProfileUnionRequest(
            s, r.distinct_id, r.args[0], r.args[1], list_name=r.args[2], values=r.args[3]
        ),
    ),
    w.GROUP_REMOVE: WriteEndpoint(
        group_profile_remove,
        lambda s, r: GroupProfileRemoveRequest(
            s, r.distinct_id, r.args[0], r.args[1], list_name=r.args[2], value=r.args[3]
        ),
    ),
    w.GROUP_UNSET: WriteEndpoint(
        group_profile_unset,
        lambda s, r: GroupProfileUnsetRequest(
            s, r.distinct_id, r.args[0], r.args[1], property_=r.args[2]
        ),
    ),
    w.GROUP_INCREMENT: WriteEndpoint(
        group_profile_increment,
        lambda s, r: GroupProfileIncrementRequest(
            s, r.distinct_id, r.args[0], r.args[1], property_=r.args[2], value=r.args[3]
        ),
    ),
    w.GROUP_APPEND: WriteEndpoint(
        group_profile_append,
        lambda s, r: GroupProfileAppendRequest(
            s, r.distinct_id, r.args[0], r.args[1], property_=r.args[2], value=r.args[3]
        ),
    ),
    w.GROUP_DELETE: WriteEndpoint(
        group_profile_delete, lambda s, r: GroupProfileRequest(s, r.distinct_id, *r.args)
    ),
    w.UPSERT_USER: WriteEndpoint(upsert_user, _upsert, read_upsert),
}
