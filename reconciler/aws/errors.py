"""Translate botocore errors into the product's errors, in one place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from reconciler.errors import AwsError, NotFoundError

T = TypeVar("T")

NOT_FOUND_CODES = frozenset({
    "ClusterNotFoundException",
    "ServiceNotFoundException",
    "RepositoryNotFoundException",
    "LifecyclePolicyNotFoundException",
    "RepositoryPolicyNotFoundException",
})


def call(operation: Callable[..., T], resource: str | None = None, **kwargs: Any) -> T:
    """Call a boto3 client method, translating failures into AwsError / NotFoundError."""
    name = getattr(operation, "__name__", "call")
    try:
        return operation(**kwargs)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message", exc))
        cls = NotFoundError if code in NOT_FOUND_CODES else AwsError
        raise cls(_operation_name(name), code, message, resource) from exc
    except BotoCoreError as exc:
        raise AwsError(_operation_name(name), type(exc).__name__, str(exc), resource) from exc


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
