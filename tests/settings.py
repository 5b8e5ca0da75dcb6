"""The site's own settings, with a data folder of the test run's own when none is given."""

import os
import tempfile
from pathlib import Path

from dailypapers.infra import home

# No test reaches huggingface.co: those that sync name a local upstream.
os.environ.setdefault("DAILYPAPERS_UPSTREAMS", "")
os.environ.setdefault("DAILYPAPERS_HOME", tempfile.mkdtemp(prefix="dailypapers-test-"))
home.prepare(Path(os.environ["DAILYPAPERS_HOME"]).resolve())

from dailypapers.settings import *  # noqa: E402, F403
