"""Forms of the administrators' pages: teams, who is in them and in what role, and new accounts."""

from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password

from core.forms import PlainTextMixin, VersionField
from core.validators import reject_markup
from families.models import Role, Team
from families.selectors import local_authorities_to_choose
from staff.models import User


class TeamForm(PlainTextMixin, forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "kind", "local_authority"]
        labels = {"kind": "Kind of team"}
        help_texts = {"local_authority": "Required for a parent liaison team: the authority it works in."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["local_authority"].queryset = local_authorities_to_choose(self.instance.local_authority_id)

    def clean(self):
        cleaned = super().clean()
        # Said next to the field here; the database's check constraint would only say it above the form.
        if cleaned.get("kind") == Team.Kind.PARENT_LIAISON and not cleaned.get("local_authority"):
            self.add_error("local_authority", "A parent liaison team works in one local authority: choose it.")
        return cleaned


class EditTeamForm(TeamForm):
    version = VersionField()


class RoleField(forms.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Role.choices, **kwargs)


class MembershipAddForm(PlainTextMixin, forms.Form):
    email = forms.EmailField(label="E-mail address", help_text="Of someone who already has an account.")
    role = RoleField()

    def clean_email(self):
        email = self.cleaned_data["email"]
        member = User.objects.filter(email__iexact=email).first()
        if member is None:
            raise forms.ValidationError("Nobody has an account with this e-mail address. Create one for them instead.")
        return member


class MembershipRoleForm(PlainTextMixin, forms.Form):
    role = RoleField()


class StaffAccountForm(PlainTextMixin, forms.Form):
    """A new account with a temporary password, which the administrator gives the person in person
    and which they change after signing in (Change password)."""

    email = forms.EmailField(label="E-mail address")
    full_name = forms.CharField(max_length=150, validators=[reject_markup])
    role = RoleField(label="Role in this team")
    password1 = forms.CharField(
        label="Temporary password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Temporary password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "There is already an account with this e-mail address. Add them to the team instead."
            )
        return email

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords are not the same.")
        elif password1:
            candidate = User(email=cleaned.get("email", ""), full_name=cleaned.get("full_name", ""))
            try:
                validate_password(password1, user=candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned
