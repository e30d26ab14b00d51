"""Import from live AWS: clusters, their services, the task definition revisions those services run, and
the ECR repositories their images come from.

One function per kind, run in `KINDS` order; each reads what it needs (helped by what the earlier ones
found, kept on `LiveImport`) and adds documents; the EC2 capacity kinds (capacity providers, Auto Scaling groups,
launch templates, instance profiles, roles) are `live_capacity`'s. Every document carries the adopt annotation, is
built in the API's input form (`roundtrip.input_form` then `roundtrip.minimal`) and is checked the way
plan compares; a resource that would not plan clean is written anyway, with a warning naming the fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from reconciler.aws.capacity import CapacityApis
from reconciler.aws.ecr import EcrApi
from reconciler.aws.ecs import EcsApi
from reconciler.errors import ReconcilerError
from reconciler.importing import live_capacity, roundtrip, writer
from reconciler.importing.document import ImportedDocument, ImportResult, problems
from reconciler.importing.live_context import LiveImport
from reconciler.live import repositories
from reconciler.live.services import service_spec
from reconciler.model.keys import Kind
from reconciler.model.live import LiveState
from reconciler.model.manifest import DELETION_POLICIES, DELETION_POLICY_ANNOTATION
from reconciler.model.plan import FieldChange
from reconciler.model.tags import DELETION_POLICY_TAG

# What AWS fills in when a service is created without it, and that cannot drift without recreating the
# service (replace-only fields) or only plumbs tags: left out of Service manifests so they stay short.
# (Services compare only the fields the manifest sets, so leaving these out never shows as a change.)
SERVICE_DEFAULTS: dict[str, Any] = {
    "schedulingStrategy": "REPLICA",
    "deploymentController": {"type": "ECS"},
    "enableECSManagedTags": False,
    "propagateTags": "NONE",
    "platformVersion": "LATEST",
}
# AWS's service-linked role, which it reports as the `role` of any service it manages load balancing for.
SERVICE_LINKED_ROLE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/aws-service-role/ecs\.amazonaws\.com/"
                                 r"AWSServiceRoleForECS$")
REPOSITORY_DEFAULTS: dict[str, Any] = {"encryptionConfiguration": {"encryptionType": "AES256"}}
ECR_IMAGE = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
                       r"(?P<name>[a-z0-9][a-z0-9._/-]*?)(?::[^/@]+)?(?:@sha256:[0-9a-f]+)?$")


def import_live(ecs: EcsApi, ecr: EcrApi, region: str, clusters: list[str], services: list[str],
                all_clusters: bool, capacity: CapacityApis | None = None) -> ImportResult:
    names = [arn.rsplit("/", 1)[-1] for arn in ecs.list_clusters()] if all_clusters else list(clusters)
    ctx = LiveImport(ecs, ecr, region, sorted(dict.fromkeys(names)), list(dict.fromkeys(services)),
                     capacity=capacity)
    for kind in KINDS:
        kind(ctx)
    for problem in problems(ctx.result.documents):  # written anyway: the user sees what to fix
        ctx.result.warn(f"the loader will refuse this value: {problem.message}", document=problem.document,
                        path=problem.path)
    return ctx.result


def _adopted(doc: ImportedDocument) -> ImportedDocument:
    doc.adopt()
    return doc


def _check(ctx: LiveImport, doc: ImportedDocument, fields: tuple[FieldChange, ...]) -> None:
    if fields:
        names = ", ".join(f.path for f in fields)
        ctx.result.warn(f"plan will not be clean: it would change {names} (written anyway; check the file)",
                        document=doc.label)


# --- clusters ---------------------------------------------------------------------------------------------

def import_clusters(ctx: LiveImport) -> None:
    found = ctx.ecs.describe_clusters(ctx.cluster_names) if ctx.cluster_names else {}
    missing = [n for n in ctx.cluster_names if n not in found]
    if missing:
        raise ReconcilerError(f"no such ACTIVE cluster in {ctx.region}: {', '.join(missing)}")
    for name in ctx.cluster_names:
        cluster = found[name]
        ctx.clusters[name] = cluster
        spec = roundtrip.minimal(Kind.CLUSTER, roundtrip.input_form(Kind.CLUSTER, cluster))
        doc = _adopted(ImportedDocument(Kind.CLUSTER, name, spec, writer.cluster_file(name), cluster["clusterArn"]))
        _check(ctx, doc, roundtrip.differences(Kind.CLUSTER, spec, cluster))
        ctx.result.documents.append(doc)


# --- services ---------------------------------------------------------------------------------------------

def import_services(ctx: LiveImport) -> None:
    wanted = set(ctx.service_names)
    for cluster in ctx.cluster_names:
        names = [arn.rsplit("/", 1)[-1] for arn in ctx.ecs.list_services(cluster)]
        if wanted:
            names = [n for n in names if n in wanted]
        for name, service in sorted(ctx.ecs.describe_services(cluster, names).items()):
            if service.get("status") != "ACTIVE":
                ctx.result.warn(f"skipped: the service is {service.get('status')} (being deleted)",
                                document=f"Service/{cluster}/{name}")
                continue
            ctx.services[(cluster, name)] = service
    found = {name for _, name in ctx.services}
    missing = sorted(wanted - found)
    if missing:
        raise ReconcilerError(f"no such ACTIVE service in cluster(s) {', '.join(ctx.cluster_names)}: "
                              f"{', '.join(missing)}")
    for (cluster, name), service in sorted(ctx.services.items()):
        ctx.result.documents.append(_service_document(ctx, cluster, name, service))


def _service_document(ctx: LiveImport, cluster: str, name: str, service: dict[str, Any]) -> ImportedDocument:
    live = service_spec(service)
    spec = roundtrip.minimal(Kind.SERVICE, roundtrip.input_form(Kind.SERVICE, live))
    for key, default in SERVICE_DEFAULTS.items():
        if spec.get(key) == default:
            del spec[key]
    if isinstance(spec.get("role"), str) and SERVICE_LINKED_ROLE.match(spec["role"]):
        del spec["role"]
    running = str(service["taskDefinition"])
    family = running.rsplit("/", 1)[-1].split(":")[0]
    spec = {"cluster": cluster, **spec, "taskDefinition": family}
    spec = roundtrip.ordered(Kind.SERVICE, spec)
    doc = _adopted(ImportedDocument(Kind.SERVICE, name, spec, f"{writer.service_dir(cluster, name)}/service",
                                    service["serviceArn"]))
    _check(ctx, doc, roundtrip.differences(Kind.SERVICE, {**spec, "taskDefinition": running}, live))
    controller = (service.get("deploymentController") or {}).get("type", "ECS")
    if controller != "ECS":
        ctx.result.warn(f"its deployment controller is {controller}: reconciler rolls services out with "
                        "UpdateService, which that controller does not accept for a new task definition",
                        document=doc.label)
    return doc


# --- task definitions -------------------------------------------------------------------------------------

def import_task_definitions(ctx: LiveImport) -> None:
    """The revision each service runs, once per family (the newest run when services differ)."""
    runs: dict[str, dict[str, str]] = {}  # family -> {"cluster/service": ARN}
    for (cluster, name), service in sorted(ctx.services.items()):
        arn = str(service["taskDefinition"])
        runs.setdefault(arn.rsplit("/", 1)[-1].split(":")[0], {})[f"{cluster}/{name}"] = arn
    for family, users in sorted(runs.items()):
        chosen = max(set(users.values()), key=_revision)
        found = ctx.ecs.describe_task_definition(chosen)
        if found is None:
            ctx.result.warn(f"{chosen} cannot be described: not imported", document=f"TaskDefinition/{family}")
            continue
        task_definition, tags = found
        live = {**task_definition, "tags": tags}
        spec = roundtrip.minimal(Kind.TASK_DEFINITION, roundtrip.input_form(Kind.TASK_DEFINITION, live))
        if len(users) == 1:
            (user,) = users
            cluster_name, service_name = user.split("/", 1)
            path = f"{writer.service_dir(cluster_name, service_name)}/taskdef"
        else:
            path = writer.shared_task_definition(family)
        doc = _adopted(ImportedDocument(Kind.TASK_DEFINITION, family, spec, path, chosen))
        _check(ctx, doc, roundtrip.differences(Kind.TASK_DEFINITION, spec, live))
        _warn_revisions(ctx, doc, family, chosen, users)
        ctx.result.documents.append(doc)
        for container in spec.get("containerDefinitions") or []:
            if isinstance(container.get("image"), str):
                ctx.images.setdefault(container["image"], set()).add(family)


def _revision(arn: str) -> int:
    tail = arn.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _warn_revisions(ctx: LiveImport, doc: ImportedDocument, family: str, chosen: str,
                    users: dict[str, str]) -> None:
    revision = chosen.rsplit("/", 1)[-1]
    for user, arn in sorted(users.items()):
        if arn != chosen:
            ctx.result.warn(f"Service/{user} runs {arn.rsplit('/', 1)[-1]}, an older revision than {revision}: "
                            f"its first apply rolls it out to the manifest's revision", document=doc.label)
    latest = ctx.ecs.latest_task_definition_arn(family)
    if latest != chosen:
        now = latest.rsplit("/", 1)[-1] if latest else "none (the revision in use is INACTIVE)"
        ctx.result.warn(f"the services run {revision}, but the family's latest ACTIVE revision is {now}: a "
                        "TaskDefinition manifest means the latest revision, so the first apply registers this "
                        "content as a new revision and rolls the services out to it", document=doc.label)


# --- repositories -----------------------------------------------------------------------------------------

def import_repositories(ctx: LiveImport) -> None:
    """The ECR repositories (of this account and region) the imported task definitions pull from."""
    accounts = {str(c["clusterArn"]).split(":")[4] for c in ctx.clusters.values()}
    names: dict[str, set[str]] = {}
    for image, families in sorted(ctx.images.items()):
        match = ECR_IMAGE.match(image)
        if match is None:
            continue  # not an ECR image (Docker Hub, public.ecr.aws, ...): nothing to import
        if match["account"] not in accounts or match["region"] != ctx.region:
            ctx.result.warn(f"image {image} is in another account or region: its repository is not imported",
                            document=", ".join(f"TaskDefinition/{f}" for f in sorted(families)))
            continue
        names.setdefault(match["name"], set()).update(families)
    state = LiveState()
    repositories.read(state, sorted(names), ctx.ecr)
    for name, families in sorted(names.items()):
        current = state.repositories.get(name)
        if current is None:
            ctx.result.warn(f"ECR repository {name!r} does not exist (the image cannot be pulled)",
                            document=", ".join(f"TaskDefinition/{f}" for f in sorted(families)))
            continue
        spec = roundtrip.minimal(Kind.REPOSITORY, roundtrip.input_form(Kind.REPOSITORY, current.spec))
        for key, default in REPOSITORY_DEFAULTS.items():
            if spec.get(key) == default:
                del spec[key]
        doc = _adopted(ImportedDocument(Kind.REPOSITORY, name, spec, writer.repository_file(name), current.arn))
        policy = current.tags.get(DELETION_POLICY_TAG)
        if policy in DELETION_POLICIES:  # what a manifest's annotation recorded: keep it, or plan would drop it
            doc.annotations[DELETION_POLICY_ANNOTATION] = str(policy)
        _check(ctx, doc, roundtrip.differences(Kind.REPOSITORY, spec, current.spec))
        ctx.result.documents.append(doc)


KINDS: tuple[Callable[[LiveImport], None], ...] = (
    import_clusters, import_services, import_task_definitions, import_repositories, *live_capacity.KINDS)
