"""Bank batch direct debit (批量代扣): mandates, debit batches (送盘), bank file codecs, results (回盘)."""
