import pytest

from tests.paysim.fixtures import _paysim_server, paysim  # noqa: F401
from wuye.paysim.seed import paysim_accounts


@pytest.fixture
def setup(community, paysim):  # noqa: F811 (the fixture above)
    """A community with paysim's WeChat Pay and Alipay accounts; paysim's notifications dropped (the
    tests decide what our books learn)."""
    paysim.faults.update(drop=True)
    paysim_accounts(community, base_url=paysim.base_url)
    return community
