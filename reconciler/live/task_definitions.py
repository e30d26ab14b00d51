"""Read task definitions at the fewest calls AWS allows: the latest ACTIVE revision of each family the manifests
declare, and the revisions services and one-off tasks name.

- **Which revision is the latest** is asked every time (someone may have registered one). For families already
  seen, one paged ListTaskDefinitions over the whole account (ACTIVE, newest first, 100 a page) answers for all of
  them, as long as that costs fewer calls than asking family by family; the families it leaves are asked one by
  one (ListTaskDefinitions of that family, one result). A family never seen is described directly: one call for
  its latest revision, content and tags.
- **Content** is read once per revision (reconciler.live.cache): a revision never changes.
- **Tags** change. A one-off task's run records are on them, so the revision a Task runs has its tags read every
  time. A TaskDefinition manifest's revision is compared with tags known from a recent read, and
  reconciler.pipeline reads them again before it plans any change of it (`refresh_tags`).

`Reader` does this in steps that each make independent calls (run at once by reconciler.live.parallel); what they
found is merged into the LiveState in one thread, in a fixed order.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

from reconciler.aws.ecs import EcsApi
from reconciler.live.cache import RevisionCache, family_of
from reconciler.live.parallel import gather
from reconciler.model.keys import Kind
from reconciler.model.live import LiveResource, LiveState
from reconciler.model.tags import tags_to_map

Call = Callable[[], Any]


def _bare(ref: str) -> bool:
    """A family name alone (AWS resolves it to the family's latest ACTIVE revision)."""
    return ":" not in ref


def _revision(arn: str) -> int:
    return int(arn.rsplit(":", 1)[-1])


def worth_another_page(pages: int, resolved: int, unresolved: int, explore: int) -> bool:
    """Whether reading on through the account's revisions is expected to cost fewer calls than asking for each
    family still unresolved. The first `explore` pages are read whatever they hold (AWS lists families in name
    order, and ours may come late); after them, at the rate families were found so far, the pages still needed
    are pages * unresolved / resolved."""
    if unresolved == 0:
        return False
    if pages < explore:
        return True
    if resolved == 0:
        return False
    return math.ceil(pages * unresolved / resolved) < unresolved


def exploration(known: int, learnt: int | None) -> int:
    """Pages read before judging by what they held: as many as the last listing needed, when that was fewer than
    the families; a quarter of the families otherwise (at most 25% more calls than family by family)."""
    if learnt is not None:
        return learnt if learnt < known else 0
    return known // 4


class Reader:
    def __init__(self, ecs: EcsApi, cache: RevisionCache, families: list[str], refs: list[str],
                 fresh_tags: set[str]) -> None:
        self.ecs = ecs
        self.cache = cache
        self.families = sorted(set(families))
        self.names = sorted(set(families) | {r for r in refs if _bare(r)})  # families whose latest is wanted
        self.pinned = sorted({r for r in refs if not _bare(r)})  # family:revision or an ARN
        self.fresh_tags = fresh_tags  # families and refs whose revision's tags are read whatever is known
        self.latest: dict[str, str | None] = {}  # family -> ARN of its latest ACTIVE revision (None: none)
        self.described: dict[str, tuple[dict[str, Any], list[dict[str, str]]]] = {}  # read this run, with tags
        self.found_pinned: dict[str, str | None] = {}
        self.tags_read: dict[str, list[dict[str, str]]] = {}
        self.unlisted: list[str] = []
        self.listed_pages = 0

    # --- step 1: what needs no earlier answer -----------------------------------------------------
    def first(self) -> list[Call]:
        cold = [f for f in self.names if not self.cache.knows_family(f)]
        known = [f for f in self.names if self.cache.knows_family(f)]
        calls: list[Call] = [partial(self._describe_family, f) for f in cold]
        calls += [partial(self._describe_pinned, ref) for ref in self.pinned]
        if known:
            calls.append(partial(self._list_account, known))
        return calls

    def _describe_family(self, family: str) -> None:
        found = self.ecs.describe_task_definition(family)
        if found is None or found[0].get("status") != "ACTIVE":
            self.latest[family] = None
            return
        arn = str(found[0]["taskDefinitionArn"])
        self.latest[family] = arn
        self.described[arn] = found

    def _describe_pinned(self, ref: str) -> None:
        found = self.ecs.describe_task_definition(ref)
        if found is None or found[0].get("status") != "ACTIVE":
            self.found_pinned[ref] = None
            return
        arn = str(found[0]["taskDefinitionArn"])
        self.found_pinned[ref] = arn
        self.described[arn] = found

    def _list_account(self, families: list[str]) -> None:
        wanted = set(families)
        newest: dict[str, str] = {}
        token: str | None = None
        explore = exploration(len(wanted), self.cache.list_pages)
        while worth_another_page(self.listed_pages, len(newest), len(wanted) - len(newest), explore):
            arns, token = self.ecs.active_task_definitions_page(token)
            self.listed_pages += 1
            for arn in arns:
                family = family_of(arn)
                if family in wanted and (family not in newest or _revision(arn) > _revision(newest[family])):
                    newest[family] = arn
            if token is None:  # the whole account was listed: a family not in it has no ACTIVE revision
                self.latest.update({f: newest.get(f) for f in families})
                self.cache.learn_list_pages(self.listed_pages)
                return
        self.latest.update(newest)
        self.unlisted = sorted(wanted - set(newest))
        if not self.unlisted:
            self.cache.learn_list_pages(self.listed_pages)

    # --- step 2: the families the account listing left ---------------------------------------------
    def second(self) -> list[Call]:
        return [partial(self._latest_of, family) for family in self.unlisted]

    def _latest_of(self, family: str) -> None:
        self.latest[family] = self.ecs.latest_task_definition_arn(family)

    # --- between steps 2 and 3: a cache loaded for an endpoint that may have been reset ----------------
    def check(self, deployments: list[tuple[str, str]]) -> None:
        """Make sure the cache is this endpoint's (see RevisionCache): by the service deployments just read, or
        else by reading one cached revision again."""
        if self.cache.check_deployments(deployments) is not None:
            return
        candidates = [arn for arn in self.latest.values() if arn and arn not in self.described
                      and arn in self.cache.entries]
        if not candidates:
            self.cache.clear()
            return
        found = self.ecs.describe_task_definition(candidates[0])
        if found is None:
            self.cache.clear()
            return
        self.cache.check_revision(candidates[0], found[0])
        self.described[candidates[0]] = found

    # --- step 3: content not known yet, tags to read ----------------------------------------------
    def third(self) -> list[Call]:
        for arn, (described, tags) in self.described.items():
            self.cache.put(arn, described, tags)
        calls: list[Call] = []
        fresh = self._fresh_tag_arns()
        for arn in sorted({a for a in self.latest.values() if a} - set(self.described)):
            if self.cache.content(arn) is None:
                calls.append(partial(self._describe_arn, arn))
            elif arn in fresh or self.cache.tags(arn) is None:
                calls.append(partial(self._read_tags, arn))
        return calls

    def _fresh_tag_arns(self) -> set[str]:
        arns = {self.latest.get(name) for name in self.fresh_tags} | {self.found_pinned.get(r) for r in self.fresh_tags}
        return {a for a in arns if a}

    def _describe_arn(self, arn: str) -> None:
        found = self.ecs.describe_task_definition(arn)
        if found is not None:
            self.described[arn] = found
            self.cache.put(arn, *found)

    def _read_tags(self, arn: str) -> None:
        self.tags_read[arn] = self.ecs.task_definition_tags(arn)
        self.cache.put_tags(arn, self.tags_read[arn])

    # --- merging what was found (one thread) --------------------------------------------------------
    def merge(self, state: LiveState, refs: list[str]) -> None:
        for family in self.families:
            arn = self.latest.get(family)
            known = self._known(arn) if arn else None
            if arn is None or known is None:
                continue
            content, tag_list, from_cache = known
            spec = dict(content)
            spec["tags"] = tag_list
            tags = tags_to_map(tag_list)
            state.task_definitions[family] = LiveResource(Kind.TASK_DEFINITION, family, arn, spec, tags, "ACTIVE")
            state.task_definition_tags[arn] = tags
            if from_cache:
                state.cached_tags.add(arn)
        for ref in refs:
            if ref in state.task_definition_refs:
                continue
            arn = self.latest.get(ref) if _bare(ref) else self.found_pinned.get(ref)
            known = self._known(arn) if arn else None
            state.task_definition_refs[ref] = arn if known is not None else None
            if arn and known is not None:
                state.task_definition_tags[arn] = tags_to_map(known[1])
                if known[2]:
                    state.cached_tags.add(arn)

    def _known(self, arn: str) -> tuple[dict[str, Any], list[dict[str, str]], bool] | None:
        """(content, tags, whether the tags came from the cache) of a revision this read found."""
        content = self.cache.content(arn)
        if arn in self.described:
            described, tags = self.described[arn]
            return (content if content is not None else dict(described)), tags, False
        if content is None:
            return None  # (it vanished between the listing and the describe)
        if arn in self.tags_read:
            return content, self.tags_read[arn], False
        cached = self.cache.tags(arn)
        return content, cached or [], True


def refresh_tags(state: LiveState, arns: list[str], ecs: EcsApi, cache: RevisionCache) -> None:
    """Read again the tags of revisions whose tags came from the cache (before a change of them is planned)."""
    found = gather([partial(ecs.task_definition_tags, arn) for arn in arns])
    for arn, tag_list in zip(arns, found, strict=True):
        cache.put_tags(arn, tag_list)
        tags = tags_to_map(tag_list)
        state.task_definition_tags[arn] = tags
        state.cached_tags.discard(arn)
        for family, resource in list(state.task_definitions.items()):
            if resource.arn == arn:
                spec = dict(resource.spec)
                spec["tags"] = tag_list
                state.task_definitions[family] = LiveResource(resource.kind, resource.name, arn, spec, tags,
                                                              resource.status)
