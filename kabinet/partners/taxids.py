"""Tax ID validation by country, through python-stdnum (never hand-written checksums)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import lv
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.ru import inn

# Country → (module validating the number, what the number is called).
_VALIDATORS = {
    "RU": (inn, _("INN")),
    "LV": (lv.pvn, _("registration number")),
}


def tax_id_normalize(*, country: str, tax_id: str) -> str:
    """The canonical form of a tax ID, or ValidationError with a reason the user can act on."""
    country = country.upper()
    cleaned = tax_id.strip().replace(" ", "").replace("-", "")
    validator = _VALIDATORS.get(country)
    if validator is None:
        if not cleaned:
            raise ValidationError(_("Enter a tax ID."), code="tax_id_required")
        return cleaned
    module, name = validator
    try:
        return str(module.validate(cleaned))
    except StdnumError as exc:
        raise ValidationError(
            _("%(value)s is not a valid %(name)s: check the digits."),
            code="tax_id_invalid",
            params={"name": name, "value": tax_id},
        ) from exc
