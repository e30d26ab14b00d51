"""Where notifications go, and in what form: a webhook that takes the JSON event as it is, a Slack-compatible
webhook (`{"text", "blocks"}`, Slack's mrkdwn escaped), and GitHub commit statuses
(`POST {api}/repos/{owner}/{repo}/statuses/{sha}`). A sink turns an event or a commit status into a
`Delivery` (or nothing); sending, retrying and counting is `notify.py`'s."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from reconciler.controller.transitions import CommitStatus

USER_AGENT = "reconciler-controller"
GITHUB_DESCRIPTION_MAX = 140  # GitHub refuses longer descriptions
SLACK_TEXT_MAX = 2900  # a section's text is limited to 3,000 characters
ICONS = {"info": ":white_check_mark:", "warning": ":warning:", "error": ":x:"}


@dataclass(frozen=True)
class Delivery:
    sink: str  # webhook | slack | github: the metrics label
    target: str  # what logs may show of the destination (never its path, query or credentials)
    url: str = field(repr=False)
    body: bytes = field(repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)


class Sink(Protocol):
    name: str
    target: str

    def for_event(self, event: dict[str, Any]) -> Delivery | None: ...

    def for_status(self, status: CommitStatus) -> Delivery | None: ...


def safe_target(url: str) -> str:
    """scheme://host[:port]/… : a webhook URL's path or query often is its secret (Slack's are)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    rest = "/…" if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{host}{port}{rest}"


def check_url(url: str, flag: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        got = safe_target(url) if parts.hostname else "an invalid one"
        raise ValueError(f"{flag} expects an http:// or https:// URL, got {got}")
    return url


class WebhookSink:
    """Posts each event as JSON: the event itself (`json`), or a Slack message (`slack`)."""

    def __init__(self, url: str, fmt: str = "json", page_url: str | None = None) -> None:
        self.url = url
        self.format = fmt
        self.name = "slack" if fmt == "slack" else "webhook"
        self.target = safe_target(url)
        self.page_url = page_url

    def for_event(self, event: dict[str, Any]) -> Delivery | None:
        body = slack_message(event, self.page_url) if self.format == "slack" else event
        return Delivery(self.name, self.target, self.url, json.dumps(body, default=str).encode(),
                        {"Content-Type": "application/json", "User-Agent": USER_AGENT})

    def for_status(self, status: CommitStatus) -> Delivery | None:
        return None


def slack_escape(text: str) -> str:
    """Slack reads &, < and > as markup (links, mentions: <!channel>): escape them as its docs say."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(event: dict[str, Any], page_url: str | None = None) -> dict[str, Any]:
    icon = ICONS.get(str(event.get("severity")), ":information_source:")
    title = slack_escape(str(event.get("title", event.get("type", ""))))
    if event.get("resource"):
        title += f" · {slack_escape(str(event['resource']))}"
    message = slack_escape(str(event.get("message", "")))
    if len(message) > SLACK_TEXT_MAX:
        message = message[:SLACK_TEXT_MAX] + "…"
    context = [f"`{event['type']}`"]
    if event.get("commit"):
        context.append(f"commit `{str(event['commit'])[:12]}`")
    if event.get("source"):
        context.append(slack_escape(str(event["source"])))
    if page_url:
        context.append(f"<{slack_escape(page_url)}|controller page>")
    text = f"{icon} *{title}*" + (f"\n{message}" if message else "")
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(context)}]},
    ]
    return {"text": f"{title}" + (f": {message[:300]}" if message else ""), "blocks": blocks}


GITHUB_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


def github_repo_from_git(url: str) -> tuple[str, str] | None:
    """(api, owner/repo) from a git URL: https://github.com/o/r(.git), git@github.com:o/r, ssh://...; another
    host is taken for GitHub Enterprise (its API at https://HOST/api/v3)."""
    scp = re.match(r"^[\w.-]+@([\w.-]+):(.+)$", url)
    if scp:
        host, path = scp.group(1), scp.group(2)
    else:
        parts = urlsplit(url)
        if not parts.hostname:
            return None
        host, path = parts.hostname, parts.path
    path = path.strip("/").removesuffix(".git")
    if not GITHUB_REPO.match(path):
        return None
    api = "https://api.github.com" if host in ("github.com", "www.github.com") else f"https://{host}/api/v3"
    return api, path


class GitHubStatusSink:
    """Sets the commit status of each commit the controller applies (token from the environment; never shown)."""

    name = "github"

    def __init__(self, api: str, repo: str, token: str, context: str = "reconciler",
                 page_url: str | None = None) -> None:
        self.api = api.rstrip("/")
        self.repo = repo
        self._token = token
        self.context = context
        self.page_url = page_url
        self.target = f"{safe_target(self.api).removesuffix('/…')} {repo}"

    def __repr__(self) -> str:
        return f"GitHubStatusSink({self.target!r})"

    def for_event(self, event: dict[str, Any]) -> Delivery | None:
        return None

    def for_status(self, status: CommitStatus) -> Delivery | None:
        description = status.description
        if len(description) > GITHUB_DESCRIPTION_MAX:
            description = description[:GITHUB_DESCRIPTION_MAX - 1] + "…"
        body: dict[str, Any] = {"state": status.state, "description": description, "context": self.context}
        if self.page_url:
            body["target_url"] = self.page_url
        return Delivery(self.name, self.target, f"{self.api}/repos/{self.repo}/statuses/{status.sha}",
                        json.dumps(body).encode(),
                        {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                         "Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28",
                         "Authorization": f"Bearer {self._token}"})
