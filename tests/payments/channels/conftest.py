from tests.paysim.fixtures import _paysim_server, alipay_account, notify_sink, paysim, wechat_account  # noqa: F401
