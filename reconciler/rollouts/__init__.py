"""Rolling deployments: read what ECS is doing (observe), wait for it, roll back when it fails."""
