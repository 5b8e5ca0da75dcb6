"""arXiv categories (https://arxiv.org/category_taxonomy): their form, and names for display."""

import re

NAMES = {
    "cs.AI": "Artificial Intelligence", "cs.AR": "Hardware Architecture",
    "cs.CC": "Computational Complexity", "cs.CE": "Computational Engineering",
    "cs.CG": "Computational Geometry", "cs.CL": "Computation and Language",
    "cs.CR": "Cryptography and Security", "cs.CV": "Computer Vision",
    "cs.CY": "Computers and Society", "cs.DB": "Databases",
    "cs.DC": "Distributed Computing", "cs.DL": "Digital Libraries",
    "cs.DM": "Discrete Mathematics", "cs.DS": "Data Structures and Algorithms",
    "cs.ET": "Emerging Technologies", "cs.FL": "Formal Languages",
    "cs.GL": "General Literature", "cs.GR": "Graphics",
    "cs.GT": "Game Theory", "cs.HC": "Human-Computer Interaction",
    "cs.IR": "Information Retrieval", "cs.IT": "Information Theory",
    "cs.LG": "Machine Learning", "cs.LO": "Logic in Computer Science",
    "cs.MA": "Multiagent Systems", "cs.MM": "Multimedia",
    "cs.MS": "Mathematical Software", "cs.NA": "Numerical Analysis",
    "cs.NE": "Neural and Evolutionary Computing", "cs.NI": "Networking and Internet Architecture",
    "cs.OH": "Other Computer Science", "cs.OS": "Operating Systems",
    "cs.PF": "Performance", "cs.PL": "Programming Languages",
    "cs.RO": "Robotics", "cs.SC": "Symbolic Computation",
    "cs.SD": "Sound", "cs.SE": "Software Engineering",
    "cs.SI": "Social and Information Networks", "cs.SY": "Systems and Control",
    "eess.AS": "Audio and Speech Processing", "eess.IV": "Image and Video Processing",
    "eess.SP": "Signal Processing", "eess.SY": "Systems and Control",
    "math.OC": "Optimization and Control", "math.NA": "Numerical Analysis",
    "math.ST": "Statistics Theory", "math.IT": "Information Theory",
    "math.PR": "Probability", "math.CO": "Combinatorics",
    "stat.ML": "Machine Learning (Statistics)", "stat.ME": "Methodology",
    "stat.TH": "Statistics Theory", "stat.AP": "Applications", "stat.CO": "Computation",
    "q-bio.NC": "Neurons and Cognition", "q-bio.QM": "Quantitative Methods",
    "physics.comp-ph": "Computational Physics", "quant-ph": "Quantum Physics",
    "hep-th": "High Energy Physics - Theory", "hep-ph": "High Energy Physics - Phenomenology",
    "astro-ph": "Astrophysics", "cond-mat": "Condensed Matter", "gr-qc": "General Relativity",
}  # fmt: skip


# An archive (cs, hep-th, q-bio), then optionally a subject class: cs.CL, physics.comp-ph.
# ASCII: under IGNORECASE alone, [a-z] also takes the long s (U+017F) and the Kelvin sign.
_CODE = re.compile(r"[a-z][a-z-]*(\.[a-z][a-z-]*)?", re.IGNORECASE | re.ASCII)
# Archives whose subject classes are lower case (the rest are upper case: cs.CL, math.AG).
_LOWER_SUBJECTS = {"physics", "cond-mat"}


def is_code(text: str) -> bool:
    """Whether ``text`` has the form of an arXiv category, in any case."""
    return bool(_CODE.fullmatch(text))


def canonical(code: str) -> str:
    """``CS.cl`` -> ``cs.CL``; ``COND-MAT.mes-hall`` -> ``cond-mat.mes-hall``; ``hep-th``
    stays."""
    archive, _, sub = code.partition(".")
    archive = archive.lower()
    if not sub:
        return archive
    return f"{archive}.{sub.lower() if archive in _LOWER_SUBJECTS else sub.upper()}"


def name(code: str) -> str:
    """The readable name of a category code; the code itself when unknown."""
    return NAMES.get(code, code)
