"""Objects on any S3 API (AWS, MinIO, SeaweedFS, R2) through minio; the only module that imports minio."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import BinaryIO
from urllib.parse import urlsplit

import certifi
import urllib3
from minio import Minio
from minio.datatypes import Object
from minio.deleteobjects import DeleteObject
from minio.error import MinioException, S3Error
from minio.helpers import DictType, check_bucket_name
from minio.sse import Sse, SseKMS, SseS3

from storage.errors import ObjectNotFound, StorageUnavailable
from storage.objects.base import DEFAULT_SETTING, ObjectInfo, ObjectStat, ObjectStore, validate_key, validate_metadata

# Short and bounded: a dead endpoint must surface as StorageUnavailable in seconds (the caller answers 503 and
# the client retries later), not after minio's default of 5 minutes per attempt times 5 retries.
TIMEOUT = urllib3.Timeout(connect=5, read=30)
RETRIES = urllib3.Retry(total=2, connect=1, read=0, status=2, backoff_factor=0.2,
                        status_forcelist=(500, 502, 503, 504), raise_on_status=False)
META_HEADER = "x-amz-meta-"
SSE_HEADER = "x-amz-server-side-encryption"
# What a server answers in SSE_HEADER when it honoured each kind of request.
SSE_CONFIRMATION = {"s3": "AES256", "kms": "aws:kms"}
_CREDENTIAL_CODES = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"}


class S3ObjectStore(ObjectStore):
    """Objects in one bucket. ``endpoint`` is ``http(s)://host[:port]``; ``sse`` is ``none``, ``s3`` or
    ``kms:<key-id>``. Creates nothing, except the bucket in ``check()`` when ``create_bucket`` is true."""

    def __init__(self, endpoint: str, access_key: str, secret_key: str, bucket: str, *, region: str = "us-east-1",
                 sse: str = "s3", create_bucket: bool = False, setting: str = DEFAULT_SETTING,
                 ca_file: str = "", staging_dir: str | None = None) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
            raise ValueError(f"{setting}: S3 endpoint must look like https://host:port, not {endpoint!r}")
        try:
            check_bucket_name(bucket, strict=True)
        except ValueError:
            raise ValueError(f"{setting}: {bucket!r} is not a valid S3 bucket name (3-63 of a-z 0-9 . -)") from None
        self.endpoint = f"{parts.scheme}://{parts.netloc}"
        self.bucket = bucket
        self.region = region
        self.sse = sse
        self.create_bucket = create_bucket
        self.setting = setting
        self.staging_dir = staging_dir  # stage(): a temporary file here, uploaded from the file on commit
        self._sse = _sse_from(sse, setting)
        self._http = urllib3.PoolManager(timeout=TIMEOUT, retries=RETRIES, maxsize=10, cert_reqs="CERT_REQUIRED",
                                         ca_certs=ca_file or os.environ.get("SSL_CERT_FILE") or certifi.where())
        # region given up front: otherwise minio asks the server for the bucket location before the first call.
        self._client = Minio(parts.netloc, access_key=access_key, secret_key=secret_key,
                             secure=parts.scheme == "https", region=region, http_client=self._http)

    def describe(self) -> str:
        return f"S3 bucket {self.bucket!r} at {self.endpoint}"

    def put(self, key: str, data: bytes | bytearray, *, content_type: str = "application/octet-stream",
            metadata: dict[str, str] | None = None) -> None:
        validate_key(key)
        # Prefixed here, not by minio: it would send a name like "content-type" as the real header.
        metadata = validate_metadata(metadata, content_type)
        headers: DictType = {META_HEADER + name: value for name, value in metadata.items()}
        with self._translated("put", key):
            self._client.put_object(self.bucket, key, io.BytesIO(data), len(data), content_type=content_type,
                                    metadata=headers, sse=self._sse)

    def put_file(self, key: str, file: BinaryIO, size: int, *, content_type: str = "application/octet-stream",
                 metadata: dict[str, str] | None = None) -> None:
        """Uploaded from the file as minio reads it (one PUT, or a multipart upload past 5 MiB parts)."""
        validate_key(key)
        metadata = validate_metadata(metadata, content_type)
        headers: DictType = {META_HEADER + name: value for name, value in metadata.items()}
        with self._translated("put", key):
            self._client.put_object(self.bucket, key, file, size, content_type=content_type, metadata=headers,
                                    sse=self._sse)

    def get(self, key: str) -> bytes:
        validate_key(key)
        with self._translated("get", key):
            response = self._client.get_object(self.bucket, key)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

    def stat(self, key: str) -> ObjectStat:
        validate_key(key)
        with self._translated("stat", key):
            found = self._client.stat_object(self.bucket, key)
        headers = {name.lower(): value for name, value in (found.metadata or {}).items()}
        return ObjectStat(key=key, size=found.size or 0, last_modified=_utc(found.last_modified),
                          content_type=found.content_type or "application/octet-stream",
                          metadata={name.removeprefix(META_HEADER): value for name, value in headers.items()
                                    if name.startswith(META_HEADER)},
                          encryption=headers.get(SSE_HEADER))

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except ObjectNotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        validate_key(key)
        with self._translated("delete", key):
            self._client.remove_object(self.bucket, key)  # S3 answers 204 for a missing key too

    def list(self, prefix: str) -> list[ObjectInfo]:
        validate_key(prefix, prefix=True)
        with self._translated("list", prefix):
            found = [_info(item) for item in self._client.list_objects(self.bucket, prefix=prefix or None,
                                                                       recursive=True) if not item.is_dir]
        return sorted(found, key=lambda info: info.key)

    def _delete_many(self, keys: Sequence[str]) -> None:
        # One DeleteObjects request per 1000 keys instead of a request per key; minio yields only the failures.
        with self._translated(f"delete {len(keys)} objects"):
            failures = list(self._client.remove_objects(self.bucket, (DeleteObject(key) for key in keys)))
        if failures:
            first = failures[0]
            raise StorageUnavailable(f"{len(failures)} of {len(keys)} objects in {self.describe()} were not "
                                     f"deleted; first {first.name!r}: {first.code} {first.message}")

    def _prepare(self) -> None:
        with self._translated("find the bucket"):
            if self._client.bucket_exists(self.bucket):
                return
            if not self.create_bucket:
                raise StorageUnavailable(f"bucket {self.bucket!r} does not exist at {self.endpoint}; create it, "
                                         f"or add create_bucket=true to {self.setting}")
            try:
                self._client.make_bucket(self.bucket, location=self.region)
            except S3Error as exc:
                if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):  # lost a race: fine
                    raise

    def _probe_put(self, key: str, data: bytes) -> None:
        try:
            super()._probe_put(key, data)
        except StorageUnavailable as exc:
            if self._sse is None or not isinstance(exc.__cause__, MinioException):
                raise
            raise StorageUnavailable(f"{exc}; the server refused a write with sse={self.sse}: it may not support "
                                     f"or not be configured for that encryption (sse=none in {self.setting} stores "
                                     f"objects unencrypted)") from exc

    def _verify_probe(self, key: str) -> None:
        """A server that ignores SSE headers stores plaintext and says so only by omitting the answer header."""
        if self._sse is None:
            return
        expected = SSE_CONFIRMATION[self.sse.partition(":")[0]]
        reported = self.stat(key).encryption
        if reported != expected:
            raise StorageUnavailable(f"sse={self.sse} was requested but the server reported {SSE_HEADER}: "
                                     f"{reported or '(none)'}, so it stores objects unencrypted; use a server with "
                                     f"server-side encryption, or set sse=none in {self.setting} deliberately")

    def close(self) -> None:
        self._http.clear()

    @contextmanager
    def _translated(self, action: str, key: str | None = None) -> Iterator[None]:
        """The one boundary where minio and urllib3 errors become storage errors."""
        subject = f"{action} {key!r} in bucket {self.bucket!r}" if key is not None else action
        try:
            yield
        except S3Error as exc:
            if exc.code == "NoSuchKey":
                raise ObjectNotFound(f"{key!r} not found in {self.describe()}") from None
            raise StorageUnavailable(f"{subject}: {self._explain(exc)}") from exc
        except MinioException as exc:  # ServerError (a non-S3 5xx, e.g. from a proxy), InvalidResponseError
            raise StorageUnavailable(f"{subject} at {self.endpoint}: {exc}") from exc
        except urllib3.exceptions.HTTPError as exc:  # refused, timed out, TLS, reset: all wrapped by urllib3
            reason = exc.reason if isinstance(exc, urllib3.exceptions.MaxRetryError) else exc
            raise StorageUnavailable(f"{subject}: cannot reach {self.endpoint}: {reason}") from exc

    def _explain(self, exc: S3Error) -> str:
        if exc.code in _CREDENTIAL_CODES:
            return f"{exc.code}: the server refused the credentials; check the access key and secret in {self.setting}"
        if exc.code == "NoSuchBucket":
            return f"bucket {self.bucket!r} does not exist; check {self.setting}"
        return f"{exc.code}: {exc.message}"


def _sse_from(spec: str, setting: str) -> Sse | None:
    kind, _, key_id = spec.partition(":")
    if spec == "none":
        return None
    if spec == "s3":
        return SseS3()
    if kind == "kms" and key_id:
        return SseKMS(key_id, {})
    raise ValueError(f"{setting}: sse must be none, s3 or kms:<key-id>, not {spec!r}")


def _utc(when: datetime | None) -> datetime:
    return (when or datetime.fromtimestamp(0, UTC)).astimezone(UTC)


def _info(item: Object) -> ObjectInfo:
    return ObjectInfo(key=item.object_name or "", size=item.size or 0, last_modified=_utc(item.last_modified))
