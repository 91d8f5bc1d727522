"""Front doors: one request handler per wire format, each feeding the shared stages."""
