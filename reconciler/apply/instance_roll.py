"""Replace an Auto Scaling group's instances, and scale it in, without losing a task.

The plan says which instances are old (reconciler.planning.auto_scaling_groups); this executor derives its progress
from live state at every step, so a crash, a Ctrl-C or a failure mid-way leaves nothing a re-run cannot continue:

1. **Launch first.** The group's desired capacity is raised to the final capacity plus the old instances (its
   MaxSize too, when needed), and the new instances must be InService and registered as ACTIVE container instances
   of the cluster (agent connected) before anything old is touched. The capacity the group had is recorded on it
   (tag `reconciler:roll`) until the end.
2. **Drain, one batch at a time.** Each old container instance is set DRAINING; ECS replaces its service tasks
   elsewhere within each service's minimumHealthyPercent and maximumPercent. It is drained when it runs no task.
   A drain that does not finish within the timeout fails the apply, naming the tasks that would not move; the
   instance stays DRAINING and is not terminated.
3. **Only then terminate.** The idle container instance is deregistered (ECS refuses while a task runs) and the EC2
   instance terminated with TerminateInstanceInAutoScalingGroup, decrementing the desired capacity (scale-in
   protection does not apply to that call: a group with NewInstancesProtectedFromScaleIn, or under managed
   termination protection, is handled the same way, and AWS never picks an instance on its own).

Scale-in (a lower DesiredCapacity) drains and terminates the surplus the same way. A group whose instances join no
known cluster (no ECS_CLUSTER in the user data, no capacity provider of a cluster) is rolled without the ECS steps.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from reconciler.apply import container_instances as ci
from reconciler.apply.context import ApplyContext
from reconciler.errors import AwsError
from reconciler.live.auto_scaling_groups import group_resource, instance_ids
from reconciler.model import capacity_refs
from reconciler.model.keys import Kind
from reconciler.model.manifest import Manifest
from reconciler.model.tags import ROLL_TAG, tags_to_map
from reconciler.planning import auto_scaling_groups as plan_groups


@dataclass(frozen=True)
class RollStatus:
    group: str
    old: int  # instances still to replace
    new: int  # instances of the current launch template version
    ready: int  # of those, registered with the cluster and taking tasks
    draining: int
    tasks_to_move: int
    phase: str  # launching | registering | draining | terminating | scaling in | done | failed

    def describe(self) -> str:
        return (f"{self.old} old, {self.new} new ({self.ready} registered), {self.draining} draining, "
                f"{self.tasks_to_move} task(s) to move ({self.phase})")


@runtime_checkable
class RollReporter(Protocol):
    def instances(self, status: RollStatus) -> None: ...


def parse_roll_tag(value: str | None) -> dict[str, int]:
    """{"desired": N, "max": M} from "desired=N max=M"."""
    out: dict[str, int] = {}
    for part in (value or "").split():
        key, _, number = part.partition("=")
        if number.isdigit():
            out[key] = int(number)
    return out


def clusters_of(m: Manifest, ctx: ApplyContext) -> list[str]:
    """The clusters the group's instances join: ECS_CLUSTER in its launch template's user data, and the clusters
    whose capacity providers are over this group."""
    name, _, _ = plan_groups.template_ref(m.spec)
    found: list[str] = []
    template = next((t for t in ctx.manifests if t.kind is Kind.LAUNCH_TEMPLATE and t.name == name), None)
    spec = template.spec if template is not None else \
        (ctx.live.launch_templates[name].spec if name in ctx.live.launch_templates else {})
    joined = capacity_refs.user_data_cluster((spec.get("LaunchTemplateData") or {}).get("UserData"))
    if joined:
        found.append(joined)
    providers = {p.name for p in ctx.manifests
                 if p.kind is Kind.CAPACITY_PROVIDER and capacity_refs.provider_group(p.spec) == m.name}
    found += [c.name for c in ctx.manifests
              if c.kind is Kind.CLUSTER and providers & set(c.spec.get("capacityProviders") or [])]
    return list(dict.fromkeys(found))


class Roll:
    """One group's roll and scale-in (see the module docstring)."""

    def __init__(self, m: Manifest, ctx: ApplyContext, version: str | None, final_desired: int | None) -> None:
        self.m, self.ctx, self.version = m, ctx, version
        self.asg, self.ecs = ctx.apis.autoscaling, ctx.apis.ecs
        self.final_desired = final_desired  # None: not ours (a capacity provider scales the group)
        self.batch = m.batch_size()
        self.timeout = m.drain_timeout(ctx.rollout_timeout)
        self.clusters = clusters_of(m, ctx)
        self.replaced = 0
        self.scaled_in = 0

    # --- reading ----------------------------------------------------------------------------------------------
    def _group(self) -> dict[str, Any]:
        group = self.asg.describe_group(self.m.name)
        if group is None:
            raise AwsError("ReplaceInstances", "NotFound", "the group no longer exists", str(self.m.key))
        return group

    def _state(self) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, ci.ContainerInstance]]:
        group = self._group()
        ids = instance_ids(group)
        subnets = self.ctx.apis.ec2.instance_subnets(ids) if ids else {}
        instances = plan_groups.in_service(group_resource(group, subnets))
        registered = ci.find(self.ecs, self.clusters) if self.clusters else {}
        return group, instances, registered

    def _ready(self, instance: Mapping[str, Any], registered: Mapping[str, ci.ContainerInstance]) -> bool:
        if instance.get("LifecycleState") != "InService":
            return False
        if not self.clusters:
            return True
        member = registered.get(str(instance.get("InstanceId")))
        return member is not None and member.ready

    def _report(self, old: int, new: int, ready: int, draining: int, tasks: int, phase: str) -> None:
        reporter = self.ctx.reporter
        if isinstance(reporter, RollReporter):
            reporter.instances(RollStatus(self.m.name, old, new, ready, draining, tasks, phase))

    def _pause(self) -> None:
        if self.ctx.should_stop():
            raise AwsError("ReplaceInstances", "Stopped", "stopping: the roll continues at the next apply",
                           str(self.m.key))
        time.sleep(self.ctx.poll_seconds)

    # --- the roll ---------------------------------------------------------------------------------------------
    def run(self) -> str:
        group = self._group()
        recorded = parse_roll_tag(tags_to_map(group.get("Tags")).get(ROLL_TAG))
        if self.final_desired is None:
            self.final_desired = recorded.get("desired", int(group.get("DesiredCapacity") or 0))
        try:
            self._replace(recorded)
            self._scale_in()
            self._finish()
        except AwsError:
            self._report(0, 0, 0, 0, 0, "failed")
            raise
        parts = []
        if self.replaced:
            parts.append(f"replaced {self.replaced} instance(s), each drained first")
        if self.scaled_in:
            parts.append(f"scaled in by {self.scaled_in} (drained first)")
        return "; ".join(parts) or "instances already current"

    def _replace(self, recorded: Mapping[str, int]) -> None:
        assert self.final_desired is not None
        started = time.monotonic()
        while True:
            group, instances, registered = self._state()
            old = [i for i in instances if plan_groups.is_old(i, self.m.spec, self.version)]
            new = [i for i in instances if i not in old]
            ready = [i for i in new if self._ready(i, registered)]
            if not old:
                return
            want = self.final_desired + len(old)
            if int(group.get("DesiredCapacity") or 0) < want:
                self._report(len(old), len(new), len(ready), 0, 0, "launching")
                self._surge(group, want, recorded)
                continue
            if len(ready) < self.final_desired:
                self._report(len(old), len(new), len(ready), 0, 0, "registering")
                if time.monotonic() - started > self.timeout:
                    waiting = [str(i["InstanceId"]) for i in new if i not in ready]
                    where = f"register with cluster {', '.join(self.clusters)}" if self.clusters else "come InService"
                    raise AwsError("ReplaceInstances", "Timeout",
                                   f"{len(waiting)} new instance(s) did not {where} within {self.timeout:.0f}s "
                                   f"({', '.join(waiting)}); no old instance was drained", str(self.m.key))
                self._pause()
                continue
            draining_first = sorted(old, key=lambda i: (registered.get(str(i["InstanceId"])) is None or
                                                        registered[str(i["InstanceId"])].status != "DRAINING"))
            self._drain_and_terminate(draining_first[: self.batch], len(old), len(new), len(ready))
            self.replaced += min(self.batch, len(old))
            started = time.monotonic()

    def _surge(self, group: Mapping[str, Any], want: int, recorded: Mapping[str, int]) -> None:
        tags = tags_to_map(group.get("Tags"))
        if ROLL_TAG not in tags:  # the capacity to come back to, should this apply not finish
            self.asg.put_tags(self.m.name, [{"Key": ROLL_TAG, "PropagateAtLaunch": False,
                                             "Value": f"desired={self.final_desired} max={group.get('MaxSize')}"}])
        self.asg.update_group(self.m.name, DesiredCapacity=want, MaxSize=max(int(group.get("MaxSize") or 0), want))

    def _drain_and_terminate(self, batch: list[dict[str, Any]], old: int, new: int, ready: int) -> None:
        ids = [str(i["InstanceId"]) for i in batch]
        phase = "draining" if old else "scaling in"
        _, _, registered = self._state()
        members = [registered[i] for i in ids if i in registered]
        ci.drain(self.ecs, members)
        deadline = time.monotonic() + self.timeout
        while members:
            _, _, registered = self._state()
            busy = [registered[i] for i in ids if i in registered and not registered[i].idle]
            self._report(old, new, ready, len(ids), sum(b.running + b.pending for b in busy), phase)
            if not busy:
                break
            if time.monotonic() > deadline:
                tasks = [t for member in busy for t in ci.tasks_on(self.ecs, member)]
                raise AwsError("DrainContainerInstance", "Timeout",
                               f"container instance(s) of {', '.join(b.ec2_instance_id for b in busy)} still run "
                               f"{len(tasks)} task(s) after {self.timeout:.0f}s: {'; '.join(tasks) or 'none listed'}. "
                               "Those tasks could not move (no room elsewhere?); the instances stay DRAINING and were "
                               "not terminated", str(self.m.key))
            self._pause()
        self._report(old, new, ready, len(ids), 0, "terminating")
        for instance_id in ids:
            member = registered.get(instance_id)
            if member is not None:
                self.ecs.deregister_container_instance(member.cluster, member.arn)  # refused while a task runs
            self._terminate(instance_id)

    def _terminate(self, instance_id: str) -> None:
        try:
            self.asg.terminate_instance(self.m.name, instance_id)
        except AwsError:
            group = self._group()  # a request whose response was lost may have done it: look
            states = {str(i["InstanceId"]): i.get("LifecycleState") for i in group.get("Instances") or []}
            if states.get(instance_id) not in (None, *plan_groups.LEAVING):
                raise

    def _scale_in(self) -> None:
        if self.final_desired is None or self.m.spec.get("DesiredCapacity") is None:
            return  # (the capacity is someone else's: a capacity provider's managed scaling)
        while True:
            _, instances, registered = self._state()
            surplus = len(instances) - self.final_desired
            if surplus <= 0:
                return

            loads = {str(i["InstanceId"]): _load(i, registered) for i in instances}
            victims = sorted(instances, key=lambda i: loads[str(i["InstanceId"])])[: min(self.batch, surplus)]
            self._drain_and_terminate(victims, 0, len(instances), len(instances))
            self.scaled_in += len(victims)

    def _finish(self) -> None:
        group = self._group()
        wanted_max = int(self.m.spec["MaxSize"])
        if int(group.get("MaxSize") or 0) != wanted_max and int(group.get("DesiredCapacity") or 0) <= wanted_max:
            self.asg.update_group(self.m.name, MaxSize=wanted_max)
        if ROLL_TAG in tags_to_map(group.get("Tags")):
            self.asg.delete_tags(self.m.name, [ROLL_TAG])
        count = len(plan_groups.in_service(group_resource(group)))
        self._report(0, count, count, 0, 0, "done")


def _load(instance: Mapping[str, Any], registered: Mapping[str, ci.ContainerInstance]) -> tuple[bool, int]:
    """Scale-in order: instances that never registered first, then the ones running the fewest tasks."""
    member = registered.get(str(instance["InstanceId"]))
    return member is not None, (member.running + member.pending) if member else 0
