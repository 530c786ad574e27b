"""Signals the deadline engine sends, so the apps whose promises it keeps can follow.

``deadlines_rescheduled``: open deadlines' due dates moved (a bank holiday added or withdrawn).
Sent after the change, inside its transaction, with ``subject_type`` (a ContentType) and
``subject_ids`` (the subjects whose deadlines moved); an app that stores a copy of a due date
(a referral's next_due_at) refreshes it.
"""

from django.dispatch import Signal

deadlines_rescheduled = Signal()
