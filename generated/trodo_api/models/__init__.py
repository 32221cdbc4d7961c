"""Contains all the data models used in inputs/outputs"""

from .bulk_events import BulkEvents
from .custom_properties import CustomProperties
from .event import Event
from .event_event_type import EventEventType
from .identify_request import IdentifyRequest
from .identify_response import IdentifyResponse
from .reset_request import ResetRequest
from .session_data import SessionData
from .session_registration import SessionRegistration
from .success_response import SuccessResponse
from .wallet_address_request import WalletAddressRequest

__all__ = (
    "BulkEvents",
    "CustomProperties",
    "Event",
    "EventEventType",
    "IdentifyRequest",
    "IdentifyResponse",
    "ResetRequest",
    "SessionData",
    "SessionRegistration",
    "SuccessResponse",
    "WalletAddressRequest",
)
