from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import pretty_name
from django.urls import reverse_lazy
from django.utils import timezone

from core.forms import PlainTextMixin, UKDateField, VersionField, not_in_future
from core.validators import validate_uk_phone
from families import consent, permissions, postcodes
from families.models import (
    Consent,
    ExploitationType,
    Family,
    LocalAuthority,
    Membership,
    Person,
    Relationship,
    Team,
)

OLDEST_CHILD_YEARS = 25
# Shown when a submitted person is not among the choices: only the family's team can see it.
NOT_IN_FAMILYS_TEAM = "Choose someone in the family's team: nobody else can see this family."


def members_by_team(teams):
    """Choices of the active members of ``teams``, grouped by team (one query)."""
    memberships = (
        Membership.objects.filter(team__in=teams, user__is_active=True)
        .select_related("user", "team")
        .order_by("team__name", "user__full_name", "user__pk")
    )
    groups = {}
    for membership in memberships:
        groups.setdefault(membership.team.name, []).append((membership.user.pk, str(membership.user)))
    return [("", "---------"), *groups.items()]


def mark_optional_fields(form):
    """Add "(optional)" to the label of every field that may be left empty (the GOV.UK way: the
    required ones are the rest). A tick box or a hidden field is left as it is. Called after the
    messages are made (PlainTextMixin), so that they name the field without it."""
    for name, field in form.fields.items():
        if field.required or field.widget.is_hidden or isinstance(field.widget, forms.CheckboxInput):
            continue
        field.label = f"{field.label or pretty_name(name)} (optional)"


class FamilyForm(PlainTextMixin, forms.ModelForm):
    # Longer than a postcode, so a mistyped one gets the postcode message, not a length one.
    postcode = forms.CharField(max_length=20, required=False)

    class Meta:
        model = Family
        fields = [
            "postcode",
            "address",
            "local_authority",
            "source",
            "key_worker",
            "preferred_channel",
            "safe_contact_times",
            "voicemail_ok",
            "texts_ok",
            "contact_notes",
        ]
        widgets = {"address": forms.Textarea(attrs={"rows": 3}), "contact_notes": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"local_authority": "Filled in from the postcode; change it if it is wrong."}

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["local_authority"].queryset = LocalAuthority.objects.filter(is_current=True)
        self.fields["key_worker"].queryset = colleagues
        self.fields["key_worker"].error_messages["invalid_choice"] = NOT_IN_FAMILYS_TEAM
        self.fields["postcode"].widget.attrs.update(
            {
                "autocomplete": "off",
                "spellcheck": "false",
                # Suggest the local authority as soon as the postcode is entered.
                "hx-post": reverse_lazy("families:postcode_lookup"),
                "hx-trigger": "change",
                "hx-target": "#postcode-hint",
                # Sent as "postcode" by static/js/app.js: htmx's "js:" values need eval, which the CSP refuses.
                "data-lookup-param": "postcode",
            }
        )

    def clean_postcode(self):
        value = self.cleaned_data["postcode"].strip()
        return postcodes.normalise_postcode(value) if value else ""

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("local_authority") and cleaned.get("postcode"):
            cleaned["local_authority"] = postcodes.local_authority_for_postcode(cleaned["postcode"])
        return cleaned


class NewFamilyForm(FamilyForm):
    """Only what a first call always gives is required (how they reached us, and the team when
    there is a choice); the rest can wait for a later call."""

    team = forms.ModelChoiceField(queryset=Team.objects.none(), help_text="The team that will support the family.")
    # Ticked after the form showed families that may be this one (selectors.possible_duplicates).
    different_family = forms.BooleanField(
        label="This is a different family", required=False, help_text="Add it as a new family."
    )

    field_order = ["source", "team"]

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        if len(teams) == 1:
            self.fields["team"].initial = teams[0]
            self.fields["team"].widget = forms.HiddenInput()
        else:
            # The team is chosen on this same form, so group the people by team; clean() checks the pair.
            self.fields["key_worker"].choices = members_by_team(teams)
        # It has a default (a phone call), so nothing needs choosing.
        self.fields["preferred_channel"].required = False
        mark_optional_fields(self)

    def clean_preferred_channel(self):
        return self.cleaned_data["preferred_channel"] or Family.Channel.PHONE

    def clean(self):
        cleaned = super().clean()
        team, key_worker = cleaned.get("team"), cleaned.get("key_worker")
        if team and key_worker and not permissions.may_see_team_families(key_worker, team.pk):
            self.add_error(
                "key_worker",
                f"{key_worker} is not in the {team}, so could not see this family. Choose someone in that team.",
            )
        return cleaned


class EditFamilyForm(FamilyForm):
    """``colleagues`` are the people who may see the family (permissions.people_who_may_see)."""

    version = VersionField()

    class Meta(FamilyForm.Meta):
        fields = [*FamilyForm.Meta.fields, "status", "closure_reason"]
        help_texts = {
            **FamilyForm.Meta.help_texts,
            "closure_reason": "Needed only when support is ending.",
        }

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, colleagues=colleagues, **kwargs)
        key_worker = self.instance.key_worker
        if key_worker and not colleagues.filter(pk=key_worker.pk).exists():
            # Not among the choices, so saving clears them: say so rather than do it silently.
            self.fields["key_worker"].help_text = (
                f"{key_worker} is no longer in the {self.instance.team} and cannot see this family; "
                "choose its new key worker."
            )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == Family.Status.CLOSED and not cleaned.get("closure_reason"):
            self.add_error("closure_reason", "Say why support is ending.")
        return cleaned


class PersonForm(PlainTextMixin, forms.ModelForm):
    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        validate_uk_phone(value)
        return value


class CarerForm(PersonForm):
    relationship_kind = forms.ChoiceField(
        label="Relationship to the child",
        choices=Relationship.Kind.choices,
        initial=Relationship.Kind.MOTHER,
        required=False,
    )

    class Meta:
        model = Person
        fields = ["first_name", "last_name", "pronouns", "phone", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        mark_optional_fields(self)

    def clean_relationship_kind(self):
        return self.cleaned_data["relationship_kind"] or Relationship.Kind.OTHER


class NewCarerForm(CarerForm):
    """The first parent or carer, on the new-family form."""

    class Meta(CarerForm.Meta):
        # Beside the child's first name at the top of the form, so it says whose it is.
        labels = {"first_name": "Parent or carer's first name"}


class ChildForm(PersonForm):
    exploitation_types = forms.ModelMultipleChoiceField(
        queryset=ExploitationType.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Kinds of exploitation",
    )

    class Meta:
        model = Person
        fields = [
            "first_name",
            "last_name",
            "pronouns",
            "date_of_birth",
            "school",
            "additional_needs",
            "exploitation_types",
            "risk_level",
            "looked_after",
            "placed_out_of_area",
            "phone",
        ]
        widgets = {"additional_needs": forms.Textarea(attrs={"rows": 2})}
        field_classes = {"date_of_birth": UKDateField}

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born is None:
            return born
        not_in_future(born, "A date of birth cannot be in the future.")
        today = timezone.localdate()
        if born < date(today.year - OLDEST_CHILD_YEARS, today.month, 1):
            raise ValidationError(f"Check the year: this would make the child over {OLDEST_CHILD_YEARS}.")
        return born


class NewChildForm(ChildForm):
    """The first child, on the new-family form: a short version, where only the first name is required."""

    class Meta(ChildForm.Meta):
        fields = ["first_name", "last_name", "date_of_birth", "exploitation_types", "risk_level"]
        labels = {"first_name": "Child's first name"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        mark_optional_fields(self)


class AddPersonMixin(forms.Form):
    related_people = forms.ModelMultipleChoiceField(
        queryset=Person.objects.none(), widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args, others, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["related_people"].queryset = others


class AddCarerForm(AddPersonMixin, CarerForm):
    field_order = ["first_name", "last_name", "pronouns", "phone", "email", "related_people", "relationship_kind"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["related_people"].label = "Their children"


class AddChildForm(AddPersonMixin, ChildForm):
    relationship_kind = CarerForm.base_fields["relationship_kind"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["related_people"].label = "Their parents or carers"
        self.fields["relationship_kind"].label = "Relationship of those carers to the child"


class EditCarerForm(CarerForm):
    version = VersionField()

    class Meta(CarerForm.Meta):
        pass

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["relationship_kind"]


class EditChildForm(ChildForm):
    version = VersionField()
    risk_reason = forms.CharField(
        label="Why the risk level changed", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        cleaned = super().clean()
        if "risk_level" in self.changed_data and cleaned.get("risk_level") and not cleaned.get("risk_reason"):
            self.add_error("risk_reason", "Say briefly why the risk level changed.")
        return cleaned


class ConsentForm(PlainTextMixin, forms.ModelForm):
    class Meta:
        model = Consent
        fields = ["kind", "agency_kind", "agency", "given_by", "given_on", "notes"]
        field_classes = {"given_on": UKDateField}
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}
        labels = {"kind": "Consent to", "agency_kind": "Kind of agency", "agency": "Name of the agency",
                  "given_by": "Given by"}
        help_texts = {"agency_kind": "Only when sharing: anything that shares with this kind of agency checks it."}

    def __init__(self, *args, family, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["given_by"].queryset = family.people.filter(kind=Person.Kind.CARER)
        if not self.is_bound:
            self.initial.setdefault("given_on", timezone.localdate())

    def clean_given_on(self):
        return not_in_future(self.cleaned_data["given_on"], "Consent cannot be dated in the future.")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == Consent.Kind.SHARE:
            if not cleaned.get("agency_kind") and "agency_kind" not in self.errors:
                self.add_error("agency_kind", "Choose the kind of agency the family agreed we may share with.")
            if not cleaned.get("agency") and "agency" not in self.errors:
                self.add_error("agency", "Name the agency the family agreed we may share with.")
        elif cleaned.get("kind") == Consent.Kind.STORE:
            # Keeping records is not sharing: a kind of agency chosen by mistake is not kept.
            cleaned["agency_kind"] = ""
        return cleaned


def sharing_reason_field() -> forms.CharField:
    """The box for why it is right to share without consent, on any form that shares with an agency
    the parent withdrew consent to share with (families.consent)."""
    return forms.CharField(
        label=consent.REASON_LABEL,
        help_text=consent.REASON_HELP,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": consent.REASON_REQUIRED},
    )


class ConsentWithdrawForm(PlainTextMixin, forms.Form):
    withdrawn_on = UKDateField(label="Withdrawn on")

    def clean_withdrawn_on(self):
        return not_in_future(self.cleaned_data["withdrawn_on"], "Withdrawal cannot be dated in the future.")


class TransferForm(PlainTextMixin, forms.Form):
    to_team = forms.ModelChoiceField(queryset=Team.objects.all(), label="Move to team")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    version = VersionField()

    def __init__(self, *args, family, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_team"].queryset = Team.objects.exclude(pk=family.team_id)


class PostcodeLookupForm(forms.Form):
    postcode = forms.CharField(max_length=10)

    def clean_postcode(self):
        return postcodes.normalise_postcode(self.cleaned_data["postcode"])
