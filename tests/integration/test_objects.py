"""The object-store contract against the local directory store and a real SeaweedFS; then S3 faults and SSE."""

from __future__ import annotations

import hashlib
import os
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from s3server import S3Server, admin_client

from storage.errors import ObjectNotFound, StorageUnavailable
from storage.objects import ObjectStore, S3ObjectStore, StagedObject, open_object_store
from storage.objects.staged import STAGE_BUFFER

BAD_KEYS = ["", "/abs/key", "a/../b", "..", "a/./b", "a//b", "a/", "taxes 2025.pdf", "C:\\Users\\bob", "naïve",
            "a\x00b", "~backup", "%2e%2e/x", "a?b", "x" * 513]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def s3_store(server: S3Server, bucket: str, **options: str) -> S3ObjectStore:
    store = open_object_store(server.url(bucket, **options), Path("/nonexistent"))
    assert isinstance(store, S3ObjectStore)
    return store


# --- the contract, on both stores --------------------------------------------------------------------------------


SPILLED = os.urandom(STAGE_BUFFER) * 2 + b"tail"  # past the memory buffer: written to a file as it arrives


def _staged(store: ObjectStore, data: bytes, piece: int = 64 << 10) -> StagedObject:
    staged = store.stage()
    for start in range(0, len(data), piece):
        staged.write(memoryview(data)[start:start + piece])
    return staged


@pytest.mark.parametrize("data", [b"MDMP small dump", SPILLED], ids=["in-memory", "spilled"])
def test_a_staged_object_is_committed_whole(object_store: ObjectStore, data: bytes) -> None:
    staged = _staged(object_store, data)
    assert staged.spilled == (len(data) > STAGE_BUFFER)
    assert (staged.size, staged.sha256(), staged.head) == (len(data), hashlib.sha256(data).hexdigest(), data[:8])
    with staged.mapped() as view:
        assert view[:16] == data[:16] and view[-4:] == data[-4:] and len(view) == len(data)
    assert b"".join(staged.chunks()) == data
    staged.commit("crashes/c1/minidump.dmp", metadata={"sha256": staged.sha256()})
    staged.discard()  # after a commit: nothing
    assert object_store.get("crashes/c1/minidump.dmp") == data
    assert object_store.stat("crashes/c1/minidump.dmp").metadata == {"sha256": hashlib.sha256(data).hexdigest()}


@pytest.mark.parametrize("data", [b"MDMP small dump", SPILLED], ids=["in-memory", "spilled"])
def test_a_discarded_staged_object_leaves_nothing(object_store: ObjectStore, data: bytes) -> None:
    staged = _staged(object_store, data)
    staged.discard()
    staged.discard()
    assert object_store.list("") == []
    with pytest.raises(ValueError):
        staged.commit("crashes/c1/minidump.dmp")


def test_check_leaves_no_probe_behind(object_store: ObjectStore) -> None:
    object_store.check()
    assert object_store.list("") == []


@pytest.mark.parametrize("data", [b"", b"\x00\x01minidump\xff" * 100], ids=["empty", "binary"])
def test_put_then_get_returns_the_bytes(object_store: ObjectStore, data: bytes) -> None:
    object_store.put("dumps/i1/r1.dmp", data)
    assert object_store.get("dumps/i1/r1.dmp") == data


def test_put_replaces_the_object_whole(object_store: ObjectStore) -> None:
    object_store.put("k", b"first version, longer")
    object_store.put("k", b"second", content_type="text/plain")
    assert object_store.get("k") == b"second"
    assert object_store.stat("k").content_type == "text/plain"


def test_stat_reports_size_content_type_and_metadata(object_store: ObjectStore) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    object_store.put("dumps/i1/r1.dmp", b"12345", content_type="application/x-dmp",
                     metadata={"install-id": "i1", "kind": "minidump"})
    stat = object_store.stat("dumps/i1/r1.dmp")
    assert (stat.key, stat.size, stat.content_type) == ("dumps/i1/r1.dmp", 5, "application/x-dmp")
    assert stat.metadata == {"install-id": "i1", "kind": "minidump"}
    assert before <= stat.last_modified <= datetime.now(UTC) + timedelta(seconds=5)


def test_missing_object_is_object_not_found(object_store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFound):
        object_store.get("dumps/nobody/r.dmp")
    with pytest.raises(ObjectNotFound):
        object_store.stat("dumps/nobody/r.dmp")
    assert not object_store.exists("dumps/nobody/r.dmp")


def test_exists_and_delete_is_idempotent(object_store: ObjectStore) -> None:
    object_store.put("a/b", b"x")
    assert object_store.exists("a/b")
    object_store.delete("a/b")
    object_store.delete("a/b")
    object_store.delete("never/written")
    assert not object_store.exists("a/b")


def test_an_object_and_a_prefix_may_share_a_name(object_store: ObjectStore) -> None:
    object_store.put("a", b"object a")
    object_store.put("a/b", b"object a/b")
    assert (object_store.get("a"), object_store.get("a/b")) == (b"object a", b"object a/b")


def test_list_is_a_string_prefix_sorted_with_sizes(object_store: ObjectStore) -> None:
    for key, size in [("dumps/ab/3.dmp", 3), ("dumps/a/2.dmp", 2), ("dumps/a/1.dmp", 1), ("other/x", 4)]:
        object_store.put(key, b"x" * size)
    assert [(i.key, i.size) for i in object_store.list("dumps/a/")] == [("dumps/a/1.dmp", 1), ("dumps/a/2.dmp", 2)]
    assert [i.key for i in object_store.list("dumps/a")] == ["dumps/a/1.dmp", "dumps/a/2.dmp", "dumps/ab/3.dmp"]
    assert len(object_store.list("")) == 4
    assert object_store.list("nothing/") == []
    assert all(i.last_modified.utcoffset() == timedelta(0) for i in object_store.list(""))


def test_delete_prefix_deletes_exactly_that_prefix(object_store: ObjectStore) -> None:
    for key in ["dumps/i1/r1.dmp", "dumps/i1/r2.dmp", "dumps/i1/att/log.txt", "dumps/i10/r1.dmp"]:
        object_store.put(key, b"x")
    assert object_store.delete_prefix("dumps/i1/") == 3
    assert [i.key for i in object_store.list("")] == ["dumps/i10/r1.dmp"]
    assert object_store.delete_prefix("dumps/i1/") == 0


def test_delete_prefix_refuses_the_empty_prefix(object_store: ObjectStore) -> None:
    object_store.put("keep", b"x")
    with pytest.raises(ValueError, match="empty prefix"):
        object_store.delete_prefix("")
    assert object_store.exists("keep")


@pytest.mark.parametrize("key", BAD_KEYS)
def test_invalid_keys_are_refused_by_every_operation(object_store: ObjectStore, key: str) -> None:
    for call in (lambda: object_store.put(key, b"x"), lambda: object_store.get(key),
                 lambda: object_store.delete(key), lambda: object_store.exists(key)):
        with pytest.raises(ValueError):
            call()
    assert object_store.list("") == []


@pytest.mark.parametrize("metadata", [{"Kind": "x"}, {"kind": "naïve"}, {"kind": "a\r\nb"}, {"k": "x" * 3000}])
def test_invalid_metadata_is_refused(object_store: ObjectStore, metadata: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        object_store.put("k", b"x", metadata=metadata)
    assert not object_store.exists("k")


def test_a_large_object_round_trips(object_store: ObjectStore) -> None:
    data = os.urandom(12 * 1024 * 1024)  # over minio's 5 MiB part size: S3 uses a multipart upload
    object_store.put("dumps/big.dmp", data)
    assert object_store.get("dumps/big.dmp") == data
    assert object_store.stat("dumps/big.dmp").size == len(data)


# --- S3 faults ---------------------------------------------------------------------------------------------------


def test_closed_port_is_storage_unavailable_within_seconds() -> None:
    port = closed_port()
    store = S3ObjectStore(f"http://127.0.0.1:{port}", "key", "secret-never-shown", "bucket")
    started = time.monotonic()
    with pytest.raises(StorageUnavailable) as raised:
        store.check()
    assert time.monotonic() - started < 10  # a bound against hanging, not a benchmark: it takes well under 1 s
    assert f"127.0.0.1:{port}" in str(raised.value) and "objects.url" in str(raised.value)
    assert "secret-never-shown" not in str(raised.value)
    with pytest.raises(StorageUnavailable):
        store.get("k")
    store.close()


def test_missing_bucket_fails_check_unless_create_bucket(s3_server: S3Server) -> None:
    bucket = f"t-missing-{os.urandom(4).hex()}"
    with s3_store(s3_server, bucket) as store, pytest.raises(StorageUnavailable, match="create_bucket=true"):
        store.check()
    with s3_store(s3_server, bucket, create_bucket="true") as store:
        store.check()
        store.put("k", b"x")
    with admin_client(s3_server) as client:
        assert client.bucket_exists(bucket)
        client.remove_bucket(bucket)


def test_missing_bucket_on_write_is_storage_unavailable(s3_server: S3Server) -> None:
    with s3_store(s3_server, "t-never-created") as store, pytest.raises(StorageUnavailable, match="does not exist"):
        store.put("k", b"x")


def test_wrong_secret_is_a_clear_check_failure(s3_server: S3Server, s3_bucket: str) -> None:
    url = s3_server.url(s3_bucket).replace(s3_server.secret_key, "wrong-secret")
    with open_object_store(url, Path("/nonexistent")) as store, pytest.raises(StorageUnavailable) as raised:
        store.check()
    assert "access key and secret" in str(raised.value) and "wrong-secret" not in str(raised.value)


# --- server-side encryption --------------------------------------------------------------------------------------


def test_sse_s3_is_confirmed_by_seaweedfs(s3_server: S3Server, s3_bucket: str) -> None:
    with s3_store(s3_server, s3_bucket, sse="s3") as store:
        store.check()  # includes the verification that the server answered x-amz-server-side-encryption
        store.put("dumps/r.dmp", b"secret dump", metadata={"kind": "minidump"})
        assert store.stat("dumps/r.dmp").encryption == "AES256"
        assert store.get("dumps/r.dmp") == b"secret dump"
    with s3_store(s3_server, s3_bucket, sse="none") as store:
        store.put("plain", b"x")
        assert store.stat("plain").encryption is None


def test_sse_s3_keeps_plaintext_off_the_servers_disk(s3_server: S3Server, s3_bucket: str) -> None:
    # Random bytes around a marker: SeaweedFS compresses compressible data, which would hide the marker anyway.
    plain, secret = b"PLAIN-MARKER-" + os.urandom(8).hex().encode(), b"SSE-MARKER-" + os.urandom(8).hex().encode()
    with s3_store(s3_server, s3_bucket, sse="none") as store:
        store.put("plain.bin", os.urandom(4096) + plain + os.urandom(4096))
    with s3_store(s3_server, s3_bucket, sse="s3") as store:
        store.put("sse.bin", os.urandom(4096) + secret + os.urandom(4096))
        assert secret in store.get("sse.bin")
    on_disk = b"".join(path.read_bytes() for path in s3_server.data_dir.rglob("*") if path.is_file())
    assert plain in on_disk  # the control: unencrypted objects are findable this way
    assert secret not in on_disk


def test_sse_kms_without_a_configured_kms_fails_check_clearly(s3_server: S3Server, s3_bucket: str) -> None:
    with s3_store(s3_server, s3_bucket, sse="kms:consentry-dumps") as store:
        with pytest.raises(StorageUnavailable, match="refused a write with sse=kms:consentry-dumps"):
            store.check()
        assert store.list("") == []
