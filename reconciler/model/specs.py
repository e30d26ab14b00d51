"""Manifest models: a Kubernetes-style envelope around a `spec` that mirrors an AWS API input.

The spec models are generated from botocore's shapes (see `shapes`), so every field, type, enum and
required flag AWS documents is validated, and `reconciler schema` can print a JSON Schema editors use.
A few members are taken over by the envelope (the family comes from `metadata.name`, for example) and
a few are added where the product manages more than one API call (ECR lifecycle and repository
policies, given as YAML objects rather than JSON strings).
"""

from __future__ import annotations

import keyword
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any, Literal, Union

from botocore.model import ListShape, MapShape, Shape, StructureShape
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

from reconciler.model import shapes
from reconciler.model.keys import Kind

API_VERSION = "reconciler/v1"


@dataclass(frozen=True)
class KindSpec:
    """How one manifest kind maps onto the AWS API."""

    kind: Kind
    service: str
    create_operation: str
    name_member: str  # the input member that metadata.name fills
    excluded: frozenset[str]  # input members the user does not write in spec
    required: frozenset[str] = frozenset()  # members we require although AWS does not
    extra: Mapping[str, Any] = field(default_factory=dict)  # product fields beyond the API input
    name_pattern: str = r"^[A-Za-z0-9_-]{1,255}$"
    name_rule: str = "up to 255 letters, numbers, hyphens and underscores"
    tags_member: str = "tags"  # where the spec holds the resource's own tags (see reconciler.model.tags.spec_tags)


POLICY_DOC = dict[str, Any]

KIND_SPECS: dict[Kind, KindSpec] = {
    Kind.REPOSITORY: KindSpec(
        kind=Kind.REPOSITORY,
        service="ecr",
        create_operation="CreateRepository",
        name_member="repositoryName",
        excluded=frozenset({"repositoryName", "registryId"}),
        extra={
            "lifecyclePolicy": (
                POLICY_DOC | None,
                Field(None, description="ECR lifecycle policy as an object (PutLifecyclePolicy)."),
            ),
            "repositoryPolicy": (
                POLICY_DOC | None,
                Field(None, description="Repository permissions policy as an object (SetRepositoryPolicy)."),
            ),
        },
        name_pattern=r"^(?=.{2,256}$)(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$",
        name_rule="2 to 256 lower-case letters, digits and . _ - /, starting with a letter or digit",
    ),
    Kind.CLUSTER: KindSpec(
        kind=Kind.CLUSTER,
        service="ecs",
        create_operation="CreateCluster",
        name_member="clusterName",
        excluded=frozenset({"clusterName"}),
    ),
    Kind.TASK_DEFINITION: KindSpec(
        kind=Kind.TASK_DEFINITION,
        service="ecs",
        create_operation="RegisterTaskDefinition",
        name_member="family",
        excluded=frozenset({"family"}),
    ),
    Kind.TASK: KindSpec(
        kind=Kind.TASK,
        service="ecs",
        create_operation="RunTask",
        name_member="",  # metadata.name names the hook; AWS gives the task an ID
        excluded=frozenset({"startedBy", "clientToken"}),
        required=frozenset({"taskDefinition"}),
        extra={
            "runBefore": (
                list[str] | None,
                Field(None, description="Services (names of Service manifests) that must not roll out until "
                                        "this task has run successfully, e.g. a database migration."),
            ),
            "runAfter": (
                list[str] | None,
                Field(None, description="Services (names of Service manifests) whose rollout must complete "
                                        "before this task runs."),
            ),
            "timeoutSeconds": (
                int | None,
                Field(None, ge=1, description="How long the task may take, start to stop (default 600)."),
            ),
        },
    ),
    Kind.SERVICE: KindSpec(
        kind=Kind.SERVICE,
        service="ecs",
        create_operation="CreateService",
        name_member="serviceName",
        excluded=frozenset({"serviceName", "clientToken"}),
        required=frozenset({"taskDefinition"}),
    ),
    # --- EC2 capacity (IAM, EC2, Auto Scaling, ECS capacity providers): each spec in its own API's casing ---
    Kind.ROLE: KindSpec(
        kind=Kind.ROLE,
        service="iam",
        create_operation="CreateRole",
        name_member="RoleName",
        excluded=frozenset({"RoleName", "AssumeRolePolicyDocument"}),
        extra={
            "AssumeRolePolicyDocument": (
                POLICY_DOC,
                Field(..., description="The trust policy, as an object (IAM takes it as JSON text): who may "
                                       "assume the role, e.g. the EC2 service for an instance profile."),
            ),
            "ManagedPolicyArns": (
                list[str] | None,
                Field(None, description="Managed policies attached to the role (AttachRolePolicy); policies "
                                        "attached that are not listed are detached, as CloudFormation does."),
            ),
        },
        name_pattern=r"^[\w+=,.@-]{1,64}$",
        name_rule="1 to 64 letters, digits and + = , . @ _ -",
        tags_member="Tags",
    ),
    Kind.INSTANCE_PROFILE: KindSpec(
        kind=Kind.INSTANCE_PROFILE,
        service="iam",
        create_operation="CreateInstanceProfile",
        name_member="InstanceProfileName",
        excluded=frozenset({"InstanceProfileName"}),
        extra={
            "Roles": (
                list[str] | None,
                Field(None, description="The role the instances get (AddRoleToInstanceProfile): a Role manifest "
                                        "or an existing role, by name. An instance profile holds at most one."),
            ),
        },
        name_pattern=r"^[\w+=,.@-]{1,128}$",
        name_rule="1 to 128 letters, digits and + = , . @ _ -",
        tags_member="Tags",
    ),
    Kind.LAUNCH_TEMPLATE: KindSpec(
        kind=Kind.LAUNCH_TEMPLATE,
        service="ec2",
        create_operation="CreateLaunchTemplate",
        name_member="LaunchTemplateName",
        # VersionDescription records the digest of what each version was created from (the loop guard).
        excluded=frozenset({"LaunchTemplateName", "DryRun", "ClientToken", "VersionDescription", "Operator"}),
        name_pattern=r"^[a-zA-Z0-9().\-/_]{3,128}$",
        name_rule="3 to 128 letters, digits and ( ) . - / _",
        tags_member="TagSpecifications",
    ),
    Kind.AUTO_SCALING_GROUP: KindSpec(
        kind=Kind.AUTO_SCALING_GROUP,
        service="autoscaling",
        create_operation="CreateAutoScalingGroup",
        name_member="AutoScalingGroupName",
        excluded=frozenset({"AutoScalingGroupName", "InstanceId", "Operator"}),
        name_pattern=r"^[A-Za-z0-9._+=@/-]{1,255}$",
        name_rule="1 to 255 letters, digits and . _ + = @ / -",
        tags_member="Tags",
    ),
    Kind.CAPACITY_PROVIDER: KindSpec(
        kind=Kind.CAPACITY_PROVIDER,
        service="ecs",
        create_operation="CreateCapacityProvider",
        name_member="name",
        excluded=frozenset({"name"}),
        # CreateCapacityProvider: "It can't be prefixed with \"aws\", \"ecs\", or \"fargate\"".
        name_pattern=r"^(?!(?i:aws|ecs|fargate))[A-Za-z0-9_-]{1,255}$",
        name_rule="up to 255 letters, numbers, hyphens and underscores, not starting with aws, ecs or fargate",
    ),
}

_SCALARS: dict[str, Any] = {
    "string": str,
    "integer": int,
    "long": int,
    "boolean": bool,
    "double": float,
    "float": float,
    "timestamp": str,
    "blob": str,
}

# Members the ECS service requires although its API model does not mark them required.
SERVER_REQUIRED: dict[str, frozenset[str]] = {
    "ContainerDefinition": frozenset({"name", "image"}),
}

_CONFIG = ConfigDict(extra="forbid", coerce_numbers_to_str=True, populate_by_name=False)


def _python_type(shape: Shape, models: dict[str, type[BaseModel]]) -> Any:
    if isinstance(shape, StructureShape):
        return _structure_model(shape, models)
    if isinstance(shape, ListShape):
        return list[_python_type(shape.member, models)]  # type: ignore[misc]
    if isinstance(shape, MapShape):
        return dict[str, _python_type(shape.value, models)]  # type: ignore[misc]
    enum = getattr(shape, "enum", None)
    if shape.type_name == "string" and enum:
        return Literal[tuple(enum)]
    return _SCALARS[shape.type_name]


def _field_name(member: str) -> str:
    return member + "_" if keyword.iskeyword(member) or not member.isidentifier() else member


def _fields(
    shape: StructureShape,
    models: dict[str, type[BaseModel]],
    skip: frozenset[str] = frozenset(),
    required: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    required = required | SERVER_REQUIRED.get(shape.name, frozenset())
    for member, member_shape in shape.members.items():
        if member in skip:
            continue
        typ = _python_type(member_shape, models)
        doc = shapes.summary(member_shape) or None
        alias = member if _field_name(member) != member else None
        if member in shape.required_members or member in required:
            out[_field_name(member)] = (typ, Field(..., description=doc, alias=alias))
        else:
            out[_field_name(member)] = (typ | None, Field(None, description=doc, alias=alias))
    return out


def _structure_model(shape: StructureShape, models: dict[str, type[BaseModel]]) -> type[BaseModel]:
    if shape.name not in models:
        fields = _fields(shape, models)
        models[shape.name] = create_model(shape.name, __config__=_CONFIG, **fields)
    return models[shape.name]


@cache
def spec_model(kind: Kind) -> type[BaseModel]:
    """The pydantic model of `spec` for a kind, generated from the AWS input shape."""
    ks = KIND_SPECS[kind]
    shape = shapes.input_shape(ks.service, ks.create_operation)
    models: dict[str, type[BaseModel]] = {}
    fields = _fields(shape, models, skip=ks.excluded, required=ks.required)
    fields.update(ks.extra)
    model: type[BaseModel] = create_model(f"{kind.value}Spec", __config__=_CONFIG, **fields)
    model.__doc__ = f"Fields of the AWS {ks.create_operation} request ({ks.service.upper()} API)."
    return model


class Metadata(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., description="The resource's name in AWS.")
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


@cache
def document_model(kind: Kind) -> type[BaseModel]:
    """The whole manifest document of one kind: apiVersion, kind, metadata, spec."""
    fields: dict[str, Any] = {
        "apiVersion": (Literal["reconciler/v1"], Field(...)),
        "kind": (Literal[kind.value], Field(...)),
        "metadata": (Metadata, Field(...)),
        "spec": (spec_model(kind), Field(...)),
    }
    model: type[BaseModel] = create_model(f"{kind.value}Manifest", __config__=ConfigDict(extra="forbid"), **fields)
    return model


def json_schema() -> dict[str, Any]:
    """JSON Schema of any manifest document (a union discriminated by `kind`)."""
    union: Any = Union[tuple(document_model(k) for k in Kind)]  # noqa: UP007
    annotated: Any = Annotated[union, Field(discriminator="kind")]
    adapter: TypeAdapter[Any] = TypeAdapter(annotated)
    schema = adapter.json_schema()
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    schema["title"] = "reconciler manifest"
    return schema


def allowed_members(kind: Kind, path: tuple[str | int, ...]) -> list[str]:
    """The field names allowed at `path` inside a spec (for "did you mean" hints)."""
    ks = KIND_SPECS[kind]
    shape: Shape = shapes.input_shape(ks.service, ks.create_operation)
    top = True
    for part in path:
        if isinstance(shape, ListShape):
            shape = shape.member
            if isinstance(part, int):
                continue
        if isinstance(shape, MapShape):
            shape = shape.value
            continue
        if not isinstance(shape, StructureShape) or not isinstance(part, str) or part not in shape.members:
            return []
        shape = shape.members[part]
        top = False
    while isinstance(shape, ListShape):
        shape = shape.member
    if not isinstance(shape, StructureShape):
        return []
    names = set(shape.members)
    if top:
        names = (names - ks.excluded) | set(ks.extra)
    return sorted(names)
