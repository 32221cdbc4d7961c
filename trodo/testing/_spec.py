"""Checks requests against openapi/trodo.yaml, the spec shipped inside the package."""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest
from openapi_core.deserializing.media_types.exceptions import MediaTypeDeserializeError
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.validation.request.exceptions import (
    MissingRequestBodyError,
    SecurityValidationError,
)
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from werkzeug.wrappers import Request

# A symlink to openapi/trodo.yaml in a checkout; a copy of it in a wheel.
SPEC_RESOURCE = "trodo.yaml"
SITE_ID_HEADER = "X-Trodo-Site-Id"


@functools.cache
def load_spec() -> dict[str, Any]:
    """The packaged spec as a dict, its ``servers`` pointed at any host.

    openapi-core matches a request's URL against ``servers``: the mock serves
    on 127.0.0.1:<port>, not on sdkapi.trodo.ai, so a relative server stands in.
    Cached; callers must not change the result.
    """
    text = resources.files("trodo.testing").joinpath(SPEC_RESOURCE).read_text(encoding="utf-8")
    spec: dict[str, Any] = yaml.safe_load(text)
    spec["servers"] = [{"url": "/"}]
    return spec


def spec_paths() -> frozenset[str]:
    """The endpoint paths the spec defines."""
    return frozenset(load_spec()["paths"])


@dataclass(frozen=True)
class Problem:
    """Why a request breaks the spec, and the status the API answers it with."""

    status: int
    message: str


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes) -> Any:
    """The body parsed as strict JSON (no NaN or Infinity), or raises ``ValueError``."""
    return json.loads(body, parse_constant=_reject_constant)


@functools.cache
def request_checker() -> RequestChecker:
    """The one shared checker: building it parses the spec (a tenth of a second)."""
    return RequestChecker()


class RequestChecker:
    """Validates werkzeug requests against the spec with openapi-core; thread-safe."""

    def __init__(self) -> None:
        self._validator = OpenAPI.from_dict(load_spec()).request_validator
        # openapi-core does not promise thread safety; checks are quick, so serialise them.
        self._lock = threading.Lock()

    def check(self, request: Request) -> Problem | None:
        """``None`` when ``request`` follows the spec, else the problem."""
        # The validator, not the unmarshaller: unmarshalling (converting values by
        # their formats) costs ~20x as much, for values the mock does not need.
        with self._lock:
            error = next(self._validator.iter_errors(WerkzeugOpenAPIRequest(request)), None)
        if error is not None:
            return _problem(error, request)
        if not request.headers.get(SITE_ID_HEADER, "").strip():
            return Problem(401, f"the {SITE_ID_HEADER} header is empty")
        try:
            # openapi-core parses with json.loads, which lets NaN and Infinity through.
            parse_json(request.get_data())
        except ValueError as exc:
            return Problem(400, f"body is not valid JSON: {exc}")
        return None


def _problem(error: Exception, request: Request) -> Problem:
    cause = error.__cause__
    if isinstance(error, SecurityValidationError):
        return Problem(401, f"the {SITE_ID_HEADER} header is missing")
    if isinstance(error, PathNotFound):
        return Problem(404, f"no such endpoint: {request.path}")
    if isinstance(error, OperationNotFound):
        return Problem(405, f"{request.method} is not allowed on {request.path}")
    if isinstance(cause, MediaTypeNotFound):
        return Problem(400, f"content type {request.content_type!r} is not application/json")
    if isinstance(cause, MediaTypeDeserializeError):
        return Problem(400, "body is not valid JSON")
    if isinstance(error, MissingRequestBodyError):
        return Problem(400, "body is missing")
    if isinstance(cause, InvalidSchemaValue):
        return Problem(400, "; ".join(_schema_message(e) for e in cause.schema_errors))
    return Problem(400, str(error))


def _schema_message(error: Any) -> str:
    # error: a jsonschema ValidationError (jsonschema ships no type stubs).
    where = "/".join(str(part) for part in error.absolute_path)
    return f"body{'/' + where if where else ''}: {error.message}"
