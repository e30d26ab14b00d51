"""reconciler: a Kubernetes-style GitOps reconciler for AWS ECS.

Manifests in git are loaded (`reconciler.loader`), compared with live AWS (`reconciler.live`,
`reconciler.planning`) and applied (`reconciler.apply`). The CLI lives in `reconciler.cli`.
"""

__version__ = "0.1.0"
