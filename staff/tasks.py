from smtplib import SMTPException

from celery import shared_task

from staff.password_reset import password_reset_send


# Sent to the mail queue (staff.password_reset); retried a few times if the mail server is down.
@shared_task(
    name="staff.tasks.send_password_reset",
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    max_retries=3,
)
def send_password_reset(*, email, domain, use_https):
    password_reset_send(email=email, domain=domain, use_https=use_https)
