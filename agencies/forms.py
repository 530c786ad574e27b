from django import forms

from agencies import selectors
from agencies.models import Agency, Professional
from core.forms import PlainTextMixin, VersionField
from families.models import LocalAuthority
from families.selectors import local_authorities_to_choose

SOMEONE_ELSE = "someone_else"


def _described(professional: Professional) -> str:
    role = f", {professional.role}" if professional.role else ""
    return f"{professional.full_name}{role} ({professional.agency})"


class SamePersonMixin:
    """Offers the people already in the directory whose names are close to the one typed (see
    selectors.similar_professionals), so that one social worker is not recorded twice under two
    spellings. While there are any, the form is not valid until the user says whether the person is
    one of them or someone else; what they typed is kept. ``same_person`` is then the chosen
    Professional, or None for someone else.

    ``person_name_field`` names the form's field holding the name."""

    person_name_field = "full_name"
    same_person_yes = "Yes, it is {person}"
    same_person_no = "No, this is someone else"

    def __init__(self, *args, suggest_agency=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.suggestions = []
        if self.is_bound:
            typed = str(self.data.get(self.add_prefix(self.person_name_field), ""))[:200]
            self.suggestions = selectors.similar_professionals(typed, agency=suggest_agency)
        if self.suggestions:
            names = " or ".join(_described(professional) for professional in self.suggestions)
            self.fields["same_person"] = forms.ChoiceField(
                label="Is this someone already in the directory?",
                choices=[(str(p.pk), self.same_person_yes.format(person=_described(p))) for p in self.suggestions]
                + [(SOMEONE_ELSE, self.same_person_no)],
                widget=forms.RadioSelect,
                error_messages={"required": f"Did you mean {names}? Say whether it is them or someone else."},
            )
            # Straight after the name, where the question is asked.
            order = list(self.fields)
            order.remove("same_person")
            order.insert(order.index(self.person_name_field) + 1, "same_person")
            self.order_fields(order)

    def clean_same_person(self):
        choice = self.cleaned_data["same_person"]
        if choice == SOMEONE_ELSE:
            return None
        return next(p for p in self.suggestions if str(p.pk) == choice)

    @property
    def same_person(self) -> Professional | None:
        return self.cleaned_data.get("same_person") if hasattr(self, "cleaned_data") else None


class DirectoryFilterForm(forms.Form):
    local_authority = forms.ChoiceField(label="Local authority", required=False)
    kind = forms.ChoiceField(label="Kind of agency", required=False,
                             choices=[("", "Every kind"), *Agency.Kind.choices])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        authorities = LocalAuthority.objects.filter(is_current=True).values_list("pk", "name")
        self.fields["local_authority"].choices = [
            ("", "Every authority"), (selectors.NATIONAL, "National (every area)"),
            *((str(pk), name) for pk, name in authorities),
        ]

    def filters(self) -> dict:
        if not self.is_valid():
            return {"local_authority": "", "kind": ""}
        return {"local_authority": self.cleaned_data["local_authority"], "kind": self.cleaned_data["kind"]}


class AgencyForm(PlainTextMixin, forms.ModelForm):
    class Meta:
        model = Agency
        fields = ["name", "kind", "local_authority"]
        labels = {"kind": "Kind of agency"}
        help_texts = {"local_authority": "Leave empty for an agency that works everywhere, like a national helpline."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["local_authority"].queryset = local_authorities_to_choose(self.instance.local_authority_id)
        self.fields["local_authority"].empty_label = "National (every area)"


class EditAgencyForm(AgencyForm):
    version = VersionField()


class ProfessionalForm(PlainTextMixin, forms.ModelForm):
    class Meta:
        model = Professional
        fields = ["full_name", "role", "email", "phone"]
        labels = {"full_name": "Name", "email": "E-mail address", "phone": "Phone number"}


class NewProfessionalForm(SamePersonMixin, ProfessionalForm):
    same_person_yes = "Yes, it is {person}: do not add them again"
    same_person_no = "No, this is someone else: add them"


class EditProfessionalForm(ProfessionalForm):
    version = VersionField()
