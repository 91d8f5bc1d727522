"""Storage errors: the only exceptions that leave storage/ (driver errors are translated here)."""


class StorageError(Exception):
    """Base class of every storage failure."""


class StorageUnavailable(StorageError):
    """Transient: the store is unreachable or refused the write; retrying later may succeed."""


class QueryError(StorageError):
    """The query itself is wrong (syntax, unknown table, not allowed read-only); retrying will not help."""


class MigrationError(StorageError):
    """The DDL could not be applied, or an applied migration file changed."""


class ObjectNotFound(StorageError):
    """No object under that key (get/stat); permanent for that key, the store itself is fine."""
