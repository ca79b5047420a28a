from tests.paysim.fixtures import _paysim_server, alipay_account, paysim, wechat_account  # noqa: F401
