"""Write tests/fixtures/hf-daily/ from the shared archive of Hugging Face's daily lists
(../shared/data/hf-daily-papers): the recorded items of a few days, with what Hugging Face
wrote itself replaced by synthesized values, so that only CC0 data is committed (see
tests/fixtures/hf-daily/SOURCE.md).

    python scripts/hf_daily_fixtures.py [YYYY-MM-DD ...]
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.conftest import SHARED_DATA  # noqa: E402

DAYS = ["2025-09-02", "2025-09-03", "2025-09-04"]
OUT = REPO / "tests" / "fixtures" / "hf-daily"
MEMBERS = ["ada-l", "alan-t", "grace-h", "edsger-d", "barbara-l"]  # synthesized submitters
STOP = {"a", "an", "and", "are", "as", "at", "by", "for", "from", "in", "into", "is", "of", "on"}
STOP |= {"can", "how", "more", "or", "the", "to", "via", "with", "without", "towards", "toward"}
STOP |= {"through", "your"}


def synthesize(item: dict, n: int) -> dict:
    """The item as recorded, except Hugging Face's own text and the removed submitter."""
    paper = item["paper"]
    title = " ".join(paper["title"].split())
    if "ai_summary" in paper:
        paper["ai_summary"] = f"Synthesized summary of {title}"
    if "ai_keywords" in paper:
        words = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z0-9-]{2,}", title)]
        paper["ai_keywords"] = list(dict.fromkeys(w for w in words if w not in STOP))[:5]
    name = MEMBERS[n % len(MEMBERS)]
    user = {
        "_id": hashlib.sha1(name.encode()).hexdigest()[:24],
        "avatarUrl": "/avatars/synthetic.svg",
        "isPro": False,
        "fullname": f"Synthetic member {name}",
        "user": name,
        "type": "user",
    }
    # Where Hugging Face sends them: on the paper after submittedOnDailyAt, and on the item
    # (which huggingface_hub's PaperInfo reads) after numComments.
    item["paper"] = _insert(paper, "submittedOnDailyAt", "submittedOnDailyBy", user)
    return _insert(item, "numComments", "submittedBy", dict(user))


def _insert(mapping: dict, after: str, key: str, value: object) -> dict:
    out = {}
    for k, v in mapping.items():
        out[k] = v
        if k == after:
            out[key] = value
    return out


def main(days: list[str]) -> None:
    wanted, found = set(days), {}
    for path in sorted((SHARED_DATA / "hf-daily-papers").glob("daily-*.jsonl.gz")):
        with gzip.open(path) as lines:
            for line in lines:
                record = json.loads(line)
                if record["date"] in wanted:
                    found[record["date"]] = record
    OUT.mkdir(parents=True, exist_ok=True)
    n = 0
    for day in days:
        items = []
        for item in found[day]["papers"]:
            items.append(synthesize(item, n))
            n += 1
        # One item a line: the API's JSON array, readable in a diff.
        text = "[\n" + ",\n".join(json.dumps(i, ensure_ascii=False) for i in items) + "\n]\n"
        (OUT / f"daily_papers_{day}.json").write_text(text)
        print(f"{day}: {len(items)} items (capture {found[day]['source_commit']})")


if __name__ == "__main__":
    main(sys.argv[1:] or DAYS)
