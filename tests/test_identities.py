"""The live reads behind the identifier rule (reconciler.live.identities): a Cloud Map namespace name and a KMS
alias are resolved against what AWS reports (moto's servicediscovery and KMS), only when the rule alone cannot
tell, and a read AWS refuses is a warning, never a silent match."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from reconciler import loader
from reconciler.aws.lookups import Lookups
from reconciler.live import read_live
from reconciler.model.plan import Action
from reconciler.planning.planner import build_plan

CLUSTER = ("apiVersion: reconciler/v1\nkind: Cluster\nmetadata: {name: named}\nspec:\n"
           "  serviceConnectDefaults: {namespace: NAME}\n")
REPOSITORY = ("apiVersion: reconciler/v1\nkind: Repository\nmetadata: {name: keyed}\nspec:\n"
              "  encryptionConfiguration: {encryptionType: KMS, kmsKey: KEY}\n")


def manifests(tmp_path: Path, text: str) -> Any:
    (tmp_path / "m.yaml").write_text(text)
    return loader.load([str(tmp_path / "m.yaml")])


def test_a_namespace_name_is_resolved_only_when_it_differs(aws: Any, tmp_path: Path) -> None:
    """ECS reports the cluster's namespace as an ARN: one GetNamespace tells it is the name given."""
    aws.clients.ecs.create_cluster(clusterName="named", serviceConnectDefaults={"namespace": "orders"})
    lookups = Lookups(aws.clients)
    state = read_live(manifests(tmp_path, CLUSTER.replace("NAME", "orders")), aws.ecs, aws.ecr, lookups=lookups)
    arn = state.clusters["named"].spec["serviceConnectDefaults"]["namespace"]
    assert arn.startswith("arn:aws:servicediscovery:") and state.aliases[arn] == frozenset({"orders"})
    assert lookups.used == ("servicediscovery",)
    again = Lookups(aws.clients)  # given as the ARN itself: nothing to ask
    read_live(manifests(tmp_path, CLUSTER.replace("NAME", arn)), aws.ecs, aws.ecr, lookups=again)
    assert again.used == ()


def test_a_kms_alias_is_resolved_and_a_key_id_needs_no_read(aws: Any, tmp_path: Path) -> None:
    kms = boto3.client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/images", TargetKeyId=key["KeyId"])
    aws.clients.ecr.create_repository(repositoryName="keyed", encryptionConfiguration={
        "encryptionType": "KMS", "kmsKey": "alias/images"})
    lookups = Lookups(aws.clients)
    state = read_live(manifests(tmp_path, REPOSITORY.replace("KEY", "alias/images")), aws.ecs, aws.ecr,
                      lookups=lookups)
    assert state.aliases[key["Arn"]] == frozenset({"alias/images"}) and lookups.used == ("kms",)
    by_id = Lookups(aws.clients)
    plan = build_plan(m := manifests(tmp_path, REPOSITORY.replace("KEY", key["KeyId"])),
                      read_live(m, aws.ecs, aws.ecr, lookups=by_id))
    assert by_id.used == () and not plan.has_changes


def test_another_alias_is_a_replace(aws: Any, tmp_path: Path) -> None:
    """An alias of another key is another key: the repository must be replaced, and the plan says so."""
    kms = boto3.client("kms")
    first, second = kms.create_key()["KeyMetadata"], kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/first", TargetKeyId=first["KeyId"])
    kms.create_alias(AliasName="alias/second", TargetKeyId=second["KeyId"])
    aws.clients.ecr.create_repository(
        repositoryName="keyed", encryptionConfiguration={"encryptionType": "KMS", "kmsKey": "alias/first"},
        tags=[{"Key": "reconciler:managed-by", "Value": "reconciler"}])
    m = manifests(tmp_path, REPOSITORY.replace("KEY", "alias/second"))
    [change] = build_plan(m, read_live(m, aws.ecs, aws.ecr, lookups=Lookups(aws.clients))).changes
    assert change.action is Action.REPLACE and [f.path for f in change.fields] == ["encryptionConfiguration.kmsKey"]


def test_a_refused_lookup_is_a_warning_and_the_difference_shows(aws: Any, tmp_path: Path) -> None:
    """Without servicediscovery:GetNamespace the plan cannot tell a name from an ARN: it says so, and shows the
    difference rather than guessing."""
    aws.clients.ecs.create_cluster(clusterName="named", serviceConnectDefaults={"namespace": "orders"},
                                   tags=[{"key": "reconciler:managed-by", "value": "reconciler"}])
    lookups = Lookups(aws.clients)

    def deny(request: Any, **_: Any) -> AWSResponse:
        body = b'{"__type":"AccessDeniedException","Message":"not authorized to perform: GetNamespace"}'
        return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.1"}, _Raw(body))

    lookups.client("servicediscovery").meta.events.register_first("before-send.servicediscovery.GetNamespace", deny)
    m = manifests(tmp_path, CLUSTER.replace("NAME", "orders"))
    plan = build_plan(m, read_live(m, aws.ecs, aws.ecr, lookups=lookups))
    [warning] = plan.warnings
    assert "could not tell whether 'orders' is 'arn:aws:servicediscovery:" in warning
    assert "AccessDeniedException" in warning and str(m.manifests[0].source) in warning
    [change] = plan.changes
    assert change.action is Action.UPDATE and [f.path for f in change.fields] == ["serviceConnectDefaults.namespace"]


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body
