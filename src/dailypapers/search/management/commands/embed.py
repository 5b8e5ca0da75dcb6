from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from dailypapers.search import embedding
from dailypapers.search.encoder import ModelUnavailable


class Command(BaseCommand):
    help = "Embed the papers that lack an up-to-date embedding, then publish the vector index."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, help="Embed at most this many papers.")
        parser.add_argument("--batch-size", type=int, default=256)

    def handle(self, *args, limit=None, batch_size=256, verbosity=1, **options):
        try:
            todo = embedding.missing()
        except ModelUnavailable as exc:
            raise CommandError(f"Cannot embed: {exc}") from exc
        todo = min(todo, limit) if limit is not None else todo
        with tqdm(total=todo, unit="paper", disable=verbosity == 0 or not todo) as bar:
            done = embedding.embed_missing(batch_size, progress=bar.update, limit=limit)
        self.stdout.write(f"embedded {done} papers ({embedding.encoder().name})")
