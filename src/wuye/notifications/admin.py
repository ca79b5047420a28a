"""Django admin: superuser maintenance only. The operator's SMS account (no company) is made here;
companies' accounts are kept on the console's SMS service page. The form holds the key reference
and the gateway to the same rules as the console's."""

from django.contrib import admin

from wuye.notifications.interfaces.forms import SmsAccountForm
from wuye.notifications.models import SmsAccount, SmsTemplate


class SmsTemplateInline(admin.TabularInline):
    model = SmsTemplate
    extra = 1


@admin.register(SmsAccount)
class SmsAccountAdmin(admin.ModelAdmin):
    form = SmsAccountForm
    fields = ("company", *SmsAccountForm.Meta.fields)
    list_display = ("__str__", "company", "provider", "enabled")
    list_filter = ("provider", "enabled")
    inlines = [SmsTemplateInline]
