"""The tenant lease of an object-store root (entra_kri/lease.py), against moto's S3,
Azurite's Azure Blob Storage and tests/gcs_fake.py's Google Cloud Storage.

docs/object-storage.md, "The tenant lease": created only if absent, taken over
only once expired and then by exactly one run, renewed while held, released on exit.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from entra_kri import lock
from entra_kri.cli import cli
from entra_kri.lease import lease_store
from entra_kri.lock import LOCK_FILE, LockedError, hold, tenant_lock
from entra_kri.snapshot.roots import open_root
from tests.conftest import DEMO_CASSETTE

TENANT = "00000000-0000-0000-0000-0000000000aa"


@pytest.fixture
def tenant(object_root):
    """The tenant directory of TENANT in a fresh bucket (S3, GCS) or container (Azure Blob):
    (storage, path). The store's conditional writes are what these tests exercise."""
    root = open_root(object_root)
    return root.storage, root.path / TENANT


@pytest.fixture
def s3_tenant(s3_root):
    """As `tenant`, on S3 only: for the rules that are the same whatever the store."""
    root = open_root(s3_root)
    return root.storage, root.path / TENANT


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _put_lease(tenant, expires: datetime, **holder) -> None:
    storage, path = tenant
    lease = {"pid": 4242, "host": "elsewhere", "token": "t", "started": "2026-11-30T00:00:00Z",
             "expires": _utc(expires), **holder}
    storage.fs.pipe_file((path / LOCK_FILE).key, json.dumps(lease).encode())


def _lease(tenant) -> dict | None:
    storage, path = tenant
    try:
        return json.loads(storage.fs.cat_file((path / LOCK_FILE).key))
    except FileNotFoundError:
        return None


def test_a_capture_takes_the_lease_with_an_expiry_and_releases_it_on_exit(tenant):
    with tenant_lock(tenant[1], tenant[0]):
        held = _lease(tenant)
        assert held is not None and held["pid"] > 0 and held["lease_seconds"] == 600
        expires = datetime.strptime(held["expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert timedelta(seconds=590) < expires - datetime.now(UTC) <= timedelta(seconds=601)
    assert _lease(tenant) is None


def test_a_lease_not_yet_expired_is_refused_naming_its_holder_and_expiry(tenant):
    expires = datetime.now(UTC) + timedelta(minutes=5)
    _put_lease(tenant, expires)
    with pytest.raises(LockedError) as refused, tenant_lock(tenant[1], tenant[0]):
        pass
    message = refused.value.message
    assert str(tenant[1] / LOCK_FILE) in message
    assert "pid 4242 on elsewhere" in message and _utc(expires) in message
    assert _lease(tenant)["host"] == "elsewhere"


def test_a_live_lease_of_a_gone_process_on_this_host_is_still_refused(s3_tenant):
    """A pid says nothing across containers that share a host name: only expiry counts."""
    import socket

    _put_lease(s3_tenant, datetime.now(UTC) + timedelta(minutes=5), pid=2**22 + 12345,
               host=socket.gethostname())
    with pytest.raises(LockedError), tenant_lock(s3_tenant[1], s3_tenant[0]):
        pass


def test_an_expired_lease_is_taken_over_with_a_warning(tenant, caplog):
    _put_lease(tenant, datetime.now(UTC) - timedelta(seconds=1))
    with tenant_lock(tenant[1], tenant[0]):
        assert _lease(tenant)["host"] != "elsewhere"
    assert "its lease expired at" in caplog.text and "pid 4242 on elsewhere" in caplog.text
    assert _lease(tenant) is None


def test_a_lease_with_an_unreadable_expiry_is_taken_over(tenant):
    storage, path = tenant
    storage.fs.pipe_file((path / LOCK_FILE).key, b'{"pid": 1, "expires": "soon"}')
    with tenant_lock(path, storage):
        assert _lease(tenant)["expires"] != "soon"


def test_a_lease_without_an_expiry_is_taken_over_whatever_pid_it_names(s3_tenant):
    """docs/object-storage.md, "The tenant lease": a lease is judged by its expiry alone,
    never by a pid and host as a local lock file is; one with no `expires` is stale."""
    storage, path = s3_tenant
    storage.fs.pipe_file((path / LOCK_FILE).key, b'{"pid": 4242, "host": "elsewhere"}')
    with tenant_lock(path, storage):
        assert "expires" in _lease(s3_tenant)


@pytest.fixture
def atomic_moto(monkeypatch):
    """moto checks If-Match / If-None-Match, then writes, in two steps; S3 does both at
    once. Serialising moto's writes makes it the store S3 is, so a race test tests us."""
    from moto.s3.responses import S3Response

    one_at_a_time = threading.Lock()
    for name in ("put_object", "delete_object"):
        original = getattr(S3Response, name)

        def serialised(self, *args, _original=original, **kwargs):
            with one_at_a_time:
                return _original(self, *args, **kwargs)

        monkeypatch.setattr(S3Response, name, serialised)


def test_of_several_runs_taking_over_one_expired_lease_exactly_one_wins(tenant, atomic_moto,
                                                                        monkeypatch):
    _put_lease(tenant, datetime.now(UTC) - timedelta(seconds=1))
    runs = 6
    # Each run decides the lease is stale a little later than the one before, so some
    # remove it only after another has taken it over: only If-Match keeps them off it.
    real_stale_because, deciding = lock._stale_because, itertools.count()

    def staggered(*args):
        time.sleep(0.05 * next(deciding))
        return real_stale_because(*args)

    monkeypatch.setattr(lock, "_stale_because", staggered)
    start, all_tried = threading.Barrier(runs), threading.Barrier(runs)
    winners, refused = [], []

    def contend(number: int) -> None:
        start.wait()
        try:
            with hold(lease_store(tenant[0], tenant[1] / LOCK_FILE)):
                winners.append(number)
                all_tried.wait(timeout=30)  # hold until every other run has tried
        except LockedError:
            refused.append(number)
            all_tried.wait(timeout=30)

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(winners) == 1 and len(refused) == runs - 1
    assert _lease(tenant) is None  # the winner released it


def test_a_lease_is_renewed_while_held_so_it_never_expires_under_its_holder(tenant):
    storage, path = tenant
    with hold(lease_store(storage, path / LOCK_FILE, seconds=2)):
        first = _lease(tenant)["expires"]
        time.sleep(2.5)  # longer than the lease: renewed every 2/3 s meanwhile
        assert _lease(tenant)["expires"] > first
        with pytest.raises(LockedError), hold(lease_store(storage, path / LOCK_FILE)):
            pass
    assert _lease(tenant) is None


def test_a_lease_lost_while_held_fails_the_run_and_leaves_the_new_holder_alone(tenant, caplog):
    storage, path = tenant
    with pytest.raises(LockedError) as lost, hold(lease_store(storage, path / LOCK_FILE,
                                                              seconds=1.5)):
        _put_lease(tenant, datetime.now(UTC) + timedelta(minutes=5))  # taken over meanwhile
        time.sleep(1)
    assert "expired while this run held it" in lost.value.message
    assert "no longer ours" in caplog.text
    assert _lease(tenant)["host"] == "elsewhere"


def test_a_lease_found_replaced_at_release_fails_the_run_even_if_no_renewal_noticed(
        s3_tenant, caplog):
    """docs/object-storage.md, "The tenant lease": a holder whose renewals all failed
    learns only on release that another run took the lease over: the run still fails."""
    storage, path = s3_tenant
    lease = lease_store(storage, path / LOCK_FILE)

    def unreachable(seen, holder):
        raise RuntimeError("endpoint unreachable")

    lease.renew = unreachable
    with pytest.raises(LockedError) as lost, hold(lease):
        _put_lease(s3_tenant, datetime.now(UTC) + timedelta(minutes=5))  # taken over meanwhile
    assert "expired while this run held it" in lost.value.message
    assert _lease(s3_tenant)["host"] == "elsewhere"


def test_a_renewal_the_store_does_not_answer_is_retried_at_the_next_third(s3_tenant, caplog):
    storage, path = s3_tenant
    lease = lease_store(storage, path / LOCK_FILE, seconds=1.5)
    real_renew, calls = lease.renew, []

    def flaky_renew(seen, holder):
        calls.append(seen)
        if len(calls) == 1:
            raise RuntimeError("endpoint unreachable")  # not an OSError: botocore's own
        return real_renew(seen, holder)

    lease.renew = flaky_renew
    with hold(lease):
        time.sleep(1.2)
    assert len(calls) >= 2 and "could not be renewed (RuntimeError)" in caplog.text
    assert _lease(s3_tenant) is None  # still ours at the end, so released


def test_a_capture_to_a_store_is_locked_by_its_lease_and_releases_it(object_root):
    result = CliRunner().invoke(cli, ["snapshot", "--replay", str(DEMO_CASSETTE), "--out",
                                      object_root])
    assert result.exit_code == 0, result.output
    snapshot = open_root(result.stdout.strip())
    tenant_dir = snapshot.path.parent
    assert snapshot.storage.entry(snapshot.path / "manifest.json") is not None
    assert snapshot.storage.entry(tenant_dir / LOCK_FILE) is None  # released


def test_a_created_lease_is_known_as_written_without_reading_it_back(tenant):
    """The lease as `create` returns it is the one a read finds: same ETag or generation,
    same holder, so its holder can renew and release it without a read."""
    storage, path = tenant
    lease = lease_store(storage, path / LOCK_FILE)
    created = lease.create({"pid": 1, "host": "here", "token": "t"})
    found = lease.read()
    assert created is not None and found is not None
    assert (created.identity, created.holder) == (found.identity, found.holder)
    assert lease.create({"pid": 2, "host": "here", "token": "u"}) is None  # one exists


def test_a_lease_is_released_even_when_the_store_fails_a_read_right_after_taking_it(
        s3_tenant):
    """A read failing just after the lease was created used to end the run with the lease
    left in place, blocking the tenant for 10 minutes: the holder never reads it back now."""
    storage, path = s3_tenant
    lease = lease_store(storage, path / LOCK_FILE)

    def unreachable():
        raise OSError("endpoint unreachable")

    lease.read = unreachable
    with hold(lease):
        assert _lease(s3_tenant) is not None
    assert _lease(s3_tenant) is None
