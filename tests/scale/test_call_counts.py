"""What a plan costs in AWS calls, counted exactly (the deterministic half of bench/: the floor of issue 9).

A no-op plan with every revision already read makes ceil(n/10) DescribeServices per cluster, one DescribeClusters
per 100 clusters, one ListTaskDefinitions page per 100 ACTIVE revisions in the account, and nothing else: no
DescribeTaskDefinition, no tag read. A cold plan reads each family once. A revision registered outside, a changed
manifest, tags older than their trust and one-off task records are read when (and only when) they matter."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest

from reconciler import pipeline
from reconciler.aws.clients import AwsSettings
from reconciler.controller.loop import Controller, WatchSettings
from reconciler.controller.sources import DirectorySource
from reconciler.live.task_definitions import exploration, worth_another_page
from reconciler.model.keys import Kind, ResourceKey
from reconciler.model.plan import Action

from ..conftest import MANIFESTS, REGION
from .helpers import apply_all, calls_of, family, floor, write

ECS_READS = ("DescribeServices", "DescribeClusters", "ListTaskDefinitions", "DescribeTaskDefinition",
             "ListTagsForResource")


def ecs_reads(counts: Counter[str]) -> Counter[str]:
    return Counter({k: v for k, v in counts.items() if k in ECS_READS})


def outside() -> Any:
    """Another AWS client, as another tool (or the console) would use: the product does not see its calls."""
    return boto3.client("ecs", region_name=REGION)


def test_a_warm_no_op_plan_makes_exactly_the_floor_of_calls(aws: Any, tmp_path: Path) -> None:
    m = [str(write(tmp_path / "m", services=105, clusters=3))]
    apply_all(aws, m)
    first, cold = calls_of(aws, m)  # the revisions the apply registered are read once...
    assert not first.has_changes
    assert cold["DescribeTaskDefinition"] == 105 and cold["ListTaskDefinitions"] == 0
    again, warm = calls_of(aws, m)  # ...and never again
    assert not again.has_changes
    assert ecs_reads(warm) == floor(105, 3, revisions=105)  # 3 x 4 DescribeServices, 1 DescribeClusters, 2 pages
    assert sum(warm.values()) == 12 + 1 + 2


def test_clusters_are_described_a_hundred_at_a_time(aws: Any, tmp_path: Path) -> None:
    """ceil(C/100) DescribeClusters: 101 clusters (a service each) cost two, and the services one each."""
    m = [str(write(tmp_path / "m", services=101, clusters=101))]
    apply_all(aws, m)
    calls_of(aws, m)
    plan, warm = calls_of(aws, m)
    assert not plan.has_changes
    assert ecs_reads(warm) == floor(101, 101, revisions=101)
    assert warm["DescribeClusters"] == 2 and warm["DescribeServices"] == 101


def test_the_cache_directory_makes_the_next_run_warm(aws: Any, tmp_path: Path) -> None:
    m = [str(write(tmp_path / "m", services=12, clusters=2))]
    apply_all(aws, m)
    first = pipeline.connect(AwsSettings(region=REGION, rate_share=None), tmp_path / "cache")
    _, cold = calls_of(first, m)
    assert cold["DescribeTaskDefinition"] == 12
    assert [p.name for p in (tmp_path / "cache").iterdir()] != []
    second = pipeline.connect(AwsSettings(region=REGION, rate_share=None), tmp_path / "cache")  # a later CLI run
    plan, warm = calls_of(second, m)
    assert not plan.has_changes
    assert ecs_reads(warm) == floor(12, 2, revisions=12)


def test_a_cold_plan_reads_each_family_once(aws: Any, tmp_path: Path) -> None:
    m = [str(write(tmp_path / "m", services=30, clusters=2))]
    apply_all(aws, m)
    fresh = pipeline.connect(AwsSettings(region=REGION, rate_share=None))
    plan, cold = calls_of(fresh, m)
    assert not plan.has_changes
    assert ecs_reads(cold) == Counter({"DescribeTaskDefinition": 30, "DescribeServices": 4, "DescribeClusters": 1})


def test_a_revision_registered_outside_is_found_and_read_once(aws: Any, tmp_path: Path) -> None:
    m = [str(write(tmp_path / "m", services=12, clusters=2))]
    apply_all(aws, m)
    calls_of(aws, m)
    described = outside().describe_task_definition(taskDefinition=family(4))["taskDefinition"]
    container = {**described["containerDefinitions"][0], "image": "nginx:by-hand"}
    outside().register_task_definition(family=family(4), containerDefinitions=[container])
    plan, calls = calls_of(aws, m)
    change = next(c for c in plan.changes if c.key == ResourceKey(Kind.TASK_DEFINITION, family(4)))
    assert change.action is Action.UPDATE
    assert [f.path for f in change.fields] == ["containerDefinitions[app].image"]
    assert ecs_reads(calls) == floor(12, 2, revisions=13) + Counter({"DescribeTaskDefinition": 1})


def test_a_changed_manifest_is_planned_from_tags_read_now(aws: Any, tmp_path: Path) -> None:
    m = tmp_path / "m"
    write(m, services=12, clusters=2)
    apply_all(aws, [str(m)])
    calls_of(aws, [str(m)])
    text = (m / "all.yaml").read_text()
    (m / "all.yaml").write_text(text.replace("environment: [{name: SLOT, value: '3'}]",
                                             "environment: [{name: SLOT, value: 'three'}]"))
    plan, calls = calls_of(aws, [str(m)])
    change = next(c for c in plan.changes if c.key == ResourceKey(Kind.TASK_DEFINITION, family(3)))
    assert change.action is Action.UPDATE and change.reason == "registers a new revision"
    assert [f.path for f in change.fields] == ["containerDefinitions[app].environment[SLOT]"]
    assert ecs_reads(calls) == floor(12, 2, revisions=12) + Counter({"ListTagsForResource": 1})


def test_tags_are_trusted_to_find_no_change_for_a_limited_time(aws: Any, tmp_path: Path) -> None:
    """Tags changed by hand on an otherwise unchanged revision show once what the cache knows of them is older
    than its trust (an hour by default): then every revision's tags are read again."""
    m = [str(write(tmp_path / "m", services=6, clusters=1))]
    apply_all(aws, m)
    calls_of(aws, m)
    arn = outside().describe_task_definition(taskDefinition=family(2))["taskDefinition"]["taskDefinitionArn"]
    outside().tag_resource(resourceArn=arn, tags=[{"key": "added-by", "value": "hand"}])
    trusted, calls = calls_of(aws, m)
    assert not trusted.has_changes and calls["ListTagsForResource"] == 0
    aws.cache.tags_max_age = 0.0
    plan, calls = calls_of(aws, m)
    change = next(c for c in plan.changes if c.is_change)
    assert change.key == ResourceKey(Kind.TASK_DEFINITION, family(2))
    assert [(f.path, f.before, f.after) for f in change.fields] == [("tags", {"added-by": "hand"}, None)]
    assert calls["ListTagsForResource"] == 6 and calls["DescribeTaskDefinition"] == 0


def test_a_one_off_tasks_record_is_read_every_time(aws: Any, tmp_path: Path) -> None:
    target = tmp_path / "m"
    shutil.copytree(MANIFESTS, target)
    apply_all(aws, [str(target)])
    calls_of(aws, [str(target)])
    plan, calls = calls_of(aws, [str(target)])
    assert not plan.has_changes
    assert calls["ListTagsForResource"] == 1  # the revision the migration runs: its run records
    assert calls["ecr.ListTagsForResource"] == 1
    assert calls["DescribeTaskDefinition"] == 0
    arn = outside().describe_task_definition(taskDefinition="web")["taskDefinition"]["taskDefinitionArn"]
    tags = outside().list_tags_for_resource(resourceArn=arn)["tags"]
    record = [t["key"] for t in tags if t["key"].startswith("reconciler:ran.")]
    outside().untag_resource(resourceArn=arn, tagKeys=record)
    plan, _ = calls_of(aws, [str(target)])
    change = next(c for c in plan.changes if c.key == ResourceKey(Kind.TASK, "migrate"))
    assert change.action is Action.CREATE and change.reason == "runs once: not run with this content yet"


def test_watch_passes_read_each_revision_once(aws: Any, tmp_path: Path) -> None:
    m = write(tmp_path / "m", services=8, clusters=2)
    controller = Controller(DirectorySource([str(m)]), aws, WatchSettings(options=pipeline.PlanOptions(),
                                                                          requeue=0.05, poll_seconds=0.05))
    first = controller.reconcile_once("start")
    assert first["result"] == "success" and first["applied"] == 18
    controller.reconcile_once("resync")  # reads the revisions the first pass registered, once
    third = controller.reconcile_once("resync")
    assert third["planned"] == 0
    assert third["awsCallsByOperation"] == {"ecs.DescribeClusters": 1, "ecs.DescribeServices": 2,
                                            "ecs.ListTaskDefinitions": 1}


def test_in_a_shared_account_the_listing_reads_through_other_families(aws: Any, tmp_path: Path) -> None:
    """AWS lists families in name order (newest first: DESC): another team's 130 families come before ours. The
    listing reads on through them (a quarter of our families in pages, at first), and remembers how many pages
    it took."""
    for i in range(130):
        outside().register_task_definition(family=f"zz-other-{i:03d}",
                                           containerDefinitions=[{"name": "x", "image": "busybox", "memory": 8}])
    m = [str(write(tmp_path / "m", services=20, clusters=2))]
    apply_all(aws, m)
    calls_of(aws, m)
    plan, calls = calls_of(aws, m)
    assert not plan.has_changes
    assert ecs_reads(calls) == floor(20, 2, revisions=150)  # 2 pages, not 20 ListTaskDefinitions of one family
    assert aws.cache.list_pages == 2


@pytest.mark.parametrize(("pages", "resolved", "unresolved", "explore", "more"), [
    (0, 0, 0, 5, False),  # nothing left to find
    (0, 0, 3, 0, False),  # three families: ask for each
    (2, 0, 40, 5, True),  # still exploring
    (5, 0, 40, 5, False),  # explored, found nothing: ask for each
    (5, 50, 50, 5, True),  # half found in 5 pages: 5 more pages beat 50 calls
    (30, 10, 20, 5, False),  # 60 more pages would not
])
def test_when_the_listing_reads_on(pages: int, resolved: int, unresolved: int, explore: int, more: bool) -> None:
    assert worth_another_page(pages, resolved, unresolved, explore) is more


def test_how_far_the_listing_explores() -> None:
    assert exploration(100, None) == 25 and exploration(3, None) == 0
    assert exploration(100, 10) == 10  # what the last listing needed
    assert exploration(100, 400) == 0  # more than asking family by family: do that
