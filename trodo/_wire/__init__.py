"""What both transports share with the generated client: models, the operations'
wire entries, the httpx clients and fault classification.

With the two transports, the only importers of ``trodo_api``; loaded with the
first client, never by ``import trodo``.
"""
