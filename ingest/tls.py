"""The server-side TLS context built from the [tls] settings (HTTPS for the collector)."""

from __future__ import annotations

import ssl

from ingest.settings import ConfigError, Settings, env_name


def server_context(settings: Settings) -> ssl.SSLContext | None:
    """None when TLS is off; otherwise a context refusing anything older than TLS 1.2."""
    tls = settings.tls
    if not tls.cert_file:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(tls.cert_file, tls.key_file)
    except (OSError, ssl.SSLError) as exc:
        # Readability was checked with the settings; this is a file that is not PEM or a key that does not match.
        raise ConfigError(f"invalid setting tls.cert_file / tls.key_file (environment {env_name('tls.cert_file')}, "
                          f"{env_name('tls.key_file')}): cannot load the certificate and key: {exc}") from None
    return context
