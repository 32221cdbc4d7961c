"""A Django app with trodo's middleware, in one file.

Run it (against the local mock server: `trodo-mock-server --port 8787` in
another terminal):

    TRODO_SITE_ID=demo TRODO_API_BASE=http://127.0.0.1:8787 \
        python examples/django_app.py runserver 8000

    curl -H 'X-Trodo-Distinct-Id: anon_7f3e' -H 'X-Trodo-Session-Id: b7d4c1e2' \
        localhost:8000/orders/7/
    curl -X POST -H 'X-Trodo-Distinct-Id: anon_7f3e' localhost:8000/orders/7/pay/

In a real project the two settings below go in settings.py.
"""

from __future__ import annotations

import sys

from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="example-only",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[
        # After AuthenticationMiddleware in a project with django.contrib.auth:
        # the signed-in user (request.user.pk) is then the distinct id.
        "trodo.integrations.django.TrodoMiddleware",
    ],
    # Client options; TRODO_SITE_ID (and TRODO_API_BASE) from the environment.
    TRODO={"batch_enabled": True},
)

from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402

import trodo  # noqa: E402


class PaymentError(Exception):
    pass


def order(request: HttpRequest, order_id: int) -> JsonResponse:
    user = trodo.current_user()  # None for an anonymous request
    if user is not None:
        user.track("order_viewed", {"order_id": order_id})
    return JsonResponse({"order_id": order_id})


def pay(request: HttpRequest, order_id: int) -> JsonResponse:
    # Escapes the view: sent as a server_error with route /orders/<int:order_id>/pay/,
    # then Django answers 500 as usual.
    raise PaymentError(f"card declined for order {order_id}")


urlpatterns = [
    path("orders/<int:order_id>/", order),
    path("orders/<int:order_id>/pay/", pay),
]

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
