"""paysim: a local simulator of WeChat Pay v3 and Alipay for tests and the demo (see server.PaySim)."""
