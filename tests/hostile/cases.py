"""The hostile inputs: each one a manifest directory that AWS would refuse, or that would hang, exhaust or
fool the reader. Every case must make validate/plan/apply exit 1 with a clear message (file:line:col
where the input has one), without a traceback and without any AWS request.

Categories: files (F), encoding (E), YAML (Y), YAML 1.1 coercions (C), variables (X), AWS model limits
(L), ECS and ECR rules (R), references between manifests (S).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

TD = "apiVersion: reconciler/v1\nkind: TaskDefinition\nmetadata:\n  name: app\nspec:\n"
FARGATE = "  requiresCompatibilities: [FARGATE]\n  networkMode: awsvpc\n  cpu: 256\n  memory: 512\n"
CONTAINER = "    - name: web\n      image: nginx:1.27\n      memory: 128\n"
GOOD_TD = TD + FARGATE + "  containerDefinitions:\n" + CONTAINER
SUBNETS = "  networkConfiguration:\n    awsvpcConfiguration:\n      subnets: [subnet-0a0a0a0a0a0a0a0a1]\n"


def service(name: str = "web", extra: str = "  desiredCount: 1\n", td: str = "app") -> str:
    return (f"apiVersion: reconciler/v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  cluster: demo\n"
            f"  taskDefinition: {td}\n{extra}")


def task(name: str, extra: str) -> str:
    return (f"apiVersion: reconciler/v1\nkind: Task\nmetadata:\n  name: {name}\nspec:\n  cluster: demo\n"
            f"  taskDefinition: app\n  launchType: FARGATE\n{SUBNETS}{extra}")


def td(containers: str, head: str = FARGATE, extra: str = "") -> str:
    return TD + head + extra + "  containerDefinitions:\n" + containers


@dataclass(frozen=True)
class Case:
    id: str
    expect: str  # a fragment of the error message
    files: dict[str, str | bytes] = field(default_factory=dict)  # relative path -> content
    build: Callable[[Path], None] | None = None  # for what files cannot express (FIFOs, links)
    env: dict[str, str] = field(default_factory=dict)
    where: str = "x.yaml"  # the file (and position) the message must name; "" when none

    def make(self, root: Path) -> Path:
        target = root / "m"
        target.mkdir(parents=True)
        for name, content in self.files.items():
            path = target / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        if self.build is not None:
            self.build(target)
        return target


def _fifo(root: Path) -> None:
    os.mkfifo(root / "x.yaml")


def _link(target: str, name: str = "x.yaml") -> Callable[[Path], None]:
    def build(root: Path) -> None:
        (root / name).symlink_to(target)
    return build


def _outside_file(root: Path) -> None:
    secret = root.parent / "outside.yaml"
    secret.write_text(GOOD_TD)
    (root / "x.yaml").symlink_to(secret)


def _outside_dir(root: Path) -> None:
    elsewhere = root.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "app.yaml").write_text(GOOD_TD)
    (root / "linked").symlink_to(elsewhere)


def _loop(root: Path) -> None:
    (root / "x.yaml").symlink_to("y.yaml")
    (root / "y.yaml").symlink_to("x.yaml")


def _control_name(root: Path) -> None:
    (root / "x\n\x1b[31mred.yaml").write_text(GOOD_TD)


def _too_much(root: Path) -> None:
    block = "# " + "x" * 1000 + "\n"
    for i in range(11):
        (root / f"f{i:02}.yaml").write_text(block * 1000)  # ~1,000,000 bytes each: 11 MB in all


def _bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _deep_block(levels: int) -> str:
    return "".join("  " * i + "a:\n" for i in range(levels)) + "  " * levels + "b\n"


LAUNCH = "  launchType: FARGATE\n" + SUBNETS

CASES: list[Case] = [
    # --- files -----------------------------------------------------------------------------------------
    Case("F-fifo", "not a regular file (a FIFO", build=_fifo),
    Case("F-symlink-dev-zero", "symlink points outside the manifest directory (to /dev/zero)",
         build=_link("/dev/zero")),
    Case("F-symlink-outside-file", "symlink points outside the manifest directory", build=_outside_file),
    Case("F-symlink-outside-dir", "symlink points outside the manifest directory", build=_outside_dir,
         where="linked"),
    Case("F-symlink-loop", "symlink loop", build=_loop),
    Case("F-symlink-dangling", "broken symlink", build=_link("nowhere.yaml")),
    Case("F-symlink-etc-passwd", "symlink points outside", build=_link("/etc/passwd")),
    Case("F-file-over-1MiB", "larger than 1024 KiB", files={"x.yaml": "# " + "x" * (1024 * 1024) + "\n"}),
    Case("F-tree-over-10MiB", "larger than 10 MiB in total", build=_too_much, where="f10.yaml"),
    Case("F-control-characters-in-name", "control characters", build=_control_name, where="x\\x0a\\x1b[31mred.yaml"),
    # --- encoding --------------------------------------------------------------------------------------
    Case("E-not-utf8", "not valid UTF-8 (byte 0xff)", files={"x.yaml": TD.encode() + b"  cpu: \xff\xfe\n"},
         where="x.yaml:6:8"),
    Case("E-latin1", "not valid UTF-8", files={"x.yaml": GOOD_TD.replace("web", "caf\xe9").encode("latin-1")}),
    Case("E-utf16", "UTF-16", files={"x.yaml": GOOD_TD.encode("utf-16")}, where="x.yaml:1:1"),
    Case("E-nul-byte", "NUL bytes", files={"x.yaml": TD.encode() + b"  cpu: 2\x0056\n"}, where="x.yaml:6:9"),
    Case("E-control-character", "is not allowed in YAML", files={"x.yaml": TD + "  cpu: '2\x0756'\n"},
         where="x.yaml:6"),
    # --- YAML ------------------------------------------------------------------------------------------
    Case("Y-cfn-ref-tag", "unknown YAML tag '!Ref'",
         files={"x.yaml": td(CONTAINER.replace("nginx:1.27", "!Ref Image"))}, where="x.yaml:12:14"),
    Case("Y-python-name-tag", "unknown YAML tag '!!python/name:os.system'",
         files={"x.yaml": td(CONTAINER.replace("nginx:1.27", "!!python/name:os.system"))}, where="x.yaml:12:14"),
    Case("Y-python-object-apply", "Python tags are never evaluated",
         files={"x.yaml": TD + "  cpu: !!python/object/apply:os.system ['true']\n"}, where="x.yaml:6:8"),
    Case("Y-binary-tag", "unknown YAML tag '!!binary'", files={"x.yaml": TD + "  cpu: !!binary MjU2\n"}),
    Case("Y-tag-on-mapping", "unknown YAML tag '!Sub'", files={"x.yaml": TD + "  runtimePlatform: !Sub {}\n"}),
    Case("Y-tag-on-sequence", "unknown YAML tag '!Split'",
         files={"x.yaml": TD + "  requiresCompatibilities: !Split [FARGATE]\n"}),
    Case("Y-yaml-1.1-directive", "%YAML 1.1 directive", files={"x.yaml": "%YAML 1.1\n---\n" + GOOD_TD}),
    Case("Y-deep-flow-nesting", "nested deeper than 64 levels", files={"x.yaml": "a: " + "[" * 300_000 + "\n"},
         where="x.yaml:1:68"),
    Case("Y-deep-block-nesting", "nested deeper than 64 levels", files={"x.yaml": _deep_block(500)}),
    Case("Y-alias-bomb", "expands to more than 200000 values", files={"x.yaml": _bomb()}),
    Case("Y-recursive-alias", "a recursive alias", files={"x.yaml": "a: &a [1, *a]\n"}),
    Case("Y-duplicate-key", "duplicate key 'cpu'", files={"x.yaml": TD + "  cpu: '256'\n  cpu: '512'\n"},
         where="x.yaml:7:3"),
    Case("Y-merge-of-a-scalar", "'<<' merges mappings only", files={"x.yaml": TD + "  <<: 256\n"}),
    Case("Y-merge-key-twice", "duplicate merge key", files={"x.yaml": TD + "  <<: {cpu: '1'}\n  <<: {cpu: '2'}\n"}),
    Case("Y-merge-recursive", "a recursive alias",
         files={"x.yaml": "base: &b\n  x: 1\n  <<: *b\n" + GOOD_TD.replace("kind:", "kind:", 1)}),
    Case("Y-merge-brings-unknown-field", "unknown field 'imagee'",
         files={"x.yaml": td("    - name: web\n      <<: {imagee: nginx}\n      image: nginx\n      memory: 128\n")}),
    Case("Y-undefined-alias", "refers to no anchor", files={"x.yaml": TD + "  cpu: *nothing\n"}),
    Case("Y-complex-key", "a mapping key must be a plain value", files={"x.yaml": TD + "  ? [a, b]\n  : c\n"}),
    Case("Y-huge-integer", "is too large", files={"x.yaml": TD + "  cpu: " + "9" * 5000 + "\n"}),
    Case("Y-deep-through-aliases", "nested deeper than 64 levels (through aliases)",
         files={"x.yaml": "".join(f"a{i}: &a{i} " + ("[" * 30) + (f"*a{i - 1}" if i else "1") + ("]" * 30) + "\n"
                                  for i in range(5))}),
    Case("Y-syntax-error", "invalid YAML", files={"x.yaml": TD + "  cpu: [256\n"}),
    Case("Y-a-hundred-thousand-documents", "…and more: only the first 1000 problems are listed",
         files={"x.yaml": "a: 1\n---\n" * 100_000}),
    # --- YAML 1.1 coercions ------------------------------------------------------------------------------
    Case("C-float-version-in-text", "YAML reads 1.10 as the number 1.1",
         files={"x.yaml": td(CONTAINER + "      environment:\n        - {name: VERSION, value: 1.10}\n")},
         where="x.yaml:15:34"),
    Case("C-octal-in-text", "YAML reads 0o17 as the number 15",
         files={"x.yaml": td(CONTAINER + "      environment:\n        - {name: MODE, value: 0o17}\n")}),
    Case("C-leading-zero-in-text", "YAML reads 0755 as the number 755",
         files={"x.yaml": td(CONTAINER + "      environment:\n        - {name: MODE, value: 0755}\n")}),
    Case("C-exponent-in-text", "YAML reads 1e3 as the number 1000.0",
         files={"x.yaml": td(CONTAINER + "      environment:\n        - {name: N, value: 1e3}\n")}),
    Case("C-bool-as-number", "expected a number, got true/false",
         files={"x.yaml": td(CONTAINER.replace("memory: 128", "memory: true"))}),
    Case("C-infinity", "is neither CPU units", files={"x.yaml": GOOD_TD.replace("cpu: 256", "cpu: .inf")}),
    Case("C-nan-in-number-field", "nan is not a finite number",
         files={"x.yaml": service(extra="  desiredCount: 1\n  deploymentConfiguration:\n"
                                        "    canaryConfiguration: {canaryPercent: .nan}\n")}),
    Case("C-bool-in-text-field", "Input should be a valid string",
         files={"x.yaml": td(CONTAINER + "      environment:\n        - {name: DEBUG, value: true}\n")}),
    # --- variables -------------------------------------------------------------------------------------
    Case("X-aws-secret-key", "variable ${AWS_SECRET_ACCESS_KEY} is set in the environment, but manifests may not",
         files={"x.yaml": td(CONTAINER + "      environment:\n"
                                         "        - {name: K, value: '${AWS_SECRET_ACCESS_KEY}'}\n")},
         env={"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}),
    Case("X-token-with-default", "${GITHUB_TOKEN} is set in the environment",
         files={"x.yaml": td(CONTAINER + "      environment:\n        - {name: T, value: '${GITHUB_TOKEN:-none}'}\n")},
         env={"GITHUB_TOKEN": "ghp_0123456789abcdef", "RECONCILER_ALLOW_ENV": "GITHUB_*"}),
    Case("X-unlisted-with-default", "--allow-env HOME",
         files={"x.yaml": td(CONTAINER + "      command: [ls, '${HOME:-/}']\n")}, env={"HOME": "/root"}),
    Case("X-unset", "variable ${NOT_SET_ANYWHERE} is not set",
         files={"x.yaml": td(CONTAINER.replace("nginx:1.27", "nginx:${NOT_SET_ANYWHERE}"))}),
    Case("X-malformed-reference", "is not a variable reference",
         files={"x.yaml": td(CONTAINER + "      command: [sh, -c, 'echo ${1:=x}']\n")}),
    # --- AWS model limits ------------------------------------------------------------------------------
    Case("L-int32-overflow", "out of range for a 32-bit integer",
         files={"x.yaml": service(extra="  desiredCount: 2147483648\n")}),
    Case("R-port-range", "containerPort must be a port number, 1 to 65535",
         files={"x.yaml": td(CONTAINER + "      portMappings: [{containerPort: 70000}]\n")}),
    Case("L-too-many-tags", "must have at most 50 items",
         files={"x.yaml": GOOD_TD + "  tags:\n" + "".join(f"    - {{key: k{i}, value: v}}\n" for i in range(51))}),
    Case("L-tag-key-too-long", "must be at most 128 characters",
         files={"x.yaml": GOOD_TD + f"  tags:\n    - {{key: {'k' * 200}, value: v}}\n"}),
    Case("L-tag-value-pattern", "does not match the pattern AWS requires",
         files={"x.yaml": GOOD_TD + "  tags:\n    - {key: schedule, value: 'cron(0 3 * * ? *)'}\n"}),
    Case("L-strategy-weight", "must be at most 1000",
         files={"x.yaml": service(extra="  capacityProviderStrategy: [{capacityProvider: FARGATE, weight: 5000}]\n")}),
    Case("L-huge-image", "invalid image",
         files={"x.yaml": td(CONTAINER.replace("nginx:1.27", "nginx:" + "a" * 300_000))}),
    # --- ECS and ECR rules ------------------------------------------------------------------------------
    Case("R-fargate-cpu-memory", "Fargate does not run cpu 256 with memory 8192",
         files={"x.yaml": GOOD_TD.replace("memory: 512", "memory: 8192", 1)}, where="x.yaml:9:11"),
    Case("R-fargate-windows-small", "Windows tasks on Fargate need cpu 1024",
         files={"x.yaml": GOOD_TD + "  runtimePlatform: {operatingSystemFamily: WINDOWS_SERVER_2022_CORE}\n"}),
    Case("R-empty-containers", "needs at least one container",
         files={"x.yaml": TD + FARGATE + "  containerDefinitions: []\n"}),
    Case("R-eleven-containers", "at most 10 containers",
         files={"x.yaml": td("".join(CONTAINER.replace("web", f"c{i}") for i in range(11)),
                             FARGATE.replace("cpu: 256\n  memory: 512", "cpu: 4096\n  memory: 8192"))}),
    Case("R-duplicate-container-names", "duplicate container name 'web'", files={"x.yaml": td(CONTAINER * 2)}),
    Case("R-bad-container-name", "invalid container name 'web server'",
         files={"x.yaml": td(CONTAINER.replace("name: web", "name: web server"))}),
    Case("R-no-essential-container", "at least one container must be essential",
         files={"x.yaml": td(CONTAINER + "      essential: false\n")}),
    Case("R-mount-unknown-volume", "sourceVolume 'data' names no volume",
         files={"x.yaml": td(CONTAINER + "      mountPoints: [{sourceVolume: data, containerPath: /data}]\n")}),
    Case("R-depends-on-unknown", "containerName 'db' names no other container",
         files={"x.yaml": td(CONTAINER + "      dependsOn: [{containerName: db, condition: START}]\n")}),
    Case("R-links-with-awsvpc", "links are not supported with networkMode awsvpc",
         files={"x.yaml": td(CONTAINER + "      links: [web]\n")}),
    Case("R-host-port-awsvpc", "hostPort must be left out or equal containerPort",
         files={"x.yaml": td(CONTAINER + "      portMappings: [{containerPort: 80, hostPort: 8080}]\n")}),
    Case("R-fargate-no-cpu", "Fargate needs task-level cpu",
         files={"x.yaml": td(CONTAINER, "  requiresCompatibilities: [FARGATE]\n  networkMode: awsvpc\n"
                                        "  memory: 512\n")}),
    Case("R-fargate-bridge", "Fargate needs networkMode awsvpc",
         files={"x.yaml": td(CONTAINER, FARGATE.replace("awsvpc", "bridge"))}),
    Case("R-container-memory-over-task", "more than the task's 512 MiB",
         files={"x.yaml": td(CONTAINER.replace("memory: 128", "memory: 1024"))}),
    Case("R-privileged-on-fargate", "privileged containers are not supported on Fargate",
         files={"x.yaml": td(CONTAINER + "      privileged: true\n")}),
    Case("R-health-check-interval", "interval must be between 5 and 300",
         files={"x.yaml": td(CONTAINER + "      healthCheck: {command: [CMD, 'true'], interval: 1}\n")}),
    Case("R-negative-desired-count", "desiredCount cannot be negative",
         files={"x.yaml": service(extra="  desiredCount: -1\n")},
         where="x.yaml:8:17"),
    Case("R-launch-type-and-strategy", "give launchType or capacityProviderStrategy, not both",
         files={"x.yaml": service(extra="  launchType: FARGATE\n"
                                        "  capacityProviderStrategy: [{capacityProvider: FARGATE}]\n")}),
    Case("R-two-bases", "only one capacity provider in a strategy may have a base",
         files={"x.yaml": service(extra="  capacityProviderStrategy:\n"
                                        "    - {capacityProvider: FARGATE, base: 1, weight: 1}\n"
                                        "    - {capacityProvider: FARGATE_SPOT, base: 1, weight: 1}\n")}),
    Case("R-min-healthy-over-100", "minimumHealthyPercent must be between 0 and 100",
         files={"x.yaml": service(extra="  deploymentConfiguration: {minimumHealthyPercent: 150}\n")}),
    Case("R-daemon-on-fargate", "DAEMON services cannot run on Fargate",
         files={"x.yaml": service(extra="  launchType: FARGATE\n  schedulingStrategy: DAEMON\n")}),
    Case("R-load-balancer-without-container", "a load balancer needs containerName",
         files={"x.yaml": service(extra="  loadBalancers: [{targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:"
                                        "123456789012:targetgroup/t/0123456789abcdef'}]\n")}),
    Case("R-run-task-count", "count must be between 1 and 10", files={"x.yaml": task("t", "  count: 11\n")}),
    Case("R-seventeen-subnets", "at most 16 subnets",
         files={"x.yaml": service(extra="  networkConfiguration:\n    awsvpcConfiguration:\n      subnets: ["
                                        + ", ".join(f"subnet-{i:017x}" for i in range(17)) + "]\n")}),
    Case("R-aws-tag-prefix", "the aws: prefix is reserved",
         files={"x.yaml": GOOD_TD + "  tags:\n    - {key: 'aws:x', value: v}\n"}),
    Case("R-ecr-lifecycle-priority", "duplicate rulePriority 1",
         files={"x.yaml": "apiVersion: reconciler/v1\nkind: Repository\nmetadata:\n  name: web\nspec:\n"
                          "  lifecyclePolicy:\n    rules:\n" + 2 * (
                              "      - rulePriority: 1\n        selection: {tagStatus: any, "
                              "countType: imageCountMoreThan, countNumber: 3}\n        action: {type: expire}\n")}),
    Case("R-repository-name", "invalid Repository name 'Web_App'",
         files={"x.yaml": "apiVersion: reconciler/v1\nkind: Repository\nmetadata:\n  name: Web_App\nspec: {}\n"}),
    # --- references between manifests ----------------------------------------------------------------
    Case("S-run-before-and-after", "is in both runBefore and runAfter",
         files={"td.yaml": GOOD_TD, "s.yaml": service(extra="  desiredCount: 1\n" + LAUNCH),
                "x.yaml": task("migrate", "  runBefore: [web]\n  runAfter: [web]\n")}),
    Case("S-cycle-through-two-tasks", "dependency cycle",
         files={"td.yaml": GOOD_TD, "s.yaml": service(extra="  desiredCount: 1\n" + LAUNCH)
                + "---\n" + service("api", "  desiredCount: 1\n" + LAUNCH),
                "x.yaml": task("one", "  runBefore: [web]\n  runAfter: [api]\n")
                + "---\n" + task("two", "  runBefore: [api]\n  runAfter: [web]\n")}),
    Case("S-awsvpc-service-without-network", "networkConfiguration is required",
         files={"td.yaml": GOOD_TD, "x.yaml": service()}),
    Case("S-load-balancer-unknown-container", "containerName 'api' is not a container of task definition 'app'",
         files={"td.yaml": GOOD_TD, "x.yaml": service(extra="  desiredCount: 1\n" + LAUNCH + (
             "  loadBalancers: [{targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/"
             "0123456789abcdef', containerName: api, containerPort: 80}]\n"))}),
    Case("S-fargate-service-bridge-taskdef", "launchType FARGATE needs a Fargate task definition",
         files={"td.yaml": TD + "  containerDefinitions:\n" + CONTAINER,
                "x.yaml": service(extra="  launchType: FARGATE\n")}),
    Case("S-hook-names-no-service", "runBefore names 'wbe'",
         files={"td.yaml": GOOD_TD, "x.yaml": task("migrate", "  runBefore: [wbe]\n")}),
    Case("S-duplicate-manifest", "duplicate TaskDefinition 'app'", files={"a.yaml": GOOD_TD, "x.yaml": GOOD_TD}),
]
