from jobpool_task import task

@task
def never_registered(x)
    return x
