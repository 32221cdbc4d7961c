"""Contains all the data models used in inputs/outputs"""

from .bulk_events import BulkEvents
from .custom_properties import CustomProperties
from .event import Event
from .event_event_type import EventEventType
from .fixed_properties import FixedProperties
from .group_membership_request import GroupMembershipRequest
from .group_profile_append_request import GroupProfileAppendRequest
from .group_profile_increment_request import GroupProfileIncrementRequest
from .group_profile_properties_request import GroupProfilePropertiesRequest
from .group_profile_remove_request import GroupProfileRemoveRequest
from .group_profile_request import GroupProfileRequest
from .group_profile_union_request import GroupProfileUnionRequest
from .group_profile_unset_request import GroupProfileUnsetRequest
from .identify_request import IdentifyRequest
from .identify_response import IdentifyResponse
from .people_increment_request import PeopleIncrementRequest
from .people_list_request import PeopleListRequest
from .people_properties_request import PeoplePropertiesRequest
from .people_request import PeopleRequest
from .people_track_charge_request import PeopleTrackChargeRequest
from .people_unset_request import PeopleUnsetRequest
from .profile_properties import ProfileProperties
from .reset_request import ResetRequest
from .server_error_properties import ServerErrorProperties
from .server_error_properties_severity import ServerErrorPropertiesSeverity
from .session_data import SessionData
from .session_registration import SessionRegistration
from .set_group_request import SetGroupRequest
from .success_response import SuccessResponse
from .upsert_applied import UpsertApplied
from .upsert_skipped import UpsertSkipped
from .upsert_user_request import UpsertUserRequest
from .upsert_user_response import UpsertUserResponse
from .wallet_address_request import WalletAddressRequest

__all__ = (
    "BulkEvents",
    "CustomProperties",
    "Event",
    "EventEventType",
    "FixedProperties",
    "GroupMembershipRequest",
    "GroupProfileAppendRequest",
    "GroupProfileIncrementRequest",
    "GroupProfilePropertiesRequest",
    "GroupProfileRemoveRequest",
    "GroupProfileRequest",
    "GroupProfileUnionRequest",
    "GroupProfileUnsetRequest",
    "IdentifyRequest",
    "IdentifyResponse",
    "PeopleIncrementRequest",
    "PeopleListRequest",
    "PeoplePropertiesRequest",
    "PeopleRequest",
    "PeopleTrackChargeRequest",
    "PeopleUnsetRequest",
    "ProfileProperties",
    "ResetRequest",
    "ServerErrorProperties",
    "ServerErrorPropertiesSeverity",
    "SessionData",
    "SessionRegistration",
    "SetGroupRequest",
    "SuccessResponse",
    "UpsertApplied",
    "UpsertSkipped",
    "UpsertUserRequest",
    "UpsertUserResponse",
    "WalletAddressRequest",
)
