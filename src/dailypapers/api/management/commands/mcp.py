"""`dailypapers mcp`: the MCP server for AI assistants (see ``api.mcp_server``)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Serve the read-only MCP tools (search_papers, daily_papers, paper_details, "
        "similar_papers) over stdio, or with --http over streamable HTTP at /mcp."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--http", action="store_true", help="streamable HTTP, not stdio")
        parser.add_argument("--host", default=settings.SERVE_HOST, help="default: $HOST")
        parser.add_argument(
            "--port",
            type=int,
            default=settings.DAILYPAPERS_MCP_PORT or 8001,
            help="default: $DAILYPAPERS_MCP_PORT, else 8001",
        )

    def handle(self, *args, http: bool, host: str, port: int, **options) -> None:
        from dailypapers.api.mcp_server import http_app, server

        if http:
            import uvicorn

            self.stderr.write(f"MCP (streamable HTTP) on http://{host}:{port}/mcp")
            # Without uvicorn's own reading of X-Forwarded-For: the rate limit finds the
            # client as the site does (DAILYPAPERS_TRUSTED_PROXIES), not from a header any
            # local process may send.
            uvicorn.run(http_app(host), host=host, port=port, proxy_headers=False)
        else:
            server.run("stdio")
