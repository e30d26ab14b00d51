"""moto's Auto Scaling made to behave like Amazon EC2 Auto Scaling, where the EC2 capacity feature depends on it.

* Sizes: CreateAutoScalingGroup and UpdateAutoScalingGroup refuse a MaxSize below the MinSize and a desired capacity
  outside them (ValidationError, AWS's wording); a second group of the same name is AlreadyExists (stock moto
  replaces the first).
* Launching: each instance records the launch template version it was launched from (stock moto reports the
  template's current default for every instance, so no instance ever looks old); an ImageId
  `resolve:ssm:PARAMETER` is resolved from SSM at launch, as EC2 does; instances spread over the group's subnets
  (stock moto puts them all in the first) and get the template's IAM instance profile; a template naming an
  instance profile that does not exist is refused as Auto Scaling refuses it ("Invalid IAM Instance Profile name").
* TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity refuses to go below MinSize, and an
  unknown instance is a ValidationError (stock moto: a server error).
* DeleteAutoScalingGroup refuses while the group has instances, unless ForceDelete (ResourceInUse).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.autoscaling.exceptions import AutoscalingClientError, ValidationError
from moto.autoscaling.models import AutoScalingBackend, FakeAutoScalingGroup, InstanceState
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import EmptyResult

from reconciler.sandbox import patching

__all__ = ["install", "launched_version"]

_OWNER = "autoscaling-fixes"
_VERSION = "_sandbox_launch_template_version"  # on an InstanceState: the version it was launched from


class AlreadyExists(AutoscalingClientError):
    code = "AlreadyExists"


class ResourceInUse(AutoscalingClientError):
    code = "ResourceInUse"


def _patch(cls: type, name: str, make: Callable[[Any], Callable[..., Any]]) -> None:
    patching.patch(cls, name, make, owner=_OWNER)


def check_sizes(low: int | None, high: int | None, desired: int | None) -> None:
    """AWS: "Max bound, 1, must be greater than or equal to min bound, 2"; "Desired capacity:5 must be between the
    specified min size:1 and max size:4"."""
    if low is not None and high is not None and high < low:
        raise ValidationError(f"Max bound, {high}, must be greater than or equal to min bound, {low}")
    if desired is not None and low is not None and high is not None and not low <= desired <= high:
        raise ValidationError(f"Desired capacity:{desired} must be between the specified min size:{low} and max "
                              f"size:{high}")


def fix_sizes() -> None:
    def make_create(original: Any) -> Callable[..., Any]:
        def create_auto_scaling_group(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
            if name in self.autoscaling_groups:
                raise AlreadyExists(f"AutoScalingGroup by this name already exists - A group with the name {name} "
                                    "already exists")
            check_sizes(kwargs.get("min_size"), kwargs.get("max_size"), kwargs.get("desired_capacity"))
            return original(self, name, *args, **kwargs)

        return create_auto_scaling_group

    def make_update(original: Any) -> Callable[..., Any]:
        def update_auto_scaling_group(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
            group = self.autoscaling_groups.get(name)
            if group is not None:
                low = kwargs.get("min_size") if kwargs.get("min_size") is not None else group.min_size
                high = kwargs.get("max_size") if kwargs.get("max_size") is not None else group.max_size
                check_sizes(low, high, kwargs.get("desired_capacity"))
            return original(self, name, *args, **kwargs)

        return update_auto_scaling_group

    _patch(AutoScalingBackend, "create_auto_scaling_group", make_create)
    _patch(AutoScalingBackend, "update_auto_scaling_group", make_update)


# ------------------------------------------------------------------------------------------------- launching

def _resolve_image(group: Any, image_id: str) -> str:
    """EC2 resolves `resolve:ssm:NAME` (or NAME:VERSION) to the parameter's value when it launches an instance."""
    if not image_id.startswith("resolve:ssm:"):
        return image_id
    from moto.ssm.models import ssm_backends

    name = image_id[len("resolve:ssm:"):].rsplit(":", 1)[0] if image_id.count(":") > 2 else image_id[12:]
    parameter = ssm_backends[group.account_id][group.region].get_parameter(name)
    if parameter is None:
        raise ValidationError(f"The SSM parameter {name} does not exist (ImageId {image_id}).")
    return str(parameter.value)


def _check_profile(group: Any, profile: dict[str, Any]) -> None:
    """Auto Scaling refuses a launch template whose instance profile EC2 does not know (yet: IAM propagates)."""
    from moto.iam.models import iam_backends

    ref = str(profile.get("Arn") or profile.get("Name") or "")
    try:
        iam_backends[group.account_id]["global"].get_instance_profile(ref.rsplit("/", 1)[-1])
    except Exception as exc:  # moto: NotFoundException
        parameter = "arn" if profile.get("Arn") else "name"
        raise ValidationError(f"You must use a valid fully-formed launch template. Value ({ref}) for parameter "
                              f"iamInstanceProfile.{parameter} is invalid. Invalid IAM Instance Profile "
                              f"{parameter}") from exc


def launched_version(state: Any) -> int | None:
    """The launch template version an instance was launched from (None: not through the sandbox)."""
    found: int | None = getattr(state, _VERSION, None)
    return found


def fix_launching() -> None:
    def make_replace(_original: Any) -> Callable[..., Any]:
        def replace_autoscaling_group_instances(self: Any, count_needed: int, propagated_tags: dict[str, str]) -> None:
            from moto.autoscaling.models import ASG_NAME_TAG

            propagated_tags[ASG_NAME_TAG] = self.name
            version = None
            profile = None
            if self.ec2_launch_template is not None:
                version = self.ec2_launch_template.get_version(self.launch_template_version)
                propagated_tags.update(version.instance_tags)
                profile = (version.data or {}).get("IamInstanceProfile")
                if profile:
                    _check_profile(self, profile)
            subnets = self.vpc_zone_identifier.split(",") if self.vpc_zone_identifier else [None]
            image = _resolve_image(self, self.image_id)
            template = {"LaunchTemplateId": self.ec2_launch_template.id} if self.ec2_launch_template else None
            for _ in range(count_needed):
                # Spread over the subnets: the next one is the one with the fewest of the group's instances.
                counts = {s: sum(1 for i in self.instance_states if getattr(i.instance, "subnet_id", None) == s)
                          for s in subnets}
                subnet = min(subnets, key=lambda s: counts[s])
                reservation = self.autoscaling_backend.ec2_backend.run_instances(
                    image, 1, self.user_data, self.security_groups, instance_type=self.instance_type,
                    tags={"instance": dict(propagated_tags)}, launch_config=self.launch_config,
                    launch_template=template, is_instance_type_default=False,
                    associate_public_ip=self.launch_config.associate_public_ip_address if self.launch_config else None,
                    subnet_id=subnet.strip() if subnet else None)
                for instance in reservation.instances:
                    instance.autoscaling_group = self
                    if profile:
                        instance.iam_instance_profile = {"Arn": profile.get("Arn") or
                                                         f"arn:aws:iam::{self.account_id}:instance-profile/"
                                                         f"{profile.get('Name')}", "Id": "sandbox"}
                    state = InstanceState(instance, protected_from_scale_in=self.new_instances_protected_from_scale_in)
                    setattr(state, _VERSION, version.number if version is not None else None)
                    self.instance_states.append(state)

        return replace_autoscaling_group_instances

    def make_template(original: Any) -> Any:
        def launch_template(self: Any) -> dict[str, Any] | None:
            found: dict[str, Any] | None = original.fget(self)
            number = launched_version(self)
            if found is not None and number is not None:
                found = {**found, "Version": str(number)}
            return found

        return property(launch_template)

    _patch(FakeAutoScalingGroup, "replace_autoscaling_group_instances", make_replace)
    _patch(InstanceState, "launch_template", make_template)


# ------------------------------------------------------------------------------------ terminating, deleting

def fix_terminate() -> None:
    def make(original: Any) -> Callable[..., Any]:
        def terminate_instance(self: Any, instance_id: str, should_decrement: bool) -> Any:
            group = next((g for g in self.autoscaling_groups.values()
                          if any(s.instance.id == instance_id for s in g.instance_states)), None)
            if group is None:
                raise ValidationError(f"Instance Id not found - No managed instance found for instance ID: "
                                      f"{instance_id}")
            if should_decrement and group.min_size is not None and (group.desired_capacity or 0) <= group.min_size:
                raise ValidationError(
                    f"Currently, desiredSize equals minSize ({group.min_size}). Terminating instance without "
                    "replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity "
                    "flag to false or lower group's min size constraint.")
            return original(self, instance_id, should_decrement)

        return terminate_instance

    _patch(AutoScalingBackend, "terminate_instance", make)


def fix_delete() -> None:
    def make(_original: Any) -> Callable[..., Any]:
        def delete_auto_scaling_group(self: Any) -> EmptyResult:
            backend = self.autoscaling_backend
            name = self._get_param("AutoScalingGroupName")
            group = backend.autoscaling_groups.get(name)
            if group is None:
                raise ValidationError(f"AutoScalingGroup name not found - AutoScalingGroup '{name}' not found")
            if group.instance_states and not self._get_bool_param("ForceDelete", False):
                raise ResourceInUse("You cannot delete an AutoScalingGroup while there are instances or pending Spot "
                                    "instance request(s) still in the group.")
            ids = [s.instance.id for s in group.instance_states]
            if ids:
                backend.ec2_backend.terminate_instances(ids)
            group.instance_states = []
            group.desired_capacity = 0
            backend.autoscaling_groups.pop(name, None)
            return EmptyResult()

        return delete_auto_scaling_group

    _patch(AutoScalingResponse, "delete_auto_scaling_group", make)


def install() -> None:
    """Apply the Auto Scaling fixes (idempotent)."""
    fix_sizes()
    fix_launching()
    fix_terminate()
    fix_delete()
