"""The DynamoDB calls behind the product's locks: one item per lock in a table keyed by `lock_id` (S).

Item: lock_id, holder (unique id of the writer), since (ISO-8601 UTC), expires_at (epoch seconds, N) and
token (a fencing counter, N, incremented on every acquisition, including takeovers of expired leases; a
released lock is deleted, so its counter starts again at 1).

Only this module talks to boto3/botocore; the lock logic is in `reconciler.locking`. Every function takes a
low-level boto3 DynamoDB client. The table is created on first use when an operation reports it missing, so
a least-privilege policy (GetItem/PutItem/UpdateItem/DeleteItem on a table created beforehand) is enough.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from reconciler import __version__
from reconciler.aws.clients import AwsSettings
from reconciler.errors import AwsError

T = TypeVar("T")

CONDITION_FAILED = "ConditionalCheckFailedException"
TABLE_MISSING = "ResourceNotFoundException"
TABLE_BUSY = "ResourceInUseException"
USABLE_TABLE_STATES = frozenset({"ACTIVE", "UPDATING"})


@dataclass(frozen=True)
class LeaseRecord:
    """One lock item as stored."""

    key: str
    holder: str
    since: str
    expires_at: float
    token: int


@dataclass(frozen=True)
class AcquireResult:
    """`acquired`: the lease is ours and `record` is it. Otherwise `record` is the current holder's item
    (None if it vanished between our write and our read)."""

    acquired: bool
    record: LeaseRecord | None


def make_client(settings: AwsSettings) -> Any:
    """A DynamoDB client with the same session rules as `reconciler.aws.clients.make_clients`.
    Lease calls are small and time-critical: few retries and short timeouts, so a renewal fails fast."""
    session = boto3.session.Session(
        profile_name=settings.profile,
        region_name=settings.region,
        aws_access_key_id=settings.access_key,
        aws_secret_access_key=settings.secret_key,
    )
    config = Config(
        retries={"mode": "standard", "total_max_attempts": 3},
        user_agent_extra=f"reconciler/{__version__}",
        connect_timeout=5,
        read_timeout=10,
    )
    kwargs: dict[str, Any] = {"region_name": session.region_name or "us-east-1", "config": config}
    if settings.endpoint_url:
        kwargs["endpoint_url"] = settings.endpoint_url
    return session.client("dynamodb", **kwargs)


def ensure_table(client: Any, table: str, wait_seconds: float = 120.0, poll: float = 0.5) -> None:
    """Create the lock table if it is missing (PAY_PER_REQUEST, hash key lock_id), then wait until usable.
    An existing table is used as is; one being created by someone else at the same time is waited for."""
    status = _table_status(client, table)
    if status is None:
        try:
            client.create_table(
                TableName=table,
                AttributeDefinitions=[{"AttributeName": "lock_id", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "lock_id", "KeyType": "HASH"}],
                BillingMode="PAY_PER_REQUEST",
            )
        except ClientError as exc:
            if _code(exc) != TABLE_BUSY:
                raise _aws_error("CreateTable", exc, table) from exc
        except BotoCoreError as exc:
            raise _aws_error("CreateTable", exc, table) from exc
    deadline = time.monotonic() + wait_seconds
    while status not in USABLE_TABLE_STATES:
        if time.monotonic() >= deadline:
            raise AwsError("DescribeTable", "Timeout", f"table did not become ACTIVE within {wait_seconds:g}s "
                           f"(status {status})", _resource(table))
        time.sleep(poll)
        status = _table_status(client, table)


def try_acquire(client: Any, table: str, key: str, holder: str, since: str, now: float,
                expires_at: float) -> AcquireResult:
    """Take the lease if the item is absent or expired by `now`; bump the fencing token."""

    def attempt() -> AcquireResult:
        try:
            response = client.update_item(
                TableName=table,
                Key={"lock_id": {"S": key}},
                UpdateExpression="SET #holder = :me, #since = :since, #expires = :exp ADD #token :one",
                ConditionExpression="attribute_not_exists(lock_id) OR #expires < :now",
                ExpressionAttributeNames={"#holder": "holder", "#since": "since", "#expires": "expires_at",
                                          "#token": "token"},
                ExpressionAttributeValues={":me": {"S": holder}, ":since": {"S": since},
                                           ":exp": {"N": _num(expires_at)}, ":now": {"N": _num(now)},
                                           ":one": {"N": "1"}},
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if _code(exc) != CONDITION_FAILED:
                raise
            old: Any = exc.response.get("Item")
            current = _record(old) if old else read(client, table, key)
            # Our own write may have taken the lease already: botocore resends a request whose response was lost
            # (a reset connection, a timeout), and the resent one then fails the condition against it.
            if current is not None and current.holder == holder and current.since == since:
                return AcquireResult(True, current)
            return AcquireResult(False, current)
        record = _record(response.get("Attributes", {}))
        if record is None:  # pragma: no cover - DynamoDB always returns the item with ALL_NEW
            raise AwsError("UpdateItem", "InvalidResponse", "no attributes returned", _resource(table, key))
        return AcquireResult(True, record)

    return _with_table(client, table, key, "UpdateItem", attempt)


def renew(client: Any, table: str, key: str, holder: str, token: int, expires_at: float) -> bool:
    """Extend our lease to `expires_at`. False if it is no longer ours (taken over, or released)."""

    def attempt() -> bool:
        try:
            client.update_item(
                TableName=table,
                Key={"lock_id": {"S": key}},
                UpdateExpression="SET #expires = :exp",
                ConditionExpression="#holder = :me AND #token = :t",
                ExpressionAttributeNames={"#holder": "holder", "#token": "token", "#expires": "expires_at"},
                ExpressionAttributeValues={":me": {"S": holder}, ":t": {"N": str(token)},
                                           ":exp": {"N": _num(expires_at)}},
            )
        except ClientError as exc:
            if _code(exc) in (CONDITION_FAILED, TABLE_MISSING):
                return False
            raise
        return True

    return _call("UpdateItem", table, key, attempt)


def release(client: Any, table: str, key: str, holder: str, token: int) -> bool:
    """Delete the item if it is still our lease. False if it was not ours (taken over); True when it is gone
    (deleted by us, possibly by a request whose response was lost and which botocore resent)."""

    def attempt() -> bool:
        try:
            client.delete_item(
                TableName=table,
                Key={"lock_id": {"S": key}},
                ConditionExpression="#holder = :me AND #token = :t",
                ExpressionAttributeNames={"#holder": "holder", "#token": "token"},
                ExpressionAttributeValues={":me": {"S": holder}, ":t": {"N": str(token)}},
            )
        except ClientError as exc:
            if _code(exc) == TABLE_MISSING:
                return False
            if _code(exc) == CONDITION_FAILED:
                return read(client, table, key) is None
            raise
        return True

    return _call("DeleteItem", table, key, attempt)


def read(client: Any, table: str, key: str) -> LeaseRecord | None:
    """The current item for `key`, or None (no item, or no table)."""

    def attempt() -> LeaseRecord | None:
        try:
            response = client.get_item(TableName=table, Key={"lock_id": {"S": key}}, ConsistentRead=True)
        except ClientError as exc:
            if _code(exc) == TABLE_MISSING:
                return None
            raise
        item = response.get("Item")
        return _record(item) if item else None

    return _call("GetItem", table, key, attempt)


def scan_prefix(client: Any, table: str, prefix: str) -> list[LeaseRecord]:
    """Every item whose key starts with `prefix` (a lock table is small: a consistent scan is cheap)."""

    def attempt() -> list[LeaseRecord]:
        records: list[LeaseRecord] = []
        try:
            pages = client.get_paginator("scan").paginate(
                TableName=table, ConsistentRead=True, FilterExpression="begins_with(lock_id, :p)",
                ExpressionAttributeValues={":p": {"S": prefix}})
            for page in pages:
                records.extend(r for item in page.get("Items", []) if (r := _record(item)) is not None)
        except ClientError as exc:
            if _code(exc) == TABLE_MISSING:
                return []
            raise
        return records

    return _call("Scan", table, prefix, attempt)


# -- helpers ------------------------------------------------------------------------------------------------


def _with_table(client: Any, table: str, key: str, operation: str, fn: Callable[[], T]) -> T:
    """Run `fn`; if the table does not exist (yet), create it / wait for it and run `fn` once more."""
    try:
        return _call(operation, table, key, fn)
    except AwsError as exc:
        if exc.code != TABLE_MISSING:
            raise
    ensure_table(client, table)
    return _call(operation, table, key, fn)


def _call(operation: str, table: str, key: str, fn: Callable[[], T]) -> T:
    try:
        return fn()
    except ClientError as exc:
        raise _aws_error(operation, exc, table, key) from exc
    except BotoCoreError as exc:
        raise _aws_error(operation, exc, table, key) from exc


def _table_status(client: Any, table: str) -> str | None:
    try:
        response = client.describe_table(TableName=table)
    except ClientError as exc:
        if _code(exc) == TABLE_MISSING:
            return None
        raise _aws_error("DescribeTable", exc, table) from exc
    except BotoCoreError as exc:
        raise _aws_error("DescribeTable", exc, table) from exc
    return str(response["Table"]["TableStatus"])


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


def _aws_error(operation: str, exc: Exception, table: str, key: str | None = None) -> AwsError:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return AwsError(operation, _code(exc), str(error.get("Message", exc)), _resource(table, key))
    return AwsError(operation, type(exc).__name__, str(exc), _resource(table, key))


def _resource(table: str, key: str | None = None) -> str:
    return f"DynamoDB table '{table}'" + (f" key '{key}'" if key is not None else "")


def _num(value: float) -> str:
    return f"{value:.3f}"


def _record(item: dict[str, Any]) -> LeaseRecord | None:
    try:
        return LeaseRecord(
            key=str(item["lock_id"]["S"]),
            holder=str(item.get("holder", {}).get("S", "<unknown>")),
            since=str(item.get("since", {}).get("S", "<unknown>")),
            expires_at=float(item.get("expires_at", {}).get("N", "0")),
            token=int(float(item.get("token", {}).get("N", "0"))),
        )
    except (KeyError, TypeError, ValueError):
        return None
