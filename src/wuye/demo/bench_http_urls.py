"""The product's URLs plus ``/_bench/households/<pk>/``: one household looked up by primary key, two
bytes answered, through the same middleware as every page. What the owner mix of ``wuye bench http``
reaches per second is compared with what this view reaches on the same server in the same run. Served
only by the bench's server (``wuye.demo.bench_http_settings``), never by the product."""

from django.http import Http404, HttpResponse
from django.urls import path

from wuye.households.models import Household
from wuye.urls import handler500
from wuye.urls import urlpatterns as product_urlpatterns

__all__ = ["handler500", "urlpatterns"]


def bare(request, household_pk: int):
    if Household.objects.filter(pk=household_pk).values_list("pk", flat=True).first() is None:
        raise Http404
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("_bench/households/<int:household_pk>/", bare), *product_urlpatterns]
