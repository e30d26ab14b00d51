"""The sandbox: moto made to behave like real Amazon ECS, and a way to run it on 127.0.0.1."""

from reconciler.sandbox.ecs_fixes import install_ecs_fixes
from reconciler.sandbox.server import Sandbox, reset_sandbox

__all__ = ["Sandbox", "install_ecs_fixes", "reset_sandbox"]
