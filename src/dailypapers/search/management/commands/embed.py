import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from dailypapers.search import embedding
from dailypapers.search.encoder import BadSetting, ModelUnavailable


class Command(BaseCommand):
    help = "Embed the papers that lack an up-to-date embedding, then publish the vector index."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, help="Embed at most this many papers.")
        parser.add_argument("--batch-size", type=int, default=256, help="Papers per commit.")
        parser.add_argument(
            "--workers",
            type=int,
            help="Texts computed at once, one core each (default: DAILYPAPERS_EMBED_THREADS).",
        )

    def handle(self, *args, limit=None, batch_size=256, workers=None, verbosity=1, **options):
        try:
            todo = embedding.missing()
        except ModelUnavailable as exc:
            raise CommandError(f"Cannot embed: {exc}") from exc
        todo = min(todo, limit) if limit is not None else todo
        with tqdm(total=todo, unit="paper", disable=verbosity == 0 or not todo) as bar:
            try:
                done = embedding.embed_missing(
                    batch_size, progress=bar.update, limit=limit, workers=workers
                )
            except BadSetting as exc:
                raise CommandError(f"Cannot embed: {exc}") from exc
            except KeyboardInterrupt:
                # Every batch before this one is committed; the next run goes on from there.
                bar.close()
                self.stderr.write(f"interrupted: embedded {bar.n} papers; run again to go on")
                sys.exit(130)
        self.stdout.write(f"embedded {done} papers ({embedding.encoder().name})")
