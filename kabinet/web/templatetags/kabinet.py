from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def bootstrap_widget(field: BoundField) -> SafeString:
    """The field's widget with Bootstrap's classes, marked invalid when it has errors."""
    css = "form-select" if field.widget_type == "select" else "form-control"
    existing = field.field.widget.attrs.get("class", "")
    classes = " ".join(
        part for part in (existing or css, "is-invalid" if field.errors else "") if part
    )
    return field.as_widget(attrs={"class": classes})


@register.filter
def hidden_errors(fields: list[BoundField]) -> list[str]:
    """The errors of a form's hidden fields: shown at the top, since the field is not."""
    return [str(error) for field in fields for error in field.errors]
