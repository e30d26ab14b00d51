"""moto's EC2 launch templates made to behave like Amazon EC2's.

* CreateLaunchTemplate keeps the template's own tags (TagSpecifications of ResourceType launch-template) on the
  template only; stock moto also copies them into the launch template data (AWS: that data's TagSpecifications
  tag the instances it launches). A ClientToken makes it idempotent: the same token returns the same template.
* CreateLaunchTemplateVersion takes UserData as EC2 does (base64; stock moto stores it unparsed, and Auto Scaling
  then fails to launch from that version) and is idempotent with a ClientToken.
* DeleteLaunchTemplateVersions (stock moto: not implemented) deletes versions but never the default one; version
  numbers are never reused. Deleted versions are gone from DescribeLaunchTemplateVersions.
* DescribeLaunchTemplateVersions and DescribeLaunchTemplates page with MaxResults/NextToken (stock moto cuts at 15
  without a NextToken); DescribeLaunchTemplates reports the template's tags as they are now (stock moto: as they were
  at creation, so CreateTags never shows).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import InvalidLaunchTemplateVersionNotFound, InvalidParameterValue
from moto.ec2.models.launch_templates import LaunchTemplate
from moto.ec2.responses.launch_templates import LaunchTemplates
from moto.ec2.utils import parse_user_data

from reconciler.sandbox import patching
from reconciler.sandbox.pagination import paginate

__all__ = ["install"]

_OWNER = "ec2-fixes"
_TOKENS = "_sandbox_launch_template_tokens"  # on the EC2 backend: (operation, name, token) -> (template id, version)
_DELETED = "_sandbox_deleted"  # on a LaunchTemplateVersion: deleted (its number is never reused)


def _patch(cls: type, name: str, make: Callable[[Any], Callable[..., Any]]) -> None:
    patching.patch(cls, name, make, owner=_OWNER)


def _alive(template: Any) -> list[Any]:
    return [v for v in template.versions if not getattr(v, _DELETED, False)]


def _data(response: Any) -> dict[str, Any]:
    data = dict(response._get_param("LaunchTemplateData", {}) or {})
    user_data = parse_user_data(response._get_param("LaunchTemplateData.UserData"))
    if user_data is not None:
        data["UserData"] = user_data
    else:
        data.pop("UserData", None)
    return data


def _version_result(response: Any, template: Any, version: Any) -> dict[str, Any]:
    return {"CreateTime": version.create_time,
            "CreatedBy": f"arn:{response.partition}:iam::{response.current_account}:root",
            "DefaultVersion": template.is_default(version), "LaunchTemplateData": version.data,
            "LaunchTemplateId": template.id, "LaunchTemplateName": template.name,
            "VersionDescription": version.description, "VersionNumber": version.number}


def fix_create_launch_template() -> None:
    def make(_original: Any) -> Callable[..., Any]:
        def create_launch_template(self: Any) -> ActionResult:
            backend = self.ec2_backend
            name = self._get_param("LaunchTemplateName")
            token = self._get_param("ClientToken")
            tokens: dict[tuple[str, str, str], tuple[str, int]] = backend.__dict__.setdefault(_TOKENS, {})
            known = tokens.get(("create", name, token)) if token else None
            if known is not None and known[0] in backend.launch_templates:
                template = backend.launch_templates[known[0]]
            else:
                self.error_on_dryrun()
                template = backend.create_launch_template(name, self._get_param("VersionDescription"), _data(self),
                                                          self._parse_tag_specification())
                if token:
                    tokens[("create", name, token)] = (template.id, 1)
            version = template.default_version()
            return ActionResult({"LaunchTemplate": {
                "CreateTime": version.create_time,
                "CreatedBy": f"arn:{self.partition}:iam::{self.current_account}:root",
                "DefaultVersionNumber": template.default_version_number,
                "LatestVersionNumber": template.latest_version_number, "LaunchTemplateId": template.id,
                "LaunchTemplateName": template.name, "Tags": template.get_tags()}})

        return create_launch_template

    _patch(LaunchTemplates, "create_launch_template", make)


def fix_create_launch_template_version() -> None:
    def make(_original: Any) -> Callable[..., Any]:
        def create_launch_template_version(self: Any) -> ActionResult:
            backend = self.ec2_backend
            name, template_id = self._get_param("LaunchTemplateName"), self._get_param("LaunchTemplateId")
            template = backend.get_launch_template(template_id) if template_id else \
                backend.get_launch_template_by_name(name)
            token = self._get_param("ClientToken")
            tokens: dict[tuple[str, str, str], tuple[str, int]] = backend.__dict__.setdefault(_TOKENS, {})
            known = tokens.get(("version", template.id, token)) if token else None
            self.error_on_dryrun()
            if known is not None:
                version = template.versions[known[1] - 1]
            else:
                version = template.create_version(_data(self), self._get_param("VersionDescription"))
                if token:
                    tokens[("version", template.id, token)] = (template.id, version.number)
            return ActionResult({"LaunchTemplateVersion": _version_result(self, template, version)})

        return create_launch_template_version

    _patch(LaunchTemplates, "create_launch_template_version", make)


def fix_delete_launch_template_versions() -> None:
    def make(_original: Any) -> Callable[..., Any]:
        def delete_launch_template_versions(self: Any) -> ActionResult:
            backend = self.ec2_backend
            name, template_id = self._get_param("LaunchTemplateName"), self._get_param("LaunchTemplateId")
            template = backend.get_launch_template(template_id) if template_id else \
                backend.get_launch_template_by_name(name)
            numbers = [str(v) for v in self._get_param("Versions", []) or []]
            if len(numbers) > 200:
                raise InvalidParameterValue("You can specify up to 200 launch template version numbers.")
            self.error_on_dryrun()
            done, failed = [], []
            for number in numbers:
                version = template.versions[int(number) - 1] if number.isdigit() and \
                    0 < int(number) <= len(template.versions) else None
                if version is None or getattr(version, _DELETED, False):
                    failed.append((number, "launchTemplateVersionDoesNotExist",
                                   f"The specified launch template version {number} does not exist."))
                elif template.is_default(version):
                    failed.append((number, "unexpectedError",
                                   "You cannot delete the default version of a launch template."))
                else:
                    setattr(version, _DELETED, True)
                    done.append(number)
            base = {"LaunchTemplateId": template.id, "LaunchTemplateName": template.name}
            return ActionResult({
                "SuccessfullyDeletedLaunchTemplateVersions": [{**base, "VersionNumber": int(n)} for n in done],
                "UnsuccessfullyDeletedLaunchTemplateVersions": [
                    {**base, "VersionNumber": int(n) if n.isdigit() else 0,
                     "ResponseError": {"Code": code, "Message": message}} for n, code, message in failed]})

        return delete_launch_template_versions

    _patch(LaunchTemplates, "delete_launch_template_versions", make)


def fix_versions() -> None:
    """Deleted versions are not found, and $Latest is the newest version left."""

    def make_get(original: Any) -> Callable[..., Any]:
        def get_version(self: Any, num: Any) -> Any:
            if str(num).lower() == "$latest":
                return _alive(self)[-1]
            version = original(self, num)
            if getattr(version, _DELETED, False):
                raise InvalidLaunchTemplateVersionNotFound(template_id=self.id, version=num)
            return version

        return get_version

    def make_latest(_original: Any) -> Callable[..., Any]:
        def latest_version(self: Any) -> Any:
            return _alive(self)[-1]

        return latest_version

    _patch(LaunchTemplate, "get_version", make_get)
    _patch(LaunchTemplate, "latest_version", make_latest)


def fix_describe_pages() -> None:
    def make_versions(_original: Any) -> Callable[..., Any]:
        def describe_launch_template_versions(self: Any) -> ActionResult:
            backend = self.ec2_backend
            found = backend.describe_launch_template_versions(
                template_name=self._get_param("LaunchTemplateName"),
                template_id=self._get_param("LaunchTemplateId"), versions=self._get_param("Versions", []),
                min_version=self._get_int_param("MinVersion"), max_version=self._get_int_param("MaxVersion"),
                max_results=10**9)
            found = [(t, v) for t, v in found if not getattr(v, _DELETED, False)]
            self.error_on_dryrun()
            page, token = paginate(found, [f"{t.id}:{v.number}" for t, v in found],
                                   self._get_int_param("MaxResults"), self._get_param("NextToken"),
                                   default_page=200, max_page=200, error=InvalidParameterValue)
            return ActionResult({"LaunchTemplateVersions": [_version_result(self, t, v) for t, v in page],
                                 "NextToken": token})

        return describe_launch_template_versions

    def make_templates(_original: Any) -> Callable[..., Any]:
        def describe_launch_templates(self: Any) -> ActionResult:
            templates = self.ec2_backend.describe_launch_templates(
                template_names=self._get_param("LaunchTemplateNames", []),
                template_ids=self._get_param("LaunchTemplateIds", []), filters=self._filters_from_querystring())
            self.error_on_dryrun()
            page, token = paginate(templates, [t.id for t in templates], self._get_int_param("MaxResults"),
                                   self._get_param("NextToken"), default_page=1000, max_page=1000,
                                   error=InvalidParameterValue)
            return ActionResult({"LaunchTemplates": [{
                "CreateTime": t.create_time, "CreatedBy": f"arn:{self.partition}:iam::{self.current_account}:root",
                "DefaultVersionNumber": t.default_version_number, "LatestVersionNumber": t.latest_version_number,
                "LaunchTemplateId": t.id, "LaunchTemplateName": t.name, "Tags": t.get_tags()} for t in page],
                "NextToken": token})

        return describe_launch_templates

    _patch(LaunchTemplates, "describe_launch_template_versions", make_versions)
    _patch(LaunchTemplates, "describe_launch_templates", make_templates)


def install() -> None:
    """Apply the EC2 fixes (idempotent)."""
    fix_create_launch_template()
    fix_create_launch_template_version()
    fix_delete_launch_template_versions()
    fix_versions()
    fix_describe_pages()

