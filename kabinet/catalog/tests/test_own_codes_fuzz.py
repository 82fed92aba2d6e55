"""R14: the own-codes importer under Hypothesis.

Whatever the bytes and the cells, reading and checking a file ends in a report or a
ValidationError with a message; applying it leaves the partner's table exactly as the report
promised (merge: the old codes with the file's laid over them; replace: the file's alone),
never half of it.
"""

import os
from typing import Any

from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from kabinet.accounts.models import User
from kabinet.accounts.tests.factories import UserFactory
from kabinet.catalog.models import PartnerArticle, Variant
from kabinet.catalog.own_codes.selectors import entries_of
from kabinet.catalog.own_codes.services import article_upload_create, partner_articles_apply
from kabinet.catalog.tests.factories import VariantFactory
from kabinet.orders.quick_order.files import table_read
from kabinet.orders.tests.quick_order_files import csv_bytes
from kabinet.partners.models import Partner
from kabinet.partners.tests.factories import PartnerFactory

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")),
    deadline=None,
    database=None,  # no example database in the work tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)  # no surrogates
# Codes in two cases, formulas, one too long; "ß", which Python's upper() makes "SS" and
# PostgreSQL's leaves as it is (a code the partner has must still be found and not inserted
# twice). ("SS" itself is left out: whether it is the same code as "ß" depends on the
# database, and both answers are fine.)
CODES = st.sampled_from(["A-1", "a-1", "ß", "straße", "=1+1", "@x", "МОЙ-1", "мой-1", "X" * 70])


class OwnCodesFuzz(TestCase):
    partner: Partner
    user: User
    variants: list[Variant]

    @classmethod
    def setUpTestData(cls) -> None:
        cls.partner = PartnerFactory.create(name="Fuzz Medical")
        cls.user = UserFactory.create(email="fuzz@example.com")
        cls.variants = [VariantFactory.create() for _ in range(4)]
        # The SKU of one variant is the EAN of another: ambiguous.
        Variant.objects.filter(pk=cls.variants[0].pk).update(sku="4600000000999")
        Variant.objects.filter(pk=cls.variants[1].pk).update(ean="4600000000999")
        for variant in cls.variants:
            variant.refresh_from_db()

    def _table(self) -> dict[str, int]:
        return dict(
            PartnerArticle.objects.filter(partner=self.partner).values_list("code", "variant_id")
        )

    @FUZZ
    @given(data=st.data())
    def test_the_importer_reports_or_refuses_and_never_half_applies(self, data: Any) -> None:
        targets = [v.sku for v in self.variants] + [v.sku.lower() for v in self.variants]
        targets += [v.ean for v in self.variants if v.ean] + ["UNKNOWN", ""]
        code = st.one_of(CODES, TEXT)
        target = st.one_of(st.sampled_from(targets), TEXT)
        existing = data.draw(
            st.dictionaries(CODES, st.sampled_from(self.variants), max_size=4), label="existing"
        )
        PartnerArticle.objects.filter(partner=self.partner).delete()
        PartnerArticle.objects.bulk_create(
            PartnerArticle(partner=self.partner, variant=variant, code=text[:64])
            for text, variant in existing.items()
        )
        row = st.one_of(
            st.tuples(code, target).map(list), st.lists(st.one_of(code, target), max_size=3)
        )
        rows = data.draw(st.lists(row, max_size=20), label="rows")
        content = data.draw(
            st.one_of(st.just(csv_bytes(rows, delimiter=";")), st.binary(max_size=500)),
            label="file",
        )
        try:
            table = table_read(content, "codes.csv")
        except ValidationError as error:
            assert all(error.messages), "a refusal says why"  # noqa: PT017
            return
        upload = article_upload_create(
            partner=self.partner, file_name="codes.csv", table=table, actor=self.user
        )
        assert upload.rows_read >= len(upload.rejected)
        entries = entries_of(upload)
        assert len({entry.key for entry in entries}) == len(entries)
        before = self._table()
        mode = data.draw(st.sampled_from(["merge", "replace"]), label="mode")
        partner_articles_apply(
            partner=self.partner, upload_id=upload.pk, mode=mode, actor=self.user
        )
        promised = {entry.code: entry.variant_id for entry in entries}
        keys = {entry.key for entry in entries}
        expected = (
            {}
            if mode == "replace"
            else {
                code: variant_id for code, variant_id in before.items() if code.upper() not in keys
            }
        )
        assert self._table() == expected | promised
