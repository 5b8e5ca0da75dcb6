from django.conf import settings
from django.db import models

from dailypapers.papers.models import Paper
from dailypapers.search import selectors as search


class Collection(models.Model):
    """A member's named list of papers; private unless made public. Every member has one
    called "Saved" (``services.saved``), which cannot be deleted."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collections"
    )
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, help_text="Its address under the owner's page.")
    description = models.TextField(blank=True, max_length=2000)
    public = models.BooleanField(default=False)
    is_saved = models.BooleanField(default=False, help_text='The member\'s "Saved" list.')
    created_at = models.DateTimeField(auto_now_add=True)
    papers = models.ManyToManyField(Paper, through="Entry", related_name="+")

    class Meta:
        ordering = ["-is_saved", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "slug"], name="collection_slug_per_owner"),
            models.UniqueConstraint(
                fields=["owner"],
                condition=models.Q(is_saved=True),
                name="one_saved_collection_per_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner} · {self.name}"

    def get_absolute_url(self) -> str:
        return f"/library/{self.pk}"

    @property
    def public_url(self) -> str:
        return f"/members/{self.owner.username}/collections/{self.slug}"


class Entry(models.Model):
    """A paper in a collection, once, with when it was added."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="entries")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="library_entries")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-added_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "paper"], name="paper_once_per_collection"
            )
        ]

    def __str__(self) -> str:
        return f"{self.collection} ∋ {self.paper_id}"


class Follow(models.Model):
    """A member follows an author (by name as arXiv writes it) or an arXiv category."""

    class Kind(models.TextChoices):
        AUTHOR = "author"
        CATEGORY = "category"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = models.CharField(max_length=200, help_text="The name or category, as shown.")
    key = models.CharField(max_length=200, help_text="The value folded: case and accents aside.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "value"]
        constraints = [models.UniqueConstraint(fields=["user", "kind", "key"], name="follow_once")]

    def __str__(self) -> str:
        return f"{self.user} follows {self.kind} {self.value}"

    @staticmethod
    def key_of(value: str) -> str:
        """What ``key`` holds for ``value``: its words folded as search folds them."""
        return " ".join(search.words(value))


class Dismissal(models.Model):
    """A member's "not interested" in a paper: it leaves their feeds (undoable), and counts
    against its kind in their recommendations."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dismissals"
    )
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="dismiss_once")]

    def __str__(self) -> str:
        return f"{self.user} ✕ {self.paper_id}"
