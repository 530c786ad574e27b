from celery import shared_task

from families.dormant import dormant_accounts_disable


@shared_task(name="families.tasks.disable_dormant_accounts")
def disable_dormant_accounts():
    run = dormant_accounts_disable()
    return {"disabled": len(run.disabled), "spared_administrator": run.spared_administrator is not None}
