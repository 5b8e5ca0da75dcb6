"""The MCP server, driven by the ``mcp`` package's own client: in process on the test
database (every tool, real results, errors), and as `dailypapers mcp` over stdio and over
streamable HTTP on a site of its own."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError

from dailypapers.api.mcp_server import server
from dailypapers.search.query import MAX_QUERY
from tests.api.conftest import MONDAY
from tests.conftest import cli_env, free_port, shared_data

TOOLS = {"search_papers", "daily_papers", "paper_details", "similar_papers"}
CLI = [sys.executable, "-m", "dailypapers.cli"]


def structured(result) -> object:
    """A tool's answer as data (structured content, else its JSON text)."""
    assert not result.is_error, result.content
    if result.structured_content is not None:
        data = result.structured_content
        return data.get("result", data)
    return json.loads(result.content[0].text)


def test_every_tool_answers_from_the_site(site):
    async def session():
        async with Client(server) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            assert set(tools) == TOOLS
            assert all(t.annotations.read_only_hint for t in tools.values())

            found = structured(await client.call_tool("search_papers", {"query": "residual image"}))
            assert found[0]["id"] == "1512.03385"
            assert found[0]["url"].endswith("/papers/1512.03385")
            assert found[0]["ai_summary"].startswith("Residual connections")

            day = structured(await client.call_tool("daily_papers", {"date": MONDAY.isoformat()}))
            assert [p["id"] for p in day] == ["1512.03385", "1706.03762"]
            week = structured(await client.call_tool("daily_papers", {"week": "2025-W37"}))
            assert len(week) == 3

            details = structured(
                await client.call_tool("paper_details", {"paper_id": "1706.03762"})
            )
            assert details["votes"]["total"] == 5 and details["authors"][0] == "Ashish Vaswani"
            assert details["hugging_face"]["ai_keywords"] == []

            near = structured(
                await client.call_tool("similar_papers", {"paper_id": "1512.03385", "limit": 2})
            )
            assert len(near) == 2 and "1512.03385" not in {p["id"] for p in near}

            missing = await client.call_tool("paper_details", {"paper_id": "2501.99999"})
            assert missing.is_error and "not in this corpus" in missing.content[0].text
            bad = await client.call_tool("daily_papers", {"date": "yesterday"})
            assert bad.is_error and "YYYY-MM-DD" in bad.content[0].text

    anyio.run(session)


def test_a_search_over_its_length_is_a_tool_error(site):
    async def session():
        async with Client(server) as client:
            longest = {"query": "residual " + "x" * (MAX_QUERY - 9)}
            found = structured(await client.call_tool("search_papers", longest))
            assert found[0]["id"] == "1512.03385"
            over = await client.call_tool("search_papers", {"query": "x" * (MAX_QUERY + 1)})
            assert over.is_error
            assert f"at most {MAX_QUERY} characters" in over.content[0].text

    anyio.run(session)


@pytest.fixture
def served_home(tmp_path: Path) -> dict[str, str]:
    """A data folder with a database of one real Hugging Face day, for `dailypapers mcp`."""
    env = cli_env(DAILYPAPERS_HOME=str(tmp_path / "home"), DAILYPAPERS_SEMANTIC_SEARCH="0")
    day = shared_data("hf-daily-papers", "examples", "daily_papers_2026-08-20.json")
    for command in (["migrate"], ["import", "hf-daily", str(day)]):
        subprocess.run(
            [sys.executable, "-m", "dailypapers.cli", *command],
            env=env,
            check=True,
            capture_output=True,
        )
    return env


def test_stdio_and_streamable_http(served_home):
    stdio = StdioServerParameters(
        command=sys.executable, args=["-m", "dailypapers.cli", "mcp"], env=served_home
    )
    port = free_port()
    http = subprocess.Popen(
        [sys.executable, "-m", "dailypapers.cli", "mcp", "--http", "--port", str(port)],
        env=served_home,
        stderr=subprocess.PIPE,
    )

    async def ask(target) -> list:
        async with Client(target) as client:
            assert {t.name for t in (await client.list_tools()).tools} == TOOLS
            day = await client.call_tool("daily_papers", {"date": "2026-08-20", "limit": 3})
            return structured(day)

    try:
        over_stdio = anyio.run(ask, stdio)
        assert len(over_stdio) == 3 and over_stdio[0]["votes"] >= over_stdio[1]["votes"]
        _wait_for(port)
        assert anyio.run(ask, f"http://127.0.0.1:{port}/mcp") == over_stdio
    finally:
        http.terminate()
        http.wait(timeout=10)


def _wait_for(port: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port}")


def test_mcp_over_http_is_rate_limited_per_client(tmp_path: Path):
    env = cli_env(DAILYPAPERS_HOME=str(tmp_path / "home"), DAILYPAPERS_API_RATE="8/d")
    subprocess.run([*CLI, "migrate"], env=env, check=True, capture_output=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    http = subprocess.Popen([*CLI, "mcp", "--http", "--port", str(port)], env=env)

    async def calls() -> tuple[int, str]:
        """How many calls one session got answered before its refusal, and the refusal."""
        answered = 0
        async with Client(url) as client:
            for _ in range(8):  # each request counts, the session's own ones too
                try:
                    await client.call_tool("daily_papers", {})
                except MCPError as exc:
                    return answered, str(exc)
                answered += 1
        return answered, ""

    try:
        _wait_for(port)
        answered, refusal = anyio.run(calls)
        assert 0 < answered < 8 and "Too many requests" in refusal
        again = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        assert again.status_code == 429 and int(again.headers["Retry-After"]) >= 1
    finally:
        http.terminate()
        http.wait(timeout=10)
