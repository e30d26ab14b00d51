"""Every ECS request: the scheduler's turn (``events.Listener.request``), then the refusals, then moto.

Refusals run on the request as sent (camelCase JSON, what ECS receives), before moto parses it, and answer
with ECS's error code and message exactly as moto answers its own errors.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.ecs.responses import EC2ContainerServiceResponse

from reconciler.sandbox import events
from reconciler.sandbox.ecs.common import patch
from reconciler.sandbox.ecs.errors import SerializationException
from reconciler.sandbox.ecs.service_rules import check_create_service, check_update_service
from reconciler.sandbox.ecs.task_definition_rules import check_register_task_definition
from reconciler.sandbox.ecs.wire import check_types

__all__ = ["fix_requests"]

Check = Callable[[Any, dict[str, Any]], None]

# action -> what ECS refuses beyond the API's types (backend, request)
REFUSALS: dict[str, Check] = {
    "RegisterTaskDefinition": lambda _backend, request: check_register_task_definition(request),
    "CreateService": check_create_service,
    "UpdateService": check_update_service,
}


def _request(response: Any) -> dict[str, Any]:
    body = response.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        parsed = json.loads(body) if body else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _refuse(response: Any) -> None:
    action = response._get_action()
    request = _request(response)
    check_types(action, request)
    check = REFUSALS.get(action)
    if check is not None:
        check(response.ecs_backend, request)


def _error(response: Any, exc: ServiceException) -> tuple[int, dict[str, str], Any]:
    """The response moto gives for its own errors (``BaseResponse.call_action``); an error the ECS model does
    not list (SerializationException) as AWS's JSON services write it: ``__type``, and a message if any."""
    if isinstance(exc, SerializationException):
        body: dict[str, str] = {"__type": exc.code}
        if exc.message:
            body["message"] = exc.message
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": exc.code, "status": "400"}
        headers, text = response._enrich_response(headers, json.dumps(body))
        return 400, headers, text
    status, headers, payload = response.serialized(ActionResult(exc))
    headers["status"] = str(status)
    headers, payload = response._enrich_response(headers, payload)
    return status, headers, payload


def fix_requests() -> None:
    """Every ECS request goes through the scheduler's turn and the refusals before moto answers it."""

    def make(original: Any) -> Callable[..., Any]:
        def call_action(self: Any) -> Any:
            with events.listener().request(self.ecs_backend):
                try:
                    _refuse(self)
                except ServiceException as exc:
                    return _error(self, exc)
                return original(self)

        return call_action

    patch(EC2ContainerServiceResponse, "call_action", make)
