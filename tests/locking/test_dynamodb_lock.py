"""The DynamoDB lease lock, fencing and shard leases, against a moto HTTP server (see conftest)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from reconciler.errors import LockHeldError, LockLostError
from reconciler.locking import Lock, ShardLeases, dynamodb_lock, install_fencing
from tests.locking.conftest import FakeClock

KEY = "apply/sandbox/us-east-1"


def _item(ddb: Any, table: str, key: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = ddb.get_item(TableName=table, Key={"lock_id": {"S": key}},
                                                ConsistentRead=True).get("Item")
    return item


def test_table_is_created_on_first_use(ddb: Any, table: str) -> None:
    """The first acquire creates the table (PAY_PER_REQUEST, hash key lock_id) and writes the lease item."""
    lock: Lock = dynamodb_lock(ddb, table, KEY, "writer-a", timeout=0, renew_every=3600)
    with lock:
        described = ddb.describe_table(TableName=table)["Table"]
        assert described["TableStatus"] == "ACTIVE"
        assert described["KeySchema"] == [{"AttributeName": "lock_id", "KeyType": "HASH"}]
        assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        item = _item(ddb, table, KEY)
        assert item is not None
        assert item["holder"] == {"S": "writer-a"}
        assert item["token"] == {"N": "1"}
        assert item["since"]["S"].endswith("Z")
        assert float(item["expires_at"]["N"]) > time.time() + 20
    assert _item(ddb, table, KEY) is None


def test_existing_table_is_used_as_is(ddb: Any, table: str) -> None:
    """A table that already exists (here with provisioned capacity) is used without change."""
    ddb.create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "lock_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "lock_id", "KeyType": "HASH"}],
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
    )
    with dynamodb_lock(ddb, table, KEY, "writer-a", timeout=0, renew_every=3600) as lock:
        lock.check()
    described = ddb.describe_table(TableName=table)["Table"]
    assert described["ProvisionedThroughput"]["ReadCapacityUnits"] == 1


def test_second_holder_is_refused_with_the_first_holder_named(ddb: Any, table: str) -> None:
    """A second writer gets LockHeldError (exit 3) naming the holder, since when, the table and the key."""
    with dynamodb_lock(ddb, table, KEY, "host-1:111:abcd", timeout=0, renew_every=3600):
        other = dynamodb_lock(ddb, table, KEY, "host-2:222:ef01", timeout=0, renew_every=3600)
        with pytest.raises(LockHeldError) as caught:
            other.acquire(0)
        error = caught.value
        assert error.exit_code == 3
        assert error.holder == "host-1:111:abcd"
        message = str(error)
        assert f"lock '{KEY}' in DynamoDB table '{table}' is held by host-1:111:abcd since 20" in message
        assert "(lease expires in 30s)" in message or "(lease expires in 29s)" in message
        started = time.monotonic()
        with pytest.raises(LockHeldError, match=r"gave up after 0\.4s"):
            other.acquire(0.4)
        assert 0.35 <= time.monotonic() - started < 3
        with pytest.raises(LockLostError, match="not held"):
            other.check()


def test_expired_lease_is_taken_over_and_the_old_holder_is_fenced(ddb: Any, table: str, clock: FakeClock) -> None:
    """When a holder dies (no renewal) and its lease runs out, another takes over; the old one's check() fails."""
    first = dynamodb_lock(ddb, table, KEY, "first", timeout=0, lease_seconds=30, renew_every=3600, clock=clock)
    second = dynamodb_lock(ddb, table, KEY, "second", timeout=0, lease_seconds=30, renew_every=3600, clock=clock)
    first.acquire(0)
    clock.advance(29)
    with pytest.raises(LockHeldError, match="held by first"):
        second.acquire(0)
    first.check()
    clock.advance(2)
    second.acquire(0)
    assert second.token == 2
    second.check()
    with pytest.raises(LockLostError, match="expired"):
        first.check()
    first.release()  # never raises for a lost lease, and leaves the new holder's item alone
    item = _item(ddb, table, KEY)
    assert item is not None and item["holder"] == {"S": "second"}
    second.release()


def test_paused_holder_learns_of_the_takeover_at_its_next_renewal(ddb: Any, table: str) -> None:
    """A holder whose clock lags is taken over; its next renewal is refused and check() then fails."""
    slow, fast = FakeClock(), FakeClock()
    first = dynamodb_lock(ddb, table, KEY, "first", timeout=0, lease_seconds=30, renew_every=3600, clock=slow)
    second = dynamodb_lock(ddb, table, KEY, "second", timeout=0, lease_seconds=30, renew_every=3600, clock=fast)
    first.acquire(0)
    fast.advance(31)
    second.acquire(0)
    first.check()  # by its own clock the lease is still fine...
    with pytest.raises(LockLostError, match="taken over"):
        first.renew()  # ...until the renewal is refused
    with pytest.raises(LockLostError, match="taken over"):
        first.check()
    second.renew()
    second.check()
    first.release()
    second.release()


def test_renewal_keeps_a_short_lease_alive(ddb: Any, table: str, clock: FakeClock) -> None:
    """With a 30 s lease renewed in the background, the lock stays ours across several lease periods. Time is the
    test's clock (a real 1 s lease flaked when a loaded machine delayed the renewal thread): each step moves it
    20 s and waits until the renewal thread has written a lease past the new time."""
    holder = dynamodb_lock(ddb, table, KEY, "holder", timeout=0, lease_seconds=30, renew_every=0.02, clock=clock)
    other = dynamodb_lock(ddb, table, KEY, "other", timeout=0, lease_seconds=30, clock=clock)
    holder.acquire(0)

    def expires_at() -> float:
        item = ddb.get_item(TableName=table, Key={"lock_id": {"S": KEY}}, ConsistentRead=True)["Item"]
        return float(item["expires_at"]["N"])

    try:
        for _ in range(4):  # 80 s in all: without renewal the 30 s lease would be free after the second step
            clock.advance(20)
            deadline = time.monotonic() + 60  # a bound for a loaded machine, not a speed target
            while expires_at() <= clock() + 20:
                assert time.monotonic() < deadline, "the renewal thread did not renew the lease"
                time.sleep(0.02)
            holder.check()
            with pytest.raises(LockHeldError):
                other.acquire(0)
    finally:
        holder.release()
    other.acquire(0)
    other.release()


def test_lost_lease_is_noticed_by_the_renewal_thread(ddb: Any, table: str, clock: FakeClock) -> None:
    """The background renewal marks the lock lost once its renewal is refused."""
    holder = dynamodb_lock(ddb, table, KEY, "holder", timeout=0, lease_seconds=30, renew_every=0.05, clock=clock)
    holder.acquire(0)
    ddb.update_item(TableName=table, Key={"lock_id": {"S": KEY}}, UpdateExpression="SET holder = :x",
                    ExpressionAttributeValues={":x": {"S": "intruder"}})
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        try:
            holder.check()
        except LockLostError:
            break
        time.sleep(0.02)
    with pytest.raises(LockLostError, match="taken over"):
        holder.check()
    holder.release()
    item = _item(ddb, table, KEY)
    assert item is not None and item["holder"] == {"S": "intruder"}


def test_release_allows_immediate_reacquire(ddb: Any, table: str) -> None:
    """After release another writer acquires at once; release is idempotent."""
    first = dynamodb_lock(ddb, table, KEY, "first", timeout=0)
    second = dynamodb_lock(ddb, table, KEY, "second", timeout=0)
    first.acquire(0)
    first.release()
    first.release()
    second.acquire(0)
    second.check()
    second.release()
    first.acquire(0)
    first.release()


def test_fencing_blocks_writes_after_the_lease_is_lost(make_client: Callable[[str], Any], ddb: Any, table: str,
                                                       clock: FakeClock) -> None:
    """With install_fencing, a mutating ECS call raises LockLostError once the lease is lost; reads still work."""
    ecs = make_client("ecs")
    lock = dynamodb_lock(ddb, table, KEY, "writer", timeout=0, lease_seconds=30, renew_every=3600, clock=clock)
    install_fencing([ecs], lock)
    install_fencing([ecs], lock)  # twice is harmless
    lock.acquire(0)
    ecs.create_cluster(clusterName=f"{table}-before")
    clock.advance(31)
    dynamodb_lock(ddb, table, KEY, "taker", timeout=0, renew_every=3600, clock=clock).acquire(0)
    with pytest.raises(LockLostError):
        ecs.create_cluster(clusterName=f"{table}-after")
    arns = ecs.list_clusters()["clusterArns"]
    assert any(arn.endswith(f"/{table}-before") for arn in arns)
    assert not any(arn.endswith(f"/{table}-after") for arn in arns)
    assert ecs.describe_clusters(clusters=[f"{table}-before"])["clusters"][0]["status"] == "ACTIVE"
    lock.release()


def test_shard_leases_split_and_take_over(ddb: Any, table: str, clock: FakeClock) -> None:
    """Two watchers hold each shard exactly once and share them evenly; when one dies the other takes
    every shard on its next refresh."""
    shards = {"a", "b", "c", "d"}
    one = ShardLeases(ddb, table, "one", shards, lease_seconds=30, clock=clock)
    two = ShardLeases(ddb, table, "two", shards, lease_seconds=30, clock=clock)
    results: dict[str, set[str]] = {}
    threads = [threading.Thread(target=lambda w=w, n=n: results.__setitem__(n, w.refresh()))
               for n, w in (("one", one), ("two", two))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not results["one"] & results["two"]  # never a shard held by both, even while racing
    for _ in range(2):  # a refresh or two to settle on the fair share
        results = {"one": one.refresh(), "two": two.refresh()}
        assert not results["one"] & results["two"]
    assert results["one"] | results["two"] == shards
    assert len(results["one"]) == len(results["two"]) == 2
    for _ in range(3):  # renewals keep each watcher's shards across several lease periods
        clock.advance(20)
        assert one.refresh() == results["one"]
        assert two.refresh() == results["two"]
    for shard in results["one"]:
        one.check(shard)
    for shard in results["two"]:
        with pytest.raises(LockLostError):
            one.check(shard)

    clock.advance(31)  # "one" died: it stopped refreshing and its leases ran out
    assert two.refresh() == shards
    assert two.held() == shards
    for shard in shards:
        two.check(shard)
    with pytest.raises(LockLostError):  # the dead one's fencing check fails: it must not write any more
        one.check(next(iter(results["one"])))
    assert one.refresh() == set()  # back again, it finds everything taken (and is given a share later)


def test_a_newcomer_gets_a_fair_share(ddb: Any, table: str, clock: FakeClock) -> None:
    """A watcher alone holds everything; a second one joins and, after the first's next refresh releases
    the extra shards, gets half of them."""
    shards = {"a", "b", "c", "d", "e"}
    one = ShardLeases(ddb, table, "one", shards, lease_seconds=30, clock=clock)
    assert one.refresh() == shards
    two = ShardLeases(ddb, table, "two", shards, lease_seconds=30, clock=clock)
    assert two.refresh() == set()  # nothing free yet
    kept = one.refresh()
    assert len(kept) == 3  # ceil(5 / 2)
    got = two.refresh()
    assert got == shards - kept
    two.release_all()
    assert one.refresh() == shards  # "two" left: its membership and shards are free again


def test_four_threads_race_for_a_fresh_key(make_client: Callable[[str], Any], table: str) -> None:
    """Four threads racing for a fresh key (and, in round one, a fresh table) have exactly one winner, 50 times."""
    clients = [make_client("dynamodb") for _ in range(4)]
    for round_no in range(50):
        key = f"race-{round_no}"
        barrier = threading.Barrier(4)
        winners: list[str] = []
        refused: list[str] = []
        errors: list[BaseException] = []
        locks = [dynamodb_lock(clients[i], table, key, f"t{i}", timeout=0, renew_every=3600) for i in range(4)]

        def race(i: int, barrier: threading.Barrier = barrier, winners: list[str] = winners,
                 refused: list[str] = refused, errors: list[BaseException] = errors,
                 locks: list[Any] = locks) -> None:
            barrier.wait()
            try:
                locks[i].acquire(0)
                winners.append(f"t{i}")
            except LockHeldError:
                refused.append(f"t{i}")
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=race, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        assert len(winners) == 1, f"round {round_no}: winners {winners}"
        assert len(refused) == 3
        for lock in locks:
            lock.release()


def test_make_client_from_settings(moto_endpoint: str, table: str) -> None:
    """dynamodb_lease.make_client builds a lock client from the same AwsSettings as the ECS/ECR clients."""
    from reconciler.aws.clients import AwsSettings
    from reconciler.aws.dynamodb_lease import make_client

    client = make_client(AwsSettings(region="us-east-1", endpoint_url=moto_endpoint, access_key="testing",
                                     secret_key="testing"))
    with dynamodb_lock(client, table, KEY, "writer", timeout=0, renew_every=3600) as lock:
        lock.check()


def test_shard_leases_are_renewed_during_a_long_pass(ddb: Any, table: str) -> None:
    """A pass longer than the lease (a migration, a drain) keeps its shards: they renew in the background."""
    leases = ShardLeases(ddb, table, "solo", {"a"}, lease_seconds=1.0)
    assert leases.refresh() == {"a"}
    time.sleep(2.5)  # no refresh() meanwhile
    leases.check("a")
    leases.release_all()
