from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class InfoPage(models.Model):
    """A public information page (ACC1) that content editors write in Russian and English.

    The body is plain text: paragraphs separated by blank lines. It is escaped when shown, so
    an editor cannot put script into a public page.
    """

    slug = models.SlugField(_("URL slug"), unique=True)
    title_ru = models.CharField(_("title (Russian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    summary_ru = models.CharField(_("summary (Russian)"), max_length=300, blank=True)
    summary_en = models.CharField(_("summary (English)"), max_length=300, blank=True)
    body_ru = models.TextField(_("text (Russian)"))
    body_en = models.TextField(_("text (English)"), blank=True)
    is_published = models.BooleanField(_("published"), default=True)
    show_on_home = models.BooleanField(_("show on the home page"), default=True)
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("information page")
        verbose_name_plural = _("information pages")
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.title_ru

    def _localized(self, field: str) -> str:
        # English falls back to Russian where the editor has not translated yet.
        if (get_language() or "ru").startswith("en"):
            return getattr(self, f"{field}_en") or getattr(self, f"{field}_ru")
        return getattr(self, f"{field}_ru")

    @property
    def title(self) -> str:
        return self._localized("title")

    @property
    def summary(self) -> str:
        return self._localized("summary")

    @property
    def body(self) -> str:
        return self._localized("body")
