"""``wuye access_sim``: the door simulator from the command line, against a live server."""

import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from wuye.access.domain.passes import visitor_pass_create
from wuye.access.models import DoorEvent

pytestmark = pytest.mark.django_db(transaction=True)


def test_access_sim_presents_a_pass_granted_then_used_up(estate, live_server, capsys):
    now = timezone.now()
    visitor_pass = visitor_pass_create(
        binding=estate["binding"],
        visitor_name="李访客",
        valid_from=now,
        valid_until=now + datetime.timedelta(hours=1),
    )
    arguments = ["access_sim", "--community", str(estate["community"].pk), "--door", "gate-east"]

    call_command(*arguments, "--url", live_server.url, visitor_pass.token)
    with pytest.raises(SystemExit):
        call_command(*arguments, "--url", live_server.url, visitor_pass.token)

    output = capsys.readouterr().out.splitlines()
    assert output[0].startswith("200 ") and "'granted'" in output[0]
    assert output[1].startswith("200 ") and "'used_up'" in output[1]
    assert DoorEvent.objects.count() == 2


def test_access_sim_unknown_door(estate):
    with pytest.raises(CommandError):
        call_command("access_sim", "--community", str(estate["community"].pk), "--door", "nope", "x")
