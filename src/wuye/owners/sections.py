"""Extension point: other apps add sections to the owner portal's home page (bills due, the debit
mandate, parking, …) without editing the portal.

``register_portal_section(PortalSection(key, template, context, order))``: ``context(household,
account)`` returns the section's template context, or None to leave the section out. Registering a
key again replaces the section, so billing replaces the placeholder "bills" section with its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PortalSection:
    key: str
    template: str
    context: Callable
    order: int = 100


PORTAL_SECTIONS: dict[str, PortalSection] = {}


def register_portal_section(section: PortalSection) -> None:
    PORTAL_SECTIONS[section.key] = section


def portal_sections_for(household, account) -> list[dict]:
    """[{"template": …, **context}] of the sections that have something to show, in order."""
    rendered = []
    for section in sorted(PORTAL_SECTIONS.values(), key=lambda s: (s.order, s.key)):
        context = section.context(household, account)
        if context is not None:
            rendered.append({"template": section.template, "key": section.key, **context})
    return rendered
