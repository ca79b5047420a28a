"""The reconciliation benchmark finds exactly what it injects (a small run of the real command)."""

import json

from django.core.management import call_command


def test_bench_recon_finds_every_injected_difference_and_nothing_else(db, capsys):
    call_command("bench", "recon", "--payments", "60", "--inject", "2")

    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["payments"] == 60
    assert result["injected"] == {
        "channel_only": 2,
        "ours_only": 2,
        "amount": 2,
        "state": 2,
        "fee": 2,
        "double": 2,
    }
    assert result["found"] == result["injected"]
    assert (result["unexplained"], result["missed"], result["ledger_balanced"]) == (0, 0, True)
