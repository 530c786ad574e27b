from django import forms

from core.forms import PlainTextMixin

CODE_ATTRIBUTES = {"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}


class SecondFactorCodeForm(PlainTextMixin, forms.Form):
    """One box for either kind of code: an app's six digits or a recovery code's letters and digits."""

    code = forms.CharField(
        label="Code from your authenticator app or a recovery code",
        max_length=32,
        help_text="The 6-digit code your app shows now, or one of the recovery codes you kept.",
        widget=forms.TextInput(attrs=CODE_ATTRIBUTES),
    )


class AppCodeForm(PlainTextMixin, forms.Form):
    """The code an app shows, to prove it was set up with this key."""

    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=32,
        help_text="6 digits. A new one shows every 30 seconds: type the one showing now.",
        widget=forms.TextInput(attrs={**CODE_ATTRIBUTES, "inputmode": "numeric"}),
    )
