"""The local object store on disk, the key validator, and the object-store URL."""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import threading
import time
from pathlib import Path

import pytest

from storage.errors import StorageUnavailable
from storage.objects import LocalObjectStore, S3ObjectStore, open_object_store, parse_object_url, validate_key
from storage.objects import local as local_module
from storage.objects.local import STALE_STAGED_S, TMP_PREFIX
from storage.objects.staged import STAGE_BUFFER
from storage.objects.url import S3Target

GOOD_KEYS = ["a", "dumps/3f2a9c1e-7b1d-4e0a-9d7c-0c1f5e2b8a41/r1.dmp", "x/y.z/_w-v", ".hidden/a", "a..b", "A/B"]
BAD_KEYS = ["", "/a", "a/", "a//b", "..", "a/../b", "../a", "./a", "a/.", "a b", "a\\b", "a:b", "a~b", "é",
            "a\nb", "x" * 513, "a/" + "y" * 201]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    local = LocalObjectStore(tmp_path / "objects")
    local.check()
    return local


# --- keys --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", GOOD_KEYS)
def test_good_keys_pass(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize("key", BAD_KEYS)
def test_bad_keys_are_refused(key: str) -> None:
    with pytest.raises(ValueError):
        validate_key(key)


@pytest.mark.parametrize("prefix", ["", "dumps/", "dumps/ab", "dumps/a.", "a/."])
def test_prefixes_may_be_empty_or_end_anywhere(prefix: str) -> None:
    assert validate_key(prefix, prefix=True) == prefix


@pytest.mark.parametrize("prefix", ["/", "../", "a//", "a/../", "a b"])
def test_bad_prefixes_are_refused(prefix: str) -> None:
    with pytest.raises(ValueError):
        validate_key(prefix, prefix=True)


# --- files on disk -----------------------------------------------------------------------------------------------


def test_check_creates_the_root_owner_only(tmp_path: Path) -> None:
    root = tmp_path / "data" / "objects"
    LocalObjectStore(root).check()
    assert mode(root) == 0o700 and mode(root.parent) == 0o700
    assert list(root.iterdir()) == []  # the probe and its directory are gone


def _xattrs_work(directory: Path) -> bool:
    probe = directory / "xattr-probe"
    probe.write_bytes(b"")
    try:
        os.setxattr(probe, "user.probe", b"1")
        return True
    except (AttributeError, OSError):
        return False
    finally:
        probe.unlink()


def test_objects_are_owner_only_files_with_metadata_in_an_attribute(store: LocalObjectStore) -> None:
    if not _xattrs_work(store.root):
        pytest.skip("this file system keeps no user extended attributes (the sidecar test covers it)")
    store.put("dumps/i1/r1.dmp", b"dump", content_type="application/x-dmp", metadata={"kind": "minidump"})
    directory = store.root / "dumps" / "i1"
    assert [p.name for p in directory.iterdir()] == ["r1.dmp~data"]  # one file: no sidecar
    assert mode(directory / "r1.dmp~data") == 0o600
    assert mode(directory) == mode(directory.parent) == 0o700
    attribute = json.loads(os.getxattr(directory / "r1.dmp~data", local_module.XATTR))
    assert attribute == {"content_type": "application/x-dmp", "metadata": {"kind": "minidump"}}
    found = LocalObjectStore(store.root).stat("dumps/i1/r1.dmp")  # a fresh store reads it back
    assert (found.content_type, found.metadata, found.size) == ("application/x-dmp", {"kind": "minidump"}, 4)


def _without_xattrs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file system that keeps no user attributes (tmpfs before Linux 6.6, some FUSE mounts): every setxattr
    fails with ENOTSUP, as the kernel answers there."""
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOTSUP, "Operation not supported")

    monkeypatch.setattr(local_module.os, "setxattr", refuse)


def test_objects_get_a_sidecar_where_attributes_are_refused(store: LocalObjectStore,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    _without_xattrs(monkeypatch)
    store.put("dumps/i1/r1.dmp", b"dump", content_type="application/x-dmp", metadata={"kind": "minidump"})
    staged = store.stage()
    staged.write(b"x" * (STAGE_BUFFER + 1))  # spilled: committed by rename, not by put
    staged.commit("dumps/i1/r2.dmp", metadata={"kind": "big"})
    directory = store.root / "dumps" / "i1"
    assert sorted(p.name for p in directory.iterdir()) == ["r1.dmp~data", "r1.dmp~meta.json", "r2.dmp~data",
                                                           "r2.dmp~meta.json"]
    assert {mode(p) for p in directory.iterdir()} == {0o600}
    sidecar = json.loads((directory / "r1.dmp~meta.json").read_text())
    assert sidecar == {"content_type": "application/x-dmp", "metadata": {"kind": "minidump"}}
    assert store.stat("dumps/i1/r2.dmp").metadata == {"kind": "big"}


def test_an_object_stored_with_a_sidecar_reads_and_is_replaced_cleanly(store: LocalObjectStore,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Objects written by an earlier version (or on another file system) have sidecars: they still read, and a
    put over one with attributes removes the old sidecar, whose metadata would otherwise win nothing but confuse."""
    if not _xattrs_work(store.root):
        pytest.skip("this file system keeps no user extended attributes: every object has a sidecar")
    with monkeypatch.context() as patched:
        _without_xattrs(patched)
        LocalObjectStore(store.root).put("k", b"old", content_type="text/plain", metadata={"v": "1"})
    assert (store.stat("k").content_type, store.stat("k").metadata) == ("text/plain", {"v": "1"})
    store.put("k", b"new", metadata={"v": "2"})
    assert sorted(p.name for p in store.root.iterdir()) == ["k~data"]
    assert (store.get("k"), store.stat("k").metadata) == (b"new", {"v": "2"})
    store.delete("k")
    assert list(store.root.iterdir()) == []


def test_a_new_directory_has_its_parent_fsyncd_once(store: LocalObjectStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new directory's entry is durable only once its parent is fsync'd (POSIX): every level a put creates has
    its parent synced; a put into an existing directory syncs that directory alone. Then a fresh open reads it."""
    synced: list[Path] = []
    real = local_module._fsync_dir

    def recording(directory: Path) -> None:
        synced.append(directory)
        real(directory)

    monkeypatch.setattr(local_module, "_fsync_dir", recording)
    store.put("dumps/i1/r1.dmp", b"dump")
    root = store.root
    assert sorted(synced) == sorted([root, root / "dumps", root / "dumps" / "i1"])  # parents of 2 new + own dir
    synced.clear()
    store.put("dumps/i1/r2.dmp", b"dump 2")
    assert synced == [root / "dumps" / "i1"]  # nothing created: only the object's own directory
    assert LocalObjectStore(root).get("dumps/i1/r1.dmp") == b"dump"


def test_replacing_leaves_no_temporary_files(store: LocalObjectStore) -> None:
    for n in range(5):
        store.put("k", b"v" * n)
    assert sorted(p.name for p in store.root.iterdir() if not p.name.endswith("~meta.json")) == ["k~data"]
    assert store.get("k") == b"vvvv"


def test_delete_prunes_directories_it_emptied(store: LocalObjectStore) -> None:
    store.put("dumps/i1/att/log.txt", b"x")
    store.put("dumps/i2/r.dmp", b"x")
    assert store.delete_prefix("dumps/i1/") == 1
    assert [p.name for p in (store.root / "dumps").iterdir()] == ["i2"]
    store.delete("dumps/i2/r.dmp")
    assert list(store.root.iterdir()) == [] and store.root.is_dir()


def test_stray_files_are_not_objects(store: LocalObjectStore) -> None:
    (store.root / "~tmp-0123").write_bytes(b"half written")
    (store.root / "orphan~meta.json").write_text("{}")
    (store.root / "README").write_text("not ours")
    assert store.list("") == []


def test_data_without_sidecar_still_reads(store: LocalObjectStore, monkeypatch: pytest.MonkeyPatch) -> None:
    _without_xattrs(monkeypatch)
    store.put("k", b"x", metadata={"kind": "a"})
    (store.root / "k~meta.json").unlink()  # as after a crash between the two renames
    assert store.get("k") == b"x"
    assert store.stat("k").metadata == {}


def test_check_names_the_setting_when_the_root_is_unusable(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("in the way")
    with pytest.raises(StorageUnavailable, match=r"check objects\.url"):
        LocalObjectStore(tmp_path / "file").check()
    with pytest.raises(StorageUnavailable, match=r"check objects\.url.*Not a directory"):
        LocalObjectStore(tmp_path / "file" / "objects").check()


def test_concurrent_puts_and_deletes_in_one_directory(store: LocalObjectStore) -> None:
    """Deletes prune the directory while other threads write into it: a put must not fail on that race."""
    errors: list[BaseException] = []

    def churn(n: int) -> None:
        try:
            for i in range(200):
                store.put(f"d/k{n}-{i}", b"x")
                store.delete(f"d/k{n}-{i}")
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=churn, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and store.list("") == []


# --- URLs --------------------------------------------------------------------------------------------------------


def test_empty_url_is_the_data_dir(tmp_path: Path) -> None:
    store = open_object_store("", tmp_path)
    assert isinstance(store, LocalObjectStore) and store.root == tmp_path / "objects"


def test_file_url(tmp_path: Path) -> None:
    assert parse_object_url("file:///srv/consentry/objects", tmp_path) == Path("/srv/consentry/objects")


def test_s3_url_defaults() -> None:
    target = parse_object_url("s3://AKIA:s%2Fecret@s3.example.com/dumps", Path("."))
    assert target == S3Target(endpoint="https://s3.example.com", access_key="AKIA", secret_key="s/ecret",
                              bucket="dumps", region="us-east-1", sse="s3", create_bucket=False)
    assert "s/ecret" not in repr(target)


def test_s3_url_options() -> None:
    url = "s3://k:s@127.0.0.1:8333/dumps?secure=false&region=eu-west-1&sse=kms:key-1&create_bucket=true"
    store = open_object_store(url, Path("."))
    assert isinstance(store, S3ObjectStore)
    assert (store.endpoint, store.bucket, store.region, store.sse, store.create_bucket) == (
        "http://127.0.0.1:8333", "dumps", "eu-west-1", "kms:key-1", True)
    store.close()


@pytest.mark.parametrize("url", [
    "http://host/bucket", "file://relative/path", "file:///abs?x=1", "s3://host/bucket", "s3://k@host/bucket",
    "s3://k:s3cr3t@host/", "s3://k:s3cr3t@host/b/c", "s3://k:s3cr3t@host/b?color=red", "s3://k:s3cr3t@host/b?secure=maybe",
    "s3://k:s3cr3t@host:99999/b", "s3://k:s3cr3t@host/b?sse=aes", "s3://k:s3cr3t@host/b?sse=kms:",
    "s3://k:s3cr3t@host/Bad_Bucket",
])
def test_bad_urls_are_refused_without_echoing_the_secret(url: str) -> None:
    with pytest.raises(ValueError, match=r"^objects\.url: ") as raised:
        open_object_store(url, Path("."))
    assert "s3cr3t" not in str(raised.value)


# An import statement, not the word: redaction rules list "minio" among service account names.
IMPORTS_MINIO = re.compile(r"^\s*(?:import|from)\s+minio\b", re.MULTILINE)


def test_only_the_s3_module_imports_minio() -> None:
    """ingest/ and the rest of storage/ reach S3 only through storage.objects (DESIGN: errors stop at storage/)."""
    root = Path(__file__).resolve().parents[2]
    importers = [path.relative_to(root).as_posix() for package in ("ingest", "redact", "storage")
                 for path in (root / package).rglob("*.py") if IMPORTS_MINIO.search(path.read_text())]
    assert importers == ["storage/objects/s3.py"]


# --- staged objects ----------------------------------------------------------------------------------------------


def _leftovers(store: LocalObjectStore) -> list[str]:
    return sorted(path.name for path in store.root.iterdir() if path.name.startswith(TMP_PREFIX))


def test_a_spilled_staged_object_is_renamed_into_place(store: LocalObjectStore) -> None:
    """Past the memory buffer the object is a file at the store's root, owner-only, that commit renames."""
    staged = store.stage()
    staged.write(b"MDMP" + b"\0" * STAGE_BUFFER)
    assert staged.spilled
    (spilled,) = _leftovers(store)
    assert mode(store.root / spilled) == 0o600
    staged.write(b"end")
    staged.commit("crashes/2026/01/02/c1/minidump.dmp")
    assert _leftovers(store) == []
    assert store.get("crashes/2026/01/02/c1/minidump.dmp") == b"MDMP" + b"\0" * STAGE_BUFFER + b"end"


def test_a_discarded_spilled_object_leaves_no_file(store: LocalObjectStore) -> None:
    staged = store.stage()
    staged.write(b"x" * (STAGE_BUFFER + 1))
    assert len(_leftovers(store)) == 1
    staged.discard()
    assert _leftovers(store) == [] and store.list("") == []


def test_staged_files_of_a_killed_process_are_removed_at_start_up(store: LocalObjectStore) -> None:
    """A worker killed mid-upload leaves its spilled file; the next start-up removes it once it is stale (a
    fresh one may belong to a sibling worker still reading its upload)."""
    stale, fresh = store.root / f"{TMP_PREFIX}stale", store.root / f"{TMP_PREFIX}fresh"
    stale.write_bytes(b"half a dump")
    fresh.write_bytes(b"an upload in progress")
    old = time.time() - STALE_STAGED_S - 60
    os.utime(stale, (old, old))
    LocalObjectStore(store.root).check()
    assert _leftovers(store) == [fresh.name]
