"""Objects of a foreign community for the console isolation test, one module per part of the console.

Each module here defines ``build(community, staff_user) -> {url argument name: pk}``; the isolation
test merges them all. A console URL argument that no module provides fails the test.
"""

import importlib
import pkgutil


def build_all(community, staff_user) -> dict[str, int]:
    objects: dict[str, int] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        built = module.build(community, staff_user)
        clash = set(built) & set(objects)
        assert not clash, f"{module_info.name} provides {clash} again"
        objects.update(built)
    return objects
