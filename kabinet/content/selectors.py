from django.db.models import QuerySet

from kabinet.content.models import InfoPage


def info_page_list_public() -> QuerySet[InfoPage]:
    return InfoPage.objects.filter(is_published=True)


def info_page_list_for_home() -> QuerySet[InfoPage]:
    return info_page_list_public().filter(show_on_home=True)


def info_page_get_public(*, slug: str) -> InfoPage:
    """Raises InfoPage.DoesNotExist for unknown and unpublished pages alike."""
    return info_page_list_public().get(slug=slug)
