"""The error summary at the top of a page after a refused save (the GOV.UK pattern), and the
"Error: " that starts the page's title, found from the forms the page was given."""

from django import forms, template

register = template.Library()


def _failed_forms(context):
    """The bound forms in the template's context that have been checked and have errors. A form the
    view chose not to check (an optional part left empty) is not checked here either."""
    seen, failed = set(), []
    for value in context.flatten().values():
        candidates = value.forms if isinstance(value, forms.BaseFormSet) else [value]
        for form in candidates:
            if not isinstance(form, forms.BaseForm) or id(form) in seen:
                continue
            seen.add(id(form))
            # _errors is None until the view validated the form.
            if form.is_bound and form._errors:
                failed.append(form)
    return failed


def _target(bound_field) -> str:
    """The id of the box to move to: a field drawn as several boxes (a date) starts at its first."""
    if bound_field.id_for_label:
        return bound_field.id_for_label
    widget = bound_field.field.widget
    if isinstance(widget, forms.MultiWidget):
        return f"{bound_field.auto_id}_0"
    return bound_field.auto_id


@register.inclusion_tag("core/error_summary.html", takes_context=True)
def error_summary(context):
    errors = []
    for form in _failed_forms(context):
        for message in form.non_field_errors():
            errors.append({"message": message, "target": None})
        for name, messages in form.errors.items():
            if name == forms.forms.NON_FIELD_ERRORS or name not in form.fields:
                continue
            bound_field = form[name]
            target = None if bound_field.is_hidden else _target(bound_field)
            errors.extend({"message": message, "target": target} for message in messages)
    return {"errors": errors}


@register.simple_tag(takes_context=True)
def error_title_prefix(context):
    return "Error: " if _failed_forms(context) else ""
