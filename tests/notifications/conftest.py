from tests.paysim.fixtures import _paysim_server, paysim  # noqa: F401
