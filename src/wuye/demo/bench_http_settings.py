"""The settings of the server ``wuye bench http`` starts: the product's (``wuye.settings``), with the
product's URLs plus one bare view (``wuye.demo.bench_http_urls``) for the framework's ceiling."""

from wuye.settings import *  # noqa: F403

ROOT_URLCONF = "wuye.demo.bench_http_urls"
