from celery import shared_task

from data_protection import anonymise, services


# A run over many families takes a while; each batch of families is its own transaction, so a run
# stopped by the time limit is started again and goes on from where it stopped.
@shared_task(name="data_protection.tasks.run_retention", soft_time_limit=6 * 3600, time_limit=6 * 3600 + 300)
def run_retention(run_id):
    run = anonymise.run_retention(run_id)
    return {"run": run.pk, "families_anonymised": run.families_anonymised}


@shared_task(name="data_protection.tasks.work_out_retention_run")
def work_out_retention_run():
    """The nightly dry run, saved as a run waiting for an administrator's approval when any family is
    due and no run already waits."""
    run = services.retention_run_nightly()
    return {"run": run.pk if run else None}
