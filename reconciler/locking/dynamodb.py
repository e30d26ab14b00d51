"""Leases in a DynamoDB table: a lock for one writer at a time, and per-shard leases for watchers.

A lease is an item with a holder, an expiry (epoch seconds) and a fencing token. It is taken with a conditional
write (absent or expired), kept alive by a renewal thread with a conditional update (still ours, same token),
and released with a conditional delete. A lease is not fencing on its own (client-go says as much about leader
election), so `check()` refuses as soon as a renewal failed *or* our own clock says the lease ran out, and
`install_fencing` calls it before every mutating AWS call.

Clocks: `expires_at` is written from the acquirer's clock, and a lease is free when the next writer's clock
passes it. Clock skew between writers shortens or lengthens a lease by the skew; keep leases well above it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from reconciler import log
from reconciler.aws import dynamodb_lease as ddb
from reconciler.errors import AwsError, LockHeldError, LockLostError
from reconciler.locking.base import LockContext, iso_utc

MAX_POLL_SECONDS = 16.0


class DynamoDBLock(LockContext):
    """A `Lock` held as a lease on item `key` of DynamoDB table `table`."""

    def __init__(self, client: Any, table: str, key: str, holder: str, timeout: float,
                 lease_seconds: float = 30.0, renew_every: float | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        renew = lease_seconds / 3 if renew_every is None else renew_every
        if renew <= 0:
            raise ValueError("renew_every must be positive")
        self.client = client
        self.table = table
        self.key = key
        self.holder = holder
        self.lease_seconds = lease_seconds
        self.renew_every = renew
        self.name = f"lock '{key}' in DynamoDB table '{table}'"
        self._timeout = timeout
        self._clock = clock
        self._state = threading.Lock()
        self._token: int | None = None
        self._expires_at = 0.0
        self._lost: str | None = None
        self._stop: threading.Event | None = None
        self._renewer: threading.Thread | None = None

    @property
    def token(self) -> int | None:
        """The fencing token of the lease we hold (None when not held)."""
        with self._state:
            return self._token

    # -- Lock ------------------------------------------------------------------------------------------------

    def acquire(self, timeout: float) -> None:
        with self._state:
            if self._token is not None and self._lost is None:
                raise RuntimeError(f"{self.name} is already held by this process")
        self._stop_renewer()  # a lost lease's renewer, if any
        deadline = time.monotonic() + max(0.0, timeout)
        delay = min(1.0, self.lease_seconds / 4)
        while True:
            now = self._clock()
            expires_at = now + self.lease_seconds
            result = ddb.try_acquire(self.client, self.table, self.key, self.holder, iso_utc(now), now, expires_at)
            if result.acquired and result.record is not None:
                with self._state:
                    self._token = result.record.token
                    self._expires_at = expires_at
                    self._lost = None
                self._start_renewer(result.record.token)
                log.get().debug("Acquired lock", lock=self.name, holder=self.holder, token=result.record.token)
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._held_error(result.record, now, timeout)
            wait = min(delay, remaining)
            if result.record is not None and result.record.expires_at > now:
                wait = min(wait, result.record.expires_at - now + 0.05)  # try again just after it expires
            time.sleep(max(0.01, wait))
            delay = min(delay * 2, MAX_POLL_SECONDS)

    def release(self) -> None:
        with self._state:
            token, lost = self._token, self._lost
            self._token = None
            self._lost = None
        if token is None:
            return
        self._stop_renewer()
        try:
            released = ddb.release(self.client, self.table, self.key, self.holder, token)
        except AwsError as exc:
            log.get().warning("Could not release lock; it expires with its lease", lock=self.name, error=str(exc))
            return
        if not released:
            log.get().warning("Lock was already lost when released", lock=self.name, holder=self.holder,
                              reason=lost or "taken over by another writer")
        elif lost:
            log.get().warning("Released a lock whose lease had lapsed", lock=self.name, reason=lost)
        else:
            log.get().debug("Released lock", lock=self.name, holder=self.holder)

    def check(self) -> None:
        with self._state:
            if self._token is None:
                raise LockLostError(f"{self.name} is not held", lock=self.name)
            if self._lost is None and self._clock() >= self._expires_at:
                self._lost = f"our lease expired at {iso_utc(self._expires_at)} before it was renewed"
            if self._lost is not None:
                raise LockLostError(f"{self.name} was lost: {self._lost}", lock=self.name)

    # -- renewal ---------------------------------------------------------------------------------------------

    def renew(self) -> None:
        """Renew the lease now (the renewal thread does this every `renew_every` seconds).
        Raise LockLostError if it cannot be renewed because it is no longer ours."""
        with self._state:
            token = self._token
        if token is None or not self._renew(token):
            self.check()
            raise LockLostError(f"{self.name} was lost", lock=self.name)  # pragma: no cover - check() raised

    def _renew(self, token: int) -> bool:
        """One renewal. True if the lease is still ours and extended; False if it is lost (and marked so)."""
        now = self._clock()
        with self._state:
            if token != self._token or self._lost is not None:
                return False
            if now >= self._expires_at:
                self._lost = f"our lease expired at {iso_utc(self._expires_at)} before it was renewed"
                log.get().warning("Lock lost", lock=self.name, reason=self._lost)
                return False
        expires_at = now + self.lease_seconds
        renewed = ddb.renew(self.client, self.table, self.key, self.holder, token, expires_at)
        with self._state:
            if token != self._token:
                return False
            if renewed:
                self._expires_at = max(self._expires_at, expires_at)
                return True
            if self._lost is None:
                self._lost = "it was taken over by another writer (renewal refused)"
                log.get().warning("Lock lost", lock=self.name, reason=self._lost)
            return False

    def _start_renewer(self, token: int) -> None:
        stop = threading.Event()
        thread = threading.Thread(target=self._renew_loop, args=(token, stop), daemon=True,
                                  name=f"lease-renewer:{self.key}")
        self._stop, self._renewer = stop, thread
        thread.start()

    def _stop_renewer(self) -> None:
        stop, thread = self._stop, self._renewer
        self._stop = self._renewer = None
        if stop is not None:
            stop.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _renew_loop(self, token: int, stop: threading.Event) -> None:
        # Scheduled from the start of the previous renewal, so a slow call does not push the next one late.
        next_at = time.monotonic() + self.renew_every
        while not stop.wait(max(0.0, next_at - time.monotonic())):
            started = time.monotonic()
            try:
                if not self._renew(token):
                    return
                next_at = started + self.renew_every
            except AwsError as exc:  # transient: try again soon; check() fails once the lease runs out
                log.get().warning("Lease renewal failed; retrying", lock=self.name, error=str(exc))
                next_at = time.monotonic() + max(0.05, self.renew_every / 4)
            except Exception as exc:  # never let the thread die silently with the lease still "held"
                with self._state:
                    if token == self._token and self._lost is None:
                        self._lost = f"renewal failed: {exc!r}"
                log.get().error("Lease renewal crashed", lock=self.name, error=repr(exc))
                return

    def _held_error(self, record: ddb.LeaseRecord | None, now: float, timeout: float) -> LockHeldError:
        waited = f"; gave up after {timeout:g}s" if timeout > 0 else ""
        if record is None:
            return LockHeldError(f"{self.name} is held by another writer (it changed while we looked){waited}",
                                 lock=self.name)
        left = record.expires_at - now
        expiry = f"lease expires in {left:.0f}s" if left >= 0 else f"lease expired {-left:.0f}s ago"
        return LockHeldError(f"{self.name} is held by {record.holder} since {record.since} ({expiry}){waited}",
                             lock=self.name, holder=record.holder, since=record.since)


@dataclass
class _Lease:
    token: int
    expires_at: float


class ShardLeases:
    """Several watchers share work: one lease per shard, item `shard:<name>` in the same table.

    Call `refresh()` well within `lease_seconds` (e.g. every lease/3): it renews our membership (item
    `member:<holder>`, a lease too, so dead watchers drop out), renews what we hold, drops what we could not
    renew, and takes free or expired shards up to a fair share: ceil(shards / live watchers). A watcher
    holding more than its share releases the extra shards, so a newcomer gets work within a refresh or two.
    Before acting on a shard, call `check(shard)`."""

    KEY_PREFIX = "shard:"
    MEMBER_PREFIX = "member:"

    def __init__(self, client: Any, table: str, holder: str, shards: Iterable[str], lease_seconds: float = 30.0,
                 clock: Callable[[], float] = time.time) -> None:
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        self.client = client
        self.table = table
        self.holder = holder
        self.shards = sorted(set(shards))
        self.lease_seconds = lease_seconds
        self._clock = clock
        self._state = threading.Lock()
        self._leases: dict[str, _Lease] = {}
        self._member: _Lease | None = None
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def _start_renewing(self) -> None:
        """Renew held leases in the background every lease/3, so a long pass (a migration task, a drain)
        does not outlive them; refresh() still takes and releases shards between passes."""
        if self._renewer is not None:
            return

        def run() -> None:
            while not self._stop.wait(self.lease_seconds / 3):
                with self._state:
                    held = list(self._leases.items())
                for shard, lease in held:
                    if not self._renew(shard, lease):
                        with self._state:
                            if self._leases.get(shard) is lease:
                                del self._leases[shard]

        self._renewer = threading.Thread(target=run, name="shard-lease-renewal", daemon=True)
        self._renewer.start()

    def key(self, shard: str) -> str:
        return f"{self.KEY_PREFIX}{shard}"

    def share(self) -> int:
        """How many shards this watcher should hold: its fair share among the live watchers."""
        now = self._clock()
        try:
            members = ddb.scan_prefix(self.client, self.table, self.MEMBER_PREFIX)
        except AwsError as exc:
            log.get().warning("Could not count watchers; keeping what we hold", error=str(exc))
            return len(self.held())
        live = {m.holder for m in members if m.expires_at > now} | {self.holder}
        return -(-len(self.shards) // len(live)) if self.shards else 0

    def refresh(self) -> set[str]:
        self._start_renewing()
        self._keep_membership()
        for shard in sorted(self._leases):
            if shard not in self.shards:
                self._release(shard)  # no longer a shard of the manifests
        for shard in self.shards:
            with self._state:
                lease = self._leases.get(shard)
            if lease is not None and not self._renew(shard, lease):
                with self._state:
                    self._leases.pop(shard, None)
        target = self.share()
        for shard in sorted(self.held(), reverse=True)[: max(0, len(self.held()) - target)]:
            log.get().info("Releasing a shard for another watcher", shard=shard, share=target)
            self._release(shard)
        for shard in self.shards:
            if len(self.held()) >= target:
                break
            if shard not in self._leases:
                self._try_take(shard)
        return self.held()

    def _keep_membership(self) -> None:
        now = self._clock()
        key = f"{self.MEMBER_PREFIX}{self.holder}"
        member = self._member
        expires_at = now + self.lease_seconds
        try:
            if member is not None and now < member.expires_at and ddb.renew(
                    self.client, self.table, key, self.holder, member.token, expires_at):
                member.expires_at = expires_at
                return
            result = ddb.try_acquire(self.client, self.table, key, self.holder, iso_utc(now), now, expires_at)
        except AwsError as exc:
            log.get().warning("Could not renew watcher membership", error=str(exc))
            return
        if result.acquired and result.record is not None:
            self._member = _Lease(result.record.token, expires_at)

    def _release(self, shard: str) -> None:
        with self._state:
            lease = self._leases.pop(shard, None)
        if lease is None:
            return
        try:
            ddb.release(self.client, self.table, self.key(shard), self.holder, lease.token)
        except AwsError as exc:
            log.get().warning("Could not release shard lease; it expires with its lease", shard=shard,
                              error=str(exc))

    def held(self) -> set[str]:
        now = self._clock()
        with self._state:
            return {shard for shard, lease in self._leases.items() if now < lease.expires_at}

    def check(self, shard: str) -> None:
        with self._state:
            lease = self._leases.get(shard)
        if lease is None:
            raise LockLostError(f"shard '{shard}' is not held by {self.holder} (table '{self.table}')",
                                lock=self.key(shard))
        if self._clock() >= lease.expires_at:
            raise LockLostError(f"lease on shard '{shard}' in table '{self.table}' expired at "
                                f"{iso_utc(lease.expires_at)} before it was renewed", lock=self.key(shard))

    def release_all(self) -> None:
        self._stop.set()
        for shard in sorted(self._leases):
            self._release(shard)
        member, self._member = self._member, None
        if member is not None:
            try:
                ddb.release(self.client, self.table, f"{self.MEMBER_PREFIX}{self.holder}", self.holder, member.token)
            except AwsError as exc:
                log.get().warning("Could not release watcher membership; it expires", error=str(exc))

    def _renew(self, shard: str, lease: _Lease) -> bool:
        now = self._clock()
        if now >= lease.expires_at:
            log.get().warning("Shard lease expired before renewal", shard=shard, holder=self.holder)
            return False
        expires_at = now + self.lease_seconds
        try:
            renewed = ddb.renew(self.client, self.table, self.key(shard), self.holder, lease.token, expires_at)
        except AwsError as exc:
            # Keep it until it runs out by our clock: a transient error must not drop work we still own.
            log.get().warning("Shard lease renewal failed; retrying on the next refresh", shard=shard,
                              error=str(exc))
            return True
        if renewed:
            lease.expires_at = expires_at
        else:
            log.get().warning("Shard lease taken over", shard=shard, holder=self.holder)
        return renewed

    def _try_take(self, shard: str) -> None:
        now = self._clock()
        expires_at = now + self.lease_seconds
        try:
            result = ddb.try_acquire(self.client, self.table, self.key(shard), self.holder, iso_utc(now), now,
                                     expires_at)
        except AwsError as exc:
            log.get().warning("Could not take shard lease", shard=shard, error=str(exc))
            return
        if result.acquired and result.record is not None:
            with self._state:
                self._leases[shard] = _Lease(result.record.token, expires_at)
            log.get().debug("Took shard lease", shard=shard, holder=self.holder, token=result.record.token)
