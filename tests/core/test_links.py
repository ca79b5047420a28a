"""{% link %} builds the same URL as {% url %}, once per name, arguments and script prefix."""

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse, set_script_prefix

from wuye.core.templatetags.links import _reversed


def _render(text: str, **context) -> str:
    return Template(text).render(Context(context))


def test_link_equals_url_with_and_without_arguments():
    assert _render("{% link 'portal:home' %}") == _render("{% url 'portal:home' %}") == "/m/"
    assert _render("{% link 'portal:notice' pk %}", pk=42) == _render("{% url 'portal:notice' pk %}", pk=42)
    assert _render("{% link 'portal:notice' pk %}", pk=42) == reverse("portal:notice", args=[42])
    token = "Yd0vkCvSROvtxWaeWcPGwg"
    assert _render("{% link 'portal:pay_entry' token %}", token=token) == _render(
        "{% url 'portal:pay_entry' token %}", token=token
    )


def test_a_name_that_does_not_reverse_raises_as_url_does():
    with pytest.raises(NoReverseMatch):
        _render("{% link 'portal:no_such_page' %}")
    with pytest.raises(NoReverseMatch):
        _render("{% link 'portal:notice' %}")  # its argument missing


def test_the_script_prefix_is_part_of_the_key():
    _reversed.cache_clear()
    try:
        assert _render("{% link 'portal:home' %}") == "/m/"
        set_script_prefix("/wuye/")
        assert _render("{% link 'portal:home' %}") == "/wuye/m/"
    finally:
        set_script_prefix("/")
    assert _render("{% link 'portal:home' %}") == "/m/"
    assert _reversed.cache_info().hits == 1
