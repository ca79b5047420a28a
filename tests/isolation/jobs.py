from wuye.core.models import Job


def build(community, staff_user) -> dict[str, int]:
    # A failed job: its retry button is a POST the walk tries too.
    return {
        "job_pk": Job.objects.create(
            community=community, name="wuye.billing.tasks.run_issue_job", state=Job.State.FAILED
        ).pk
    }
