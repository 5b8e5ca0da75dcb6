"""The site's own settings, with a data folder of the test run's own when none is given."""

import os
import tempfile
from pathlib import Path

from dailypapers.infra import home

os.environ.setdefault("DAILYPAPERS_HOME", tempfile.mkdtemp(prefix="dailypapers-test-"))
home.prepare(Path(os.environ["DAILYPAPERS_HOME"]).resolve())

from dailypapers.settings import *  # noqa: E402, F403
