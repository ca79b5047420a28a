"""Extension points of the household page: sections (bills, requests, mandates, …) and timeline sources.

``register_section(key, template, context, permission=None, order=100)``: ``context(household,
request)`` returns the section's template context; the section renders only if the user holds
``permission`` in the household's community.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    template: str
    context: Callable
    permission: str | None = None
    order: int = 100


SECTIONS: dict[str, Section] = {}


def register_section(section: Section) -> None:
    SECTIONS[section.key] = section


def sections_for(household, request, can) -> list[dict]:
    """[{"template": …, "context": {…}}] for the sections this request may see, in order."""
    rendered = []
    for section in sorted(SECTIONS.values(), key=lambda s: (s.order, s.key)):
        if section.permission and not can(section.permission):
            continue
        rendered.append({"template": section.template, **section.context(household, request)})
    return rendered


@dataclass(frozen=True)
class TimelineEntry:
    """An event on a household's timeline that is not an audit-log row (e.g. a bill issued set-based)."""

    created_at: object
    label: str
    object_repr: str = ""
    changes: dict | None = None
    actor: object = None


TIMELINE_SOURCES: dict[str, Callable] = {}


def register_timeline_source(key: str, entries: Callable) -> None:
    """``entries(household, limit)`` returns up to ``limit`` TimelineEntry objects, newest first."""
    TIMELINE_SOURCES[key] = entries
