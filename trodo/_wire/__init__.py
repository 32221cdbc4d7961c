"""What both transports share with the generated client: the event models, the
operations' and writes' wire entries, the httpx clients, fault classification,
and each request's deadline and answer cap (``deadline.py``).

With the two transports, the only importers of ``trodo_api``; loaded with the
first client, never by ``import trodo``.
"""
