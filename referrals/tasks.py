from celery import shared_task

from referrals import services


# Recomputing an authority's open referrals takes a few queries each: minutes for a large one.
@shared_task(name="referrals.tasks.apply_threshold_change", soft_time_limit=1800, time_limit=1900)
def apply_threshold_change(change_id):
    return services.threshold_change_apply(change_id)
