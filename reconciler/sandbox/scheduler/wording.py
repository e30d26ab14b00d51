"""What ECS writes: service event messages, rollout reasons and task stop reasons.

Sources (real describe-services output and AWS docs):
* "(service app1) has started 2 tasks: (task 9ac2...) (task 51b3...)." and "(service my-http-service) has
  stopped 1 running tasks: (task fb9c...)." and "(service my-http-service) (deployment ecs-svc/2420...)
  deployment completed." -- describe-services output quoted in several public repositories;
* "(service myservice) has reached a steady state." -- AWS developer guide, "Service event messages";
* "(service devops-g3-inventory) (deployment ecs-svc/1571...) deployment failed: tasks failed to start." and
  "(service devops-g3-inventory) rolling back to deployment ecs-svc/1675..." -- a public incident log;
* "(service newrelic-ifnra) is unable to consistently start tasks successfully. For more information, see
  the Troubleshooting section of the Amazon ECS Developer Guide." -- describe-services output (AWS guide:
  "Service throttle logic");
* "service X was unable to place a task because no container instance met all of its requirements. Reason:
  No Container Instances were found in your cluster." -- AWS prescriptive guidance (ECS Anywhere);
* "(service X) was unable to stop or start tasks during a deployment because of the service deployment
  configuration. Update the minimumHealthyPercent or maximumPercent value and try again." -- AWS guide,
  service event messages list.
rolloutStateReason: "ECS deployment ecs-svc/N in progress." / "... completed." (moto and AWS), "ECS
deployment circuit breaker: tasks failed to start." (aws/containers-roadmap#1488), "ECS deployment circuit
breaker: rolling back to deploymentId ecs-svc/N." (AWS guide, deployment state change events).
Task stop reasons: "Essential container in task exited" and "Scaling activity initiated by (deployment
ecs-svc/N)" with stopCode ServiceSchedulerInitiated (AWS knowledge center "Why is my ECS task stopped?" and
task state change events); "Task stopped by user" (StopTask without a reason).
"""

from __future__ import annotations

MSG_STARTED = "(service {service}) has started {count} tasks: {tasks}."
MSG_STOPPED = "(service {service}) has stopped {count} running tasks: {tasks}."
MSG_STEADY = "(service {service}) has reached a steady state."
MSG_COMPLETED = "(service {service}) (deployment {deployment}) deployment completed."
MSG_FAILED = "(service {service}) (deployment {deployment}) deployment failed: tasks failed to start."
MSG_ROLLING_BACK = "(service {service}) rolling back to deployment {deployment}."
MSG_UNSTABLE = (
    "(service {service}) is unable to consistently start tasks successfully. For more information, see the "
    "Troubleshooting section of the Amazon ECS Developer Guide."
)
MSG_NO_PLACEMENT = (
    "(service {service}) was unable to place a task because no container instance met all of its requirements. "
    "Reason: {reason}. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
)
MSG_CONFIG_STUCK = (
    "(service {service}) was unable to stop or start tasks during a deployment because of the service deployment "
    "configuration. Update the minimumHealthyPercent or maximumPercent value and try again."
)
REASON_NO_INSTANCES = "No Container Instances were found in your cluster"
REASON_NO_ROOM = "The closest matching (container-instance {instance}) has insufficient memory available"
REASON_NO_CPU = "The closest matching (container-instance {instance}) has insufficient CPU units available"
REASON_PORT = "The closest matching (container-instance {instance}) is already using a port required by your task"
ROLLOUT_IN_PROGRESS = "ECS deployment {deployment} in progress."
ROLLOUT_COMPLETED = "ECS deployment {deployment} completed."
ROLLOUT_CIRCUIT_BREAKER = "ECS deployment circuit breaker: tasks failed to start."
ROLLOUT_ROLLING_BACK = "ECS deployment circuit breaker: rolling back to deploymentId {deployment}."
STOP_ESSENTIAL_EXITED = "Essential container in task exited"
STOP_SCALING = "Scaling activity initiated by (deployment {deployment})"
# Not verified against AWS output (no public sample found); the stopCode is the documented one.
STOP_INSTANCE_DRAINING = "Container instance {instance} is DRAINING: task replaced by (deployment {deployment})"
STOP_BY_USER = "Task stopped by user"
# Not verified against AWS output (no public sample found); TerminationNotice is a documented stopCode.
STOP_HOST_TERMINATED = "Host EC2 (instance {instance}) terminated."
CONTAINER_CRASH_REASON = (
    "CannotStartContainerError: Error response from daemon: failed to create task for container: failed to "
    "create shim task: OCI runtime create failed: unable to start container process: exit status 1 "
    "(sandbox: {why})"
)
