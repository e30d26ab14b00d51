"""Make the sandbox report values in the form AWS reports them, which is not always the form they were sent in.

Each behaviour below is one that real AWS output shows (sources: tests/fixtures/aws/README.md, "Reported in
another form") and that stock moto does not have. A reconciler that compares what it sent with what AWS reports
must survive all of them; in the sandbox they make `apply` then `plan` prove it.

* ECS CreateCluster/UpdateCluster: a `serviceConnectDefaults.namespace` given by name is reported as the ARN of
  the Cloud Map HTTP namespace of that name, which ECS creates when there is none (moto's servicediscovery).
* ECS CreateService/UpdateService: `serviceConnectConfiguration` is kept (stock moto drops it) and reported on
  the PRIMARY deployment, its namespace (given, or the cluster's default) as an ARN; a spread placement on
  `host` is reported on `instanceId`; a `role` given by name (with or without its IAM path) is reported as the
  role's ARN.
* ECS RegisterTaskDefinition: an environment variable with an empty value is dropped; every volume reports
  `configuredAtLaunch: false` unless sent; `proxyConfiguration.properties` come back sorted by name, not in the
  order sent; `enableFaultInjection` is kept when sent (stock moto drops it).
* ECR CreateRepository: `encryptionConfiguration.kmsKey` given as an alias (name or ARN) or a key id is reported
  as the key's ARN (moto's KMS); an unknown key is refused, as ECR refuses it. (KMS without a key: moto reports
  a made-up key ARN where AWS reports its managed `alias/aws/ecr` key.)
* ECR SetRepositoryPolicy: a principal given as a bare account id is reported as `arn:aws:iam::ID:root`.

`install_reporting()` patches moto's classes process-wide (for `mock_aws()` and the sandbox server alike) and is
idempotent. It builds on the ECS fixes (call it after them).
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from typing import Any

from moto.core.exceptions import ServiceException
from moto.ecr.models import ECRBackend
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse

__all__ = ["install_reporting"]

_MARK = "__reconciler_sandbox_reporting__"
# The ECS fixes skip a method that carries their mark: ours must carry it too, or installing the fixes again
# would wrap our wrappers once more on every call.
_FIXES_MARK = "__reconciler_sandbox_patch__"
_SERVICE_CONNECT = "_sandbox_service_connect"
_lock = threading.Lock()


class KmsException(ServiceException):
    """ECR: the KMS key given for a repository's encryption cannot be used."""

    code = "KmsException"


def _patch(cls: type, name: str, make: Callable[[Any], Callable[..., Any]]) -> None:
    current = cls.__dict__.get(name, getattr(cls, name, None))
    if getattr(current, _MARK, False):
        return
    replacement = make(current)
    setattr(replacement, _MARK, True)
    setattr(replacement, _FIXES_MARK, True)
    setattr(cls, name, replacement)


def _is_arn(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("arn:")


# ----------------------------------------------------------------------------------------------- Cloud Map


def _namespace_arn(account_id: str, region: str, name: str) -> str:
    """The ARN of the Cloud Map namespace `name` (created as an HTTP namespace when missing, as ECS does)."""
    from moto.servicediscovery.models import servicediscovery_backends

    backend = servicediscovery_backends[account_id][region]
    for namespace in backend.list_namespaces():
        if name in (namespace.name, (namespace.http_properties or {}).get("HttpName")):
            return str(namespace.arn)
    backend.create_http_namespace(name, creator_request_id="", description="Created by Amazon ECS", tags=[])
    return next(str(n.arn) for n in backend.list_namespaces() if n.name == name)


def _reported_namespace(backend: Any, namespace: Any) -> Any:
    if not isinstance(namespace, str) or not namespace or _is_arn(namespace):
        return namespace
    return _namespace_arn(backend.account_id, backend.region_name, namespace)


def report_cluster_namespaces() -> None:
    def make_create(original: Any) -> Callable[..., Any]:
        def create_cluster(self: Any, cluster_name: str, *args: Any, **kwargs: Any) -> Any:
            defaults = kwargs.get("service_connect_defaults")
            if isinstance(defaults, dict) and defaults.get("namespace"):
                kwargs["service_connect_defaults"] = {
                    **defaults, "namespace": _reported_namespace(self, defaults["namespace"])}
            return original(self, cluster_name, *args, **kwargs)

        return create_cluster

    def make_update(original: Any) -> Callable[..., Any]:
        def update_cluster(self: Any, *args: Any, **kwargs: Any) -> Any:
            defaults = kwargs.get("service_connect_defaults")
            if isinstance(defaults, dict) and "namespace" in defaults:
                if defaults["namespace"]:
                    kwargs["service_connect_defaults"] = {
                        **defaults, "namespace": _reported_namespace(self, defaults["namespace"])}
                else:  # AWS: an empty namespace removes the cluster's Service Connect defaults
                    kwargs["service_connect_defaults"] = None
                    cluster = original(self, *args, **kwargs)
                    cluster.service_connect_defaults = None
                    return cluster
            return original(self, *args, **kwargs)

        return update_cluster

    _patch(EC2ContainerServiceBackend, "create_cluster", make_create)
    _patch(EC2ContainerServiceBackend, "update_cluster", make_update)


# ------------------------------------------------------------------------------------------------ services


def _role_arn(backend: Any, role: str) -> str:
    """A role given by name ("name" or "/path/name") as AWS reports it: the role's ARN, with its path."""
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import iam_backends

    name = role.strip("/").rsplit("/", 1)[-1]
    try:
        return str(iam_backends[backend.account_id]["global"].get_role(name).arn)
    except NotFoundException:  # an unknown role: the ARN AWS would build from the given path and name
        return f"arn:aws:iam::{backend.account_id}:role/{role.strip('/')}"


def _placement(strategies: Any) -> Any:
    if not isinstance(strategies, list):
        return strategies
    return [{**s, "field": "instanceId"}
            if isinstance(s, dict) and s.get("type") == "spread" and str(s.get("field", "")).lower() == "host" else s
            for s in strategies]


def _report_service(response: Any, service: Any) -> None:
    backend = response.ecs_backend
    if service.role_arn and not _is_arn(service.role_arn):
        service.role_arn = _role_arn(backend, service.role_arn)
    service.placement_strategy = _placement(getattr(service, "placement_strategy", None))
    given = response._get_param("serviceConnectConfiguration")
    if isinstance(given, dict):
        config = copy.deepcopy(given)
        namespace = config.get("namespace")
        if not namespace and config.get("enabled"):
            cluster = backend.clusters.get(service.cluster_arn.rsplit("/", 1)[-1])
            namespace = ((cluster.service_connect_defaults or {}) if cluster else {}).get("namespace")
        if namespace:
            config["namespace"] = _reported_namespace(backend, namespace)
        setattr(service, _SERVICE_CONNECT, config)
    kept = getattr(service, _SERVICE_CONNECT, None)
    if kept is not None:
        for deployment in service.deployments:
            if deployment.get("status") == "PRIMARY":
                deployment["serviceConnectConfiguration"] = copy.deepcopy(kept)


def report_service_fields() -> None:
    def make(original: Any) -> Callable[..., Any]:
        def handler(self: Any) -> Any:
            result = original(self)
            service = result.result.get("service") if hasattr(result, "result") else None
            if service is not None:
                _report_service(self, service)
            return result

        return handler

    _patch(EC2ContainerServiceResponse, "create_service", make)
    _patch(EC2ContainerServiceResponse, "update_service", make)


# -------------------------------------------------------------------------------------- task definitions


def _reported_containers(containers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = copy.deepcopy(containers)
    for container in out:
        if isinstance(container.get("environment"), list):
            container["environment"] = [e for e in container["environment"]
                                        if not (isinstance(e, dict) and e.get("value") in ("", None))]
    return out


def report_task_definition_fields() -> None:
    def make_backend(original: Any) -> Callable[..., Any]:
        def register_task_definition(self: Any, family: str, container_definitions: list[dict[str, Any]],
                                     *args: Any, **kwargs: Any) -> Any:
            volumes = kwargs.get("volumes")
            if isinstance(volumes, list):
                kwargs["volumes"] = [{**v, "configuredAtLaunch": v.get("configuredAtLaunch", False)}
                                     if isinstance(v, dict) else v for v in volumes]
            proxy = kwargs.get("proxy_configuration")
            if isinstance(proxy, dict) and isinstance(proxy.get("properties"), list):
                kwargs["proxy_configuration"] = {
                    **proxy, "properties": sorted(proxy["properties"], key=lambda p: str(p.get("name")))}
            return original(self, family, _reported_containers(container_definitions), *args, **kwargs)

        return register_task_definition

    def make_response(original: Any) -> Callable[..., Any]:
        def register_task_definition(self: Any) -> Any:
            result = original(self)
            fault_injection = self._get_param("enableFaultInjection")
            if fault_injection is not None:
                result.result["taskDefinition"].enable_fault_injection = bool(fault_injection)
            return result

        return register_task_definition

    _patch(EC2ContainerServiceBackend, "register_task_definition", make_backend)
    _patch(EC2ContainerServiceResponse, "register_task_definition", make_response)


# ------------------------------------------------------------------------------------------------------ ECR


def _key_arn(backend: Any, key: str) -> str:
    from moto.kms.models import kms_backends

    kms = kms_backends[backend.account_id][backend.region_name]
    try:
        return str(kms.describe_key(key).arn)
    except (KeyError, TypeError, AttributeError):  # moto: unknown key id, or an alias that names no key
        raise KmsException(f"Failed to use the KMS key {key!r}: it was not found") from None


def _principal(value: Any, account_root: str) -> Any:
    if isinstance(value, list):
        return [_principal(v, account_root) for v in value]
    if isinstance(value, str) and value.isdigit() and len(value) == 12:
        return account_root.format(value)
    return value


def reported_policy(policy_text: str) -> str:
    """A repository policy as ECR reports it: bare account ids as root ARNs, re-serialised."""
    try:
        policy = json.loads(policy_text)
    except ValueError:
        return policy_text
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict):
            continue
        for key in ("Principal", "NotPrincipal"):
            principal = statement.get(key)
            if isinstance(principal, dict) and "AWS" in principal:
                principal["AWS"] = _principal(principal["AWS"], "arn:aws:iam::{}:root")
    return json.dumps(policy, indent=2)


def report_repository_fields() -> None:
    def make_create(original: Any) -> Callable[..., Any]:
        def create_repository(self: Any, *args: Any, **kwargs: Any) -> Any:
            config = kwargs.get("encryption_config")
            if isinstance(config, dict) and config.get("kmsKey"):
                kwargs["encryption_config"] = {**config, "kmsKey": _key_arn(self, config["kmsKey"])}
            return original(self, *args, **kwargs)

        return create_repository

    def make_policy(original: Any) -> Callable[..., Any]:
        def set_repository_policy(self: Any, registry_id: str, repository_name: str, policy_text: str) -> Any:
            return original(self, registry_id, repository_name, reported_policy(policy_text))

        return set_repository_policy

    _patch(ECRBackend, "create_repository", make_create)
    _patch(ECRBackend, "set_repository_policy", make_policy)


_REPORTING: tuple[Callable[[], None], ...] = (
    report_cluster_namespaces,
    report_service_fields,
    report_task_definition_fields,
    report_repository_fields,
)


def install_reporting() -> None:
    """Patch moto to report values as AWS does. Safe to call any number of times."""
    with _lock:
        for patch in _REPORTING:
            patch()
