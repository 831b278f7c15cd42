"""ASGI entry point: `epitrace serve` runs it (`epitrace.web.serving`).

Run several workers with `epitrace serve --workers N`, not `uvicorn --workers N`: uvicorn's
own socket for several workers leaves Nagle's algorithm on kept-alive connections (about
40 ms a request).
"""

from epitrace.app import create_app

app = create_app()
