"""Object storage (crash dumps, attachments): a local directory by default, any S3 API by URL."""

from storage.errors import ObjectNotFound, StorageError, StorageUnavailable
from storage.objects.base import ObjectInfo, ObjectStat, ObjectStore, validate_key, validate_metadata
from storage.objects.local import LocalObjectStore
from storage.objects.s3 import S3ObjectStore
from storage.objects.staged import StagedObject
from storage.objects.url import S3Target, open_object_store, parse_object_url

__all__ = [
    "LocalObjectStore",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectStat",
    "ObjectStore",
    "S3ObjectStore",
    "S3Target",
    "StagedObject",
    "StorageError",
    "StorageUnavailable",
    "open_object_store",
    "parse_object_url",
    "validate_key",
    "validate_metadata",
]
