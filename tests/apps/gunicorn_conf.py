"""gunicorn.conf.py of the gunicorn cases (gunicorn reads it from the working folder)."""

# Each run is on its own: no control socket shared through the home folder.
control_socket_disable = True


def post_worker_init(worker):
    # The worker has its signal handlers and the app: a SIGTERM now is handled.
    print(f"WORKER READY {worker.pid}", flush=True)
