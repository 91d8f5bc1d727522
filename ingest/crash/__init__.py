"""Pure readers of crash artefacts: the multipart form, minidumps, the fingerprint, the wire types."""
