"""The long-running GitOps controller (`reconciler watch`): level-triggered passes over a directory or a
git repository, on change, on a resync interval and on requeue; per-resource backoff; never two writers."""
