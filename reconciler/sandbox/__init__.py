"""The sandbox: moto made to behave like real Amazon ECS, and a way to run it on 127.0.0.1."""

from reconciler.sandbox.ecs_fixes import install_ecs_fixes
from reconciler.sandbox.scheduler import get_pace, set_pace
from reconciler.sandbox.server import Sandbox, reset_sandbox

__all__ = ["Sandbox", "get_pace", "install_ecs_fixes", "reset_sandbox", "set_pace"]
