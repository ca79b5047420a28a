import pytest


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests read domain error messages; they are written against the English msgids."""
    from django.utils import translation

    with translation.override("en"):
        yield
