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


def _fields(model: Callable[..., Any], *names: str, group: bool = False) -> Body:
    """A body: siteId and userId (the distinct id at the call), for a group write its
    key and id, then the write's other arguments (in the order of its ``params``)
    under the models' ``names``; a ``properties`` bag as the model's ProfileProperties."""
    lead = 2 if group else 0

    def body(site: str, record: w.WriteRecord) -> Any:
        named = dict(zip(names, record.args[lead:], strict=True))
        if "properties" in named:
            named["properties"] = _bag(named["properties"])
        return model(site, record.distinct_id, *record.args[:lead], **named)

    return body


def _group(model: Callable[..., Any], *names: str) -> Body:
    return _fields(model, *names, group=True)


WRITE_ENDPOINTS: dict[w.Write, WriteEndpoint] = {
    w.PEOPLE_SET: WriteEndpoint(people_set, _fields(PeoplePropertiesRequest, "properties")),
    w.PEOPLE_SET_ONCE: WriteEndpoint(
        people_set_once, _fields(PeoplePropertiesRequest, "properties")
    ),
    w.PEOPLE_UNSET: WriteEndpoint(people_unset, _fields(PeopleUnsetRequest, "keys")),
    w.PEOPLE_INCREMENT: WriteEndpoint(
        people_increment, _fields(PeopleIncrementRequest, "key", "amount")
    ),
    w.PEOPLE_APPEND: WriteEndpoint(people_append, _fields(PeopleListRequest, "key", "values")),
    w.PEOPLE_UNION: WriteEndpoint(people_union, _fields(PeopleListRequest, "key", "values")),
    w.PEOPLE_REMOVE: WriteEndpoint(people_remove, _fields(PeopleListRequest, "key", "values")),
    w.PEOPLE_TRACK_CHARGE: WriteEndpoint(
        people_track_charge, _fields(PeopleTrackChargeRequest, "amount", "properties")
    ),
    w.PEOPLE_CLEAR_CHARGES: WriteEndpoint(people_clear_charges, _fields(PeopleRequest)),
    w.PEOPLE_DELETE_USER: WriteEndpoint(people_delete_user, _fields(PeopleRequest)),
    w.SET_GROUP: WriteEndpoint(set_group, _group(SetGroupRequest)),
    w.ADD_GROUP: WriteEndpoint(add_group, _group(GroupMembershipRequest)),
    w.REMOVE_GROUP: WriteEndpoint(remove_group, _group(GroupMembershipRequest)),
    w.GROUP_SET: WriteEndpoint(
        group_profile_set, _group(GroupProfilePropertiesRequest, "properties")
    ),
    w.GROUP_SET_ONCE: WriteEndpoint(
        group_profile_set_once, _group(GroupProfilePropertiesRequest, "properties")
    ),
    w.GROUP_UNION: WriteEndpoint(
        group_profile_union, _group(GroupProfileUnionRequest, "list_name", "values")
    ),
    w.GROUP_REMOVE: WriteEndpoint(
        group_profile_remove, _group(GroupProfileRemoveRequest, "list_name", "value")
    ),
    w.GROUP_UNSET: WriteEndpoint(
        group_profile_unset, _group(GroupProfileUnsetRequest, "property_")
    ),
    w.GROUP_INCREMENT: WriteEndpoint(
        group_profile_increment, _group(GroupProfileIncrementRequest, "property_", "value")
    ),
    w.GROUP_APPEND: WriteEndpoint(
        group_profile_append, _group(GroupProfileAppendRequest, "property_", "value")
    ),
    w.GROUP_DELETE: WriteEndpoint(group_profile_delete, _group(GroupProfileRequest)),
    w.UPSERT_USER: WriteEndpoint(upsert_user, _upsert, read_upsert),
}
