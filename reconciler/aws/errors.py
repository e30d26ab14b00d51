"""Translate botocore errors into the product's errors, in one place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
)

from reconciler.errors import AwsError, NotFoundError

T = TypeVar("T")

NOT_FOUND_CODES = frozenset({
    "ClusterNotFoundException",
    "ServiceNotFoundException",
    "RepositoryNotFoundException",
    "LifecyclePolicyNotFoundException",
    "RepositoryPolicyNotFoundException",
    "NoSuchEntity",  # IAM
    "InvalidLaunchTemplateName.NotFoundException",  # EC2
    "InvalidLaunchTemplateId.NotFound",
    "InvalidLaunchTemplateId.VersionNotFound",
})


class AmbiguousError(AwsError):
    """The request may or may not have been carried out: the connection broke or timed out after it was sent,
    or AWS answered with a server error (5xx). A write that is not idempotent must look before it writes again
    (reconciler.apply.idempotency)."""


def ambiguous_exception(exc: BaseException) -> bool:
    """A transport failure after which the request may have reached AWS. A refused connection or a connect
    timeout proves it did not."""
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError):
        return False
    return isinstance(exc, HTTPClientError)


def ambiguous_status(status: int | None) -> bool:
    """A server error: AWS may have acted before it failed."""
    return status is not None and status >= 500


def call(operation: Callable[..., T], resource: str | None = None, **kwargs: Any) -> T:
    """Call a boto3 client method, translating failures into AwsError / NotFoundError / AmbiguousError."""
    name = getattr(operation, "__name__", "call")
    try:
        return operation(**kwargs)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message", exc))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        cls = NotFoundError if code in NOT_FOUND_CODES else AmbiguousError if ambiguous_status(status) else AwsError
        raise cls(_operation_name(name), code, message, resource) from exc
    except BotoCoreError as exc:
        cls = AmbiguousError if ambiguous_exception(exc) else AwsError
        raise cls(_operation_name(name), type(exc).__name__, str(exc), resource) from exc


def _operation_name(method: str) -> str:
    return "".join(part.capitalize() for part in method.split("_"))


def all_pages(client: Any, method: str, result_key: str, resource: str | None = None, **kwargs: Any) -> list[Any]:
    """Every item of every page of a list/describe call (boto3 paginators are lazy: walk them inside `call`)."""

    def pages(**kw: Any) -> list[Any]:
        found: list[Any] = []
        for page in client.get_paginator(method).paginate(**kw):
            found.extend(page.get(result_key, []))
        return found

    pages.__name__ = method
    return call(pages, resource, **kwargs)
