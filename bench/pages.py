"""Pages under load: wrk against `dailypapers up` (2 web processes, 4 threads each) serving the
whole shared corpus (~247k papers: the arXiv dumps and the Hugging Face days, featured as they
were), for a static file and then each page, anonymous and signed in, on SQLite or PostgreSQL.

Usage: python bench/pages.py [--home DIR] [--postgres] [--duration S] [--connections N]
                             [--threads N] [--without-limits]

--home keeps the corpus between runs (default: var/bench-pages). The first run imports the
dumps and builds the keyword index (about a minute). --postgres copies that corpus into an
embedded PostgreSQL + pgvector (scripts/embedded_pg.py) and builds its keyword index there
(about 6 minutes), each run afresh.
Each URL gets a warm-up (wrk for 2 s), then `wrk -t2 -c32 -d10s` (by default). The static file
(`/static/css/site.css`, WhiteNoise) is the machine's reference, run before and after each
page: `ratio` is a page's requests/s over the mean of those two (`static_rps`: the mean of
all), so that other work on the machine, which comes and goes, cancels out. Pages: a day
(/papers/date/2025-09-08), an ISO week, a month (the first of its pages of 50), a paper page;
anonymous, then as a member (the Cookie of a session made by logging in through the site).
Rate limits stay on, as in production, at DAILYPAPERS_PAGE_RATE=1000000000/m so that the one
client is not refused; keyword search (its limit, 60 a minute per client, is fixed) runs on a
second server with rate limits off, between static runs of its own (--without-limits: the
pages too, to tell what the limits cost, `day_no_limits` and so on). Semantic search is off:
the corpus is not embedded. `web_rss_mb`: each web process's resident memory after the pages.
`cpu_ratio`: the static file's CPU time per request (web processes and wrk) over the page's,
the throughput ratio of an otherwise idle machine.
Needs wrk (Debian: `apt-get install wrk`).
Last line: {"database": ..., "static_rps": ..., "day": {"rps": ..., "ratio": ..., "p50_ms": ...,
    "p99_ms": ..., "cpu_ms": ..., "cpu_ratio": ...}, "day_member": {...}, ..., "search": {...},
    "web_rss_mb": [...]}
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import unquote, urlencode, urlsplit

import search_latency
from open_data import _copy_featured
from scifact import DATA
from search_latency import CLI, log
from serve import serving

REPO = Path(__file__).resolve().parents[1]
PAGES = {
    "day": "/papers/date/2025-09-08",
    "week": "/papers/week/2025-W37",
    "month": "/papers/month/2025-09",
    "paper": "/papers/2509.04664",
}
SEARCH = "/search?" + urlencode({"q": "graph neural networks"})
STATIC = "/static/css/site.css"
MEMBER = {"email": "bench-member@example.org", "username": "bench", "password": "bench-pages-1"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, default=REPO / "var" / "bench-pages")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--duration", type=int, default=10, help="seconds per URL")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--without-limits", action="store_true", help="also the pages with rate limits off"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/pages.py needs wrk: apt-get install wrk (Debian), brew install wrk")
    home = args.home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DAILYPAPERS_HOME=str(home),
        DAILYPAPERS_PAGE_RATE="1000000000/m",
        DAILYPAPERS_SEMANTIC_SEARCH="0",
        WEB_CONCURRENCY="2",
    )
    prepare(env)
    load = ["wrk", f"-t{args.threads}", f"-c{args.connections}"]
    wrk = [*load, f"-d{args.duration}s", "--latency"]
    with contextlib.ExitStack() as stack:
        if args.postgres:
            from embedded_pg import postgres_url

            env["DATABASE_URL"] = stack.enter_context(postgres_url())
            search_latency.copy_to_postgres(env, home / "dailypapers.sqlite3")
            _copy_featured(env, home / "dailypapers.sqlite3")
        make_member(env)
        figures: dict[str, object] = {"database": "postgresql" if args.postgres else "sqlite"}
        with serving(env) as (port, server):
            cookie = log_in(port)
            runs = [(name, path, None) for name, path in PAGES.items()]
            runs += [(f"{name}_member", path, cookie) for name, path in PAGES.items()]
            pages, statics = run_all(port, server, env, load, wrk, runs)
            figures["web_rss_mb"] = rss_mb(web_processes(server.pid))
        # Search's own limit (60 a minute per client) is fixed: it runs with limits off, and
        # so do the pages again with --without-limits, to tell what the limits cost.
        off = [("search", SEARCH, None), ("search_member", SEARCH, cookie)]
        if args.without_limits:
            off += [(f"{name}_no_limits", path, session) for name, path, session in runs]
        with serving({**env, "DAILYPAPERS_RATELIMIT": "0"}) as (port, server):
            found, statics_off = run_all(port, server, env, load, wrk, off)
    figures["static_rps"] = round(sum(s["rps"] for s in statics) / len(statics))
    figures |= pages | found
    table = [("static file (mean)", _mean(statics)), *pages.items()]
    table += [*found.items(), ("static file (limits off)", _mean(statics_off))]
    print_table(table, figures)
    print(json.dumps(figures))


def prepare(env: dict[str, str]) -> None:
    """The arXiv dumps and the Hugging Face days, featured, with the keyword index; once."""
    home = Path(env["DAILYPAPERS_HOME"])
    marker = home / "bench-ready"
    subprocess.run([*CLI, "migrate", "-v0"], env=env, check=True)
    if marker.exists():
        return
    db = sqlite3.connect(home / "dailypapers.sqlite3")
    if db.execute("SELECT count(*) FROM papers_paper").fetchone()[0] < 200_000:
        log("importing the arXiv dumps and the Hugging Face days...")
        arxiv = sorted(DATA.glob("arxiv-*/*.jsonl.gz"))
        hf = sorted(DATA.glob("hf-daily-papers/*.jsonl.gz"))
        if not arxiv or not hf:
            sys.exit(f"no arXiv dumps or Hugging Face days under {DATA}")
        subprocess.run([*CLI, "import", "arxiv", *map(str, arxiv)], env=env, check=True)
        subprocess.run([*CLI, "import", "hf-daily", *map(str, hf)], env=env, check=True)
    log("building the keyword index...")
    subprocess.run([*CLI, "reindex"], env=env, check=True)
    marker.touch()


def make_member(env: dict[str, str]) -> None:
    """A member with a verified address, as after sign-up and the link in the mail."""
    code = (
        "from django.contrib.auth.models import User\n"
        "from dailypapers.community.models import Member\n"
        f"user, _ = User.objects.get_or_create(username={MEMBER['username']!r}, "
        f"defaults={{'email': {MEMBER['email']!r}}})\n"
        f"user.set_password({MEMBER['password']!r}); user.save()\n"
        "Member.objects.update_or_create(user=user, defaults={'email_verified': True})\n"
    )
    subprocess.run([*CLI, "shell", "-c", code], env=env, check=True, stdout=subprocess.DEVNULL)


def log_in(port: int) -> str:
    """Log the member in through the log-in form; the Cookie header of their session."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/accounts/login")
    response = conn.getresponse()
    form = response.read().decode()
    cookies = SimpleCookie(response.getheader("Set-Cookie", ""))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    if token is None or "csrftoken" not in cookies:
        sys.exit("the log-in page has no CSRF token")
    body = urlencode(
        {
            "username": MEMBER["email"],
            "password": MEMBER["password"],
            "csrfmiddlewaretoken": token[1],
        }
    )
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={cookies['csrftoken'].value}",
    }
    conn.request("POST", "/accounts/login", body, headers)
    response = conn.getresponse()
    response.read()
    for header in response.msg.get_all("Set-Cookie") or []:
        cookies.load(header)
    if response.status != 302 or "sessionid" not in cookies:
        sys.exit(f"log-in failed: HTTP {response.status}")
    return "; ".join(f"{name}={cookies[name].value}" for name in ("sessionid", "csrftoken"))


def check(port: int, path: str, cookie: str | None) -> None:
    """Fail early on a page that does not answer 200, or a member's page that does not
    show the member (an expired session)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    body = response.read().decode()
    if response.status != 200:
        sys.exit(f"HTTP {response.status} for {path}")
    if cookie and f">{MEMBER['username']}</a>" not in body:
        sys.exit(f"{path} does not show the signed-in member")


def warm(load: list[str], url: str, cookie: str | None) -> None:
    """Two seconds of load, so that every web process has its caches filled."""
    subprocess.run([*load, "-d2s", *_cookie(cookie), url], capture_output=True, check=True)


def measure(
    wrk: list[str], url: str, busy: Callable[[], list[int]], cookie: str | None = None
) -> dict[str, float]:
    """One wrk run: requests/s, p50 and p99 in ms, answers other than 2xx/3xx, and the CPU
    time of a request (``cpu_ms``) in the processes that serve it (``busy()``: the web
    processes, and PostgreSQL's) and in wrk."""
    run = [*wrk, *_cookie(cookie), url]
    before = _cpu_seconds(busy())
    out = subprocess.run(run, capture_output=True, text=True, check=True).stdout
    after = _cpu_seconds(busy())
    spent = sum(t - before.get(pid, 0.0) for pid, t in after.items())
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"\s50%\s+([\d.]+)(us|ms|s|m)\b", out)
    p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s|m)\b", out)
    done = re.search(r"(\d+) requests in", out)
    if not (rps and p50 and p99 and done):
        sys.exit(f"could not read wrk's output:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": round(float(rps[1])),
        "p50_ms": _ms(p50),
        "p99_ms": _ms(p99),
        "cpu_ms": round(spent * 1000 / int(done[1]), 3),
        "errors": int(errors[1]) if errors else 0,
    }


def _cpu_seconds(pids: list[int]) -> dict[int, float]:
    """CPU time so far of each process, and (as 0) of this one's finished children: wrk."""
    tick = os.sysconf("SC_CLK_TCK")
    spent = {}
    for pid in pids:
        with contextlib.suppress(FileNotFoundError):  # a database backend that ended
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            spent[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    spent[0] = children.ru_utime + children.ru_stime
    return spent


def serving_processes(master: int, database_url: str | None) -> list[int]:
    """The web processes, and on PostgreSQL its server and backends, found by the socket
    folder in the URL (other PostgreSQL servers may run on the machine)."""
    pids = web_processes(master)
    if database_url:
        folder = unquote(urlsplit(database_url).netloc.rpartition("@")[2])
        for proc in Path("/proc").glob("[0-9]*"):
            with contextlib.suppress(OSError):
                if folder in (proc / "cmdline").read_bytes().decode(errors="replace"):
                    pids += [int(proc.name), *_children(int(proc.name))]
    return pids


def _cookie(cookie: str | None) -> list[str]:
    return ["-H", f"Cookie: {cookie}"] if cookie else []


def _ms(match: re.Match[str]) -> float:
    scale = {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[match[2]]
    return round(float(match[1]) * scale, 1)


def run_all(
    port: int,
    server: subprocess.Popen,
    env: dict[str, str],
    load: list[str],
    wrk: list[str],
    runs: list[tuple[str, str, str | None]],
) -> tuple[dict[str, dict[str, float]], list[dict[str, float]]]:
    """Each page between two runs of the static file, after a check and a warm-up: its
    ``ratio`` is to their mean requests/s, so that the machine's other work, which comes and
    goes, mostly cancels out; ``cpu_ratio`` is the static file's CPU time per request over
    the page's, which that work does not touch. The pages' figures, and every static run."""
    base = f"http://127.0.0.1:{port}"
    for _, path, session in runs:
        check(port, path, session)
        warm(load, base + path, session)
    busy = partial(serving_processes, server.pid, env.get("DATABASE_URL"))
    statics = [measure(wrk, base + STATIC, busy)]
    pages = {}
    for name, path, session in runs:
        result = measure(wrk, base + path, busy, session)
        statics.append(measure(wrk, base + STATIC, busy))
        rps, cpu = (sum(s[k] for s in statics[-2:]) / 2 for k in ("rps", "cpu_ms"))
        pages[name] = {
            **result,
            "ratio": round(result["rps"] / rps, 2),
            "cpu_ratio": round(cpu / result["cpu_ms"], 2),
        }
    return pages, statics


def _mean(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: round(sum(r[k] for r in runs) / len(runs), 3) for k in runs[0]}


def web_processes(master: int) -> list[int]:
    """The gunicorn workers: the children of the `up` process."""
    return _children(master)


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def rss_mb(workers: list[int]) -> list[float]:
    """Resident memory of each web process."""
    sizes = []
    for pid in workers:
        status = Path(f"/proc/{pid}/status").read_text()
        kib = re.search(r"VmRSS:\s+(\d+) kB", status)
        if kib:
            sizes.append(round(int(kib[1]) / 1024, 1))
    return sizes


def print_table(rows: list[tuple[str, dict[str, float]]], figures: dict[str, object]) -> None:
    print(
        f"{figures['database']}: wrk requests/s and CPU per request, as ratios to the static file's"
    )
    heads = ("req/s", "ratio", "cpu ms", "cpu ratio", "p50 ms", "p99 ms", "non-2xx")
    print(f"{'':26}" + "".join(f"{h:>10}" for h in heads))
    for name, r in rows:
        cells = (r["rps"], r.get("ratio", 1), r["cpu_ms"], r.get("cpu_ratio", 1))
        cells += (r["p50_ms"], r["p99_ms"], r["errors"])
        print(f"{name:26}" + "".join(f"{c:>10}" for c in cells))
    print("search and *_no_limits: on a server with the rate limits off")
    print(f"web processes' memory (RSS): {figures['web_rss_mb']} MB")


if __name__ == "__main__":
    main()
