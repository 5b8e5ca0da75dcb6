"""A paper as Markdown (``/papers/{id}.md``, or the paper page with ``Accept: text/markdown``),
as Hugging Face serves it to ``HfApi.read_paper`` and to assistants: title, authors, dates,
links and the abstract, its TeX kept for renderers that read it."""

from __future__ import annotations

from django.conf import settings

from . import shapes


def render(item: shapes.Item) -> str:
    p = item.paper
    lines = [f"# {p.title}", "", f"**Authors:** {', '.join(p.authors) or 'unknown'}", ""]
    if p.ai_summary:
        lines += [f"**AI summary (Hugging Face):** {p.ai_summary}", ""]
    facts = [
        ("arXiv", f"[{p.arxiv_id}]({p.abs_url})" + (f" (v{p.version})" if p.version else "")),
        ("PDF", p.pdf_url),
        ("Published", f"{p.published:%Y-%m-%d}" if p.published else ""),
        ("Updated", f"{p.updated:%Y-%m-%d}" if p.updated else ""),
        ("Categories", ", ".join(p.categories)),
        ("Code", p.code_url + (f" ({p.github_stars} stars)" if p.github_stars else "")),
        ("Project page", p.project_url),
        ("Organization", p.organization_fullname or p.organization),
        ("Keywords", ", ".join(p.ai_keywords)),
        ("DOI", p.doi),
        ("Journal reference", p.journal_ref),
        ("Comments", p.comments),
        ("Featured", ", ".join(f"{f.day:%Y-%m-%d}" for f in item.featurings)),
        ("Upvotes", str(p.votes)),  # type: ignore[attr-defined]  # feed.with_votes
        ("Page", settings.DAILYPAPERS_SITE_URL + p.get_absolute_url()),
    ]
    lines += [f"- **{name}:** {value}" for name, value in facts if value]
    lines += ["", "## Abstract", "", p.abstract or "(no abstract)", ""]
    return "\n".join(lines)
