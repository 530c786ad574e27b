def lockout_username(request, credentials=None):
    """The e-mail address being signed in with, as django-axes counts failures against it.

    Lower-cased, so "Sam@..." and "sam@..." share one count, as they share one account.
    """
    source = credentials if credentials else getattr(request, "POST", {})
    return (source.get("username") or "").strip().lower() or None
