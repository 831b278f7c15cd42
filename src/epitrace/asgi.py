"""ASGI entry point for servers: `uvicorn epitrace.asgi:app`."""

from epitrace.app import create_app

app = create_app()
