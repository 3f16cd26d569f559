"""The API explorer (Swagger UI) at ``/api/docs``, served from the installed assets.

FastAPI's own page loads Swagger UI from a CDN with an inline script: a clinic may have no
internet, and a page whose scripts come from elsewhere cannot keep the app's content security
policy (issue 15). Here the bundle comes from ``node_modules/swagger-ui-dist`` (mounted at
``/vendor/swagger-ui``) and the start-up script from our static files.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hamkor API</title>
<link rel="stylesheet" href="/vendor/swagger-ui/swagger-ui.css">
<link rel="icon" href="/vendor/swagger-ui/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="/api/v1/openapi.json"></div>
<script src="/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs() -> HTMLResponse:
    """The explorer of ``/api/v1``; a token made on the tokens page authorises its calls."""
    return HTMLResponse(_PAGE)
