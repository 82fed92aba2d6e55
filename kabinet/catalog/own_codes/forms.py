"""Forms of the own-codes pages: the search and the upload."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kabinet.catalog.own_codes.selectors import MAX_SEARCH_CHARS


class CodeSearchForm(forms.Form):
    q = forms.CharField(label=_("Find"), required=False, max_length=MAX_SEARCH_CHARS)

    def term(self) -> str:
        return self.cleaned_data.get("q", "") if self.is_valid() else ""


class CodeUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Table of your codes"),
        help_text=_(
            "XLSX or CSV, up to 10 MB: your code in the first column, our SKU or the EAN "
            "in the second."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
