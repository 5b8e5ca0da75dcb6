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
        from dailypapers.api.mcp_server import server

        if http:
            self.stderr.write(f"MCP (streamable HTTP) on http://{host}:{port}/mcp")
            server.run("streamable-http", host=host, port=port)
        else:
            server.run("stdio")
