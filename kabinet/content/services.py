from django.db import transaction

from kabinet.content.models import InfoPage


@transaction.atomic
def info_page_upsert(
    *,
    slug: str,
    title_ru: str,
    body_ru: str,
    title_en: str = "",
    body_en: str = "",
    summary_ru: str = "",
    summary_en: str = "",
    position: int = 0,
) -> InfoPage:
    page, _ = InfoPage.objects.update_or_create(
        slug=slug,
        defaults={
            "title_ru": title_ru,
            "title_en": title_en,
            "summary_ru": summary_ru,
            "summary_en": summary_en,
            "body_ru": body_ru,
            "body_en": body_en,
            "position": position,
        },
    )
    return page
