"""Writes that are safe to repeat after a lost response.

A request whose response was lost (a read timeout, a reset connection, a 5xx) may or may not have been carried
out. botocore would send it again; for most of our writes that is harmless (they set a value, or carry a
clientToken: the table in docs/reliability.md). RegisterTaskDefinition is neither: sent twice, it registers two
revisions. So botocore is told not to resend it after an ambiguous failure (reconciler.aws.clients), and here we
look before we write again: a revision newer than the one the plan saw and carrying the digest of what we sent
is the one our lost request registered.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from reconciler.aws.ecs import EcsApi
from reconciler.aws.errors import AmbiguousError
from reconciler.model.tags import SENT_DIGEST_TAG, tags_to_map

ATTEMPTS = 5  # sends of one registration at most (each after looking for the result of the one before)
RECENT = 5  # revisions looked at for the result of a lost registration (we hold the lock: it is the newest)


def registered_revision(ecs: EcsApi, family: str, digest: str, newer_than: int) -> str | None:
    """The ARN of a revision newer than `newer_than` that carries our sent digest `digest`, if any."""
    for arn in ecs.recent_task_definitions(family, RECENT):
        if int(arn.rsplit(":", 1)[-1]) <= newer_than:
            break
        found = ecs.describe_task_definition(arn)
        if found is not None and tags_to_map(found[1]).get(SENT_DIGEST_TAG) == digest:
            return arn
    return None


def register_task_definition(ecs: EcsApi, family: str, request: dict[str, Any], digest: str, newer_than: int,
                             sleep: Callable[[float], None] = time.sleep) -> tuple[str, bool]:
    """Register one revision of `family` (the request carries the SENT_DIGEST_TAG `digest`), exactly once even
    when responses are lost. Returns its ARN, and whether it was found (registered by a request whose response
    was lost) rather than answered."""
    failed = 0
    while True:
        try:
            out = ecs.register_task_definition(family=family, **request)
            return str(out["taskDefinitionArn"]), False
        except AmbiguousError:
            failed += 1
            found = registered_revision(ecs, family, digest, newer_than)
            if found is not None:
                return found, True
            if failed >= ATTEMPTS:
                raise
            sleep(min(0.2 * 2**failed, 5.0))
