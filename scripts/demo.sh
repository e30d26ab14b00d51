#!/usr/bin/env bash
# The demo: start the sandbox (embedded AWS on 127.0.0.1), then plan, apply and plan again the example
# manifests against it. The second plan must show no changes. Second act: the ECS chapter's cluster of EC2
# container instances (examples/ec2-cluster): applied, its instances replaced by another type without losing a
# task, then a clean plan. Stops the sandbox on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT=$($BIN/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
LOG=$(mktemp)
$BIN/reconciler sandbox --port "$PORT" --log-level warning >"$LOG" 2>&1 &
SANDBOX_PID=$!
trap 'kill $SANDBOX_PID 2>/dev/null || true; wait $SANDBOX_PID 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 100); do
  grep -q AWS_ENDPOINT_URL "$LOG" && break
  kill -0 $SANDBOX_PID 2>/dev/null || { cat "$LOG"; echo "sandbox failed to start" >&2; exit 1; }
  sleep 0.2
done
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
step "sandbox running at $AWS_ENDPOINT_URL"
step "reconciler validate manifests/"
$BIN/reconciler validate manifests/ --log-level warning
step "reconciler plan manifests/    (what would change)"
$BIN/reconciler plan manifests/ --log-level warning
step "reconciler apply manifests/   (make it so)"
$BIN/reconciler apply manifests/ --log-level warning
step "reconciler plan manifests/ --detailed-exitcode   (nothing left to do: exit 0)"
$BIN/reconciler plan manifests/ --log-level warning --detailed-exitcode
step "second act: the chapter's EC2 cluster (examples/ec2-cluster): role, profile, template, group, provider..."
$BIN/reconciler apply examples/ec2-cluster/ --log-level warning
step "reconciler status examples/ec2-cluster/   (its container instances)"
$BIN/reconciler status examples/ec2-cluster/ --log-level warning
step "instance type t3.small -> t3.medium: new instances register, each old one drains, then terminates"
$BIN/reconciler apply examples/ec2-cluster/ --log-level warning --var INSTANCE_TYPE=t3.medium
step "reconciler plan examples/ec2-cluster/ --detailed-exitcode   (nothing left to do: exit 0)"
$BIN/reconciler plan examples/ec2-cluster/ --log-level warning --detailed-exitcode --var INSTANCE_TYPE=t3.medium
step "demo complete: plan -> apply -> clean plan, and an EC2 cluster's instances replaced without losing a task"
