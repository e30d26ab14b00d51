"""The sandbox: moto made to behave like real Amazon ECS, and a way to run it on 127.0.0.1.

It is an optional part of its own (``pip install 'reconciler[sandbox]'``, which brings moto): it imports
nothing else of the product, and the product reaches it only through ``reconciler.pipeline.load_sandbox``
(both kept by import-linter contracts).

Layout (imports go downwards only; ``.importlinter`` keeps the layers):

1. ``server`` (``Sandbox``, ``reset_sandbox``): the HTTP server, seeded before it listens;
2. ``install`` (everything below, into moto, idempotently) and ``seed`` (the default VPC, subnets, security
   group and role of a fresh account);
3. ``ecs/`` (moto's ECS fixed like ECS, one module per resource, and what ECS refuses), ``ecr``,
   ``scheduler/`` (deployments, tasks, events, placement over time), ``dynamodb`` (atomic conditional writes),
   ``limits`` (AWS's latency and ECS's throttling); the ECS fixes and the scheduler never import each other;
4. ``events`` (the one interface between the ECS fixes and the scheduler: services created, updated,
   deleted, and every request), ``patching``, ``pagination``, ``defaults``.

The public API is what this module exports.
"""

from reconciler.sandbox.dynamodb import install_dynamodb_fixes
from reconciler.sandbox.install import install
from reconciler.sandbox.limits import Limits
from reconciler.sandbox.scheduler import get_pace, set_pace
from reconciler.sandbox.seed import SANDBOX_SECURITY_GROUP, SANDBOX_SUBNETS, TASK_EXECUTION_ROLE_NAME, seed_sandbox
from reconciler.sandbox.server import Sandbox, SandboxStartError, reset_sandbox

# The name the test suites have used since the fixes were one module.
install_ecs_fixes = install

__all__ = [
    "SANDBOX_SECURITY_GROUP",
    "SANDBOX_SUBNETS",
    "TASK_EXECUTION_ROLE_NAME",
    "Limits",
    "Sandbox",
    "SandboxStartError",
    "get_pace",
    "install",
    "install_dynamodb_fixes",
    "install_ecs_fixes",
    "reset_sandbox",
    "seed_sandbox",
    "set_pace",
]
