class UserFixableError(Exception):
    """A change the user can correct: shown next to ``field`` (or above the form when None)."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class EditConflict(UserFixableError):
    def __init__(self):
        super().__init__(
            "Someone else saved a change to this record while you were editing it. "
            "Your changes have not been saved: reload the page to see theirs, then make yours again."
        )


def add_to_form(form, error: UserFixableError):
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def saved(form, save) -> bool:
    """Run ``save`` (a service call); a problem the user can fix is shown on ``form``.
    Returns True when it was saved."""
    try:
        save()
    except UserFixableError as error:
        add_to_form(form, error)
        return False
    return True
