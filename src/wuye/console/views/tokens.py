"""API tokens: a staff member creates named bearer tokens for /api/v1 and revokes them.

Every token expires after the days chosen when it is created (at most ``settings.API_TOKEN_MAX_DAYS``).
A token acts with its owner's roles, so any staff member may hold tokens (``estate.view`` is granted
by every console role; the partner bank, which has its dashboard and no console, has none). The key is shown once, in the response to the POST that created it; only its hash
is stored, so it cannot be shown again.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.cache import never_cache

from wuye.console.decorators import staff_view
from wuye.core.domain.tokens import TokenError, token_issue, token_revoke
from wuye.core.enums import Permission
from wuye.core.models import ApiToken


class TokenForm(forms.Form):
    name = forms.CharField(
        label=pgettext_lazy("api token", "Name"),
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text=gettext_lazy("What the token is for, e.g. the bank's reconciliation system."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built here, not at import, so the limits follow the settings (tests change them).
        self.fields["days"] = forms.IntegerField(
            label=gettext_lazy("Valid for (days)"),
            min_value=1,
            max_value=settings.API_TOKEN_MAX_DAYS,
            initial=settings.API_TOKEN_DAYS,
            help_text=gettext_lazy(
                "The token stops working after this many days; create a new one before then."
            ),
        )


@never_cache
@staff_view(Permission.ESTATE_VIEW)
def token_list(request):
    """GET: the user's tokens. POST: create one and show its key once (never cached, never stored)."""
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_key = token_issue(
                user=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except TokenError as error:
            form.add_error("days", str(error))
        else:
            form = TokenForm()
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at", "-pk")
    return render(
        request,
        "console/tokens/list.html",
        {"form": form, "tokens": tokens, "new_key": new_key, "now": timezone.now()},
    )


@staff_view(Permission.ESTATE_VIEW)
def token_delete(request, apitoken_pk: int):
    """Revoke one of the user's own tokens (POST only); another user's token answers 404.

    The ownership check comes before the method check, so no request can tell whether someone
    else's token exists.
    """
    token = get_object_or_404(ApiToken, pk=apitoken_pk, user=request.user)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    token_revoke(token=token, actor=request.user)
    messages.success(request, _("Token %(name)s revoked.") % {"name": token.name})
    return redirect("console:tokens")
