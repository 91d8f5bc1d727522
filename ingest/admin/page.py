"""GET /admin/: the triage and reports page, static files shipped in the package; it holds no data, so no token.

Every byte comes from this package (no CDN, no fonts, no build step); the data comes from the token-protected
/v1/admin/* JSON API, called by the page with the token the admin typed in.
"""

from __future__ import annotations

from importlib import resources

from aiohttp import web

# A fixed list, not a directory walk: nothing but these names can ever be served from here.
FILES = {
    "index.html": "text/html",
    "style.css": "text/css",
    "app.js": "text/javascript",
    "api.js": "text/javascript",
    "charts.js": "text/javascript",
    "dom.js": "text/javascript",
    "groups.js": "text/javascript",
    "group.js": "text/javascript",
    "dashboard.js": "text/javascript",
    "favicon.svg": "image/svg+xml",
}
# No inline script or style, nothing from elsewhere, never framed (clickjacking the download button), never cached
# (the page changes with the package), never sniffed, and no referrer leaking the page's hash routes.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
                               "object-src 'none'",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
WEB = resources.files("ingest.admin") / "web"


async def _file(request: web.Request) -> web.Response:
    name = request.match_info.get("name") or "index.html"
    if name not in FILES:
        raise web.HTTPNotFound(headers=HEADERS)
    body = WEB.joinpath(name).read_bytes()
    return web.Response(body=body, content_type=FILES[name], charset="utf-8", headers=HEADERS)


async def _slash(request: web.Request) -> web.Response:
    raise web.HTTPPermanentRedirect("/admin/")  # relative module URLs in the page need the trailing slash


def setup_page(app: web.Application) -> None:
    app.router.add_get("/admin", _slash)
    app.router.add_get("/admin/", _file)
    app.router.add_get("/admin/{name}", _file)
