"""Django admin: superuser maintenance only. The operator's SMS account and WeChat official account
(no company) are made here; companies' accounts are kept on the console's pages. The form holds the key reference
and the gateway to the same rules as the console's."""

from django.contrib import admin

from wuye.notifications.interfaces.forms import SmsAccountForm, WechatAccountForm
from wuye.notifications.models import SmsAccount, SmsTemplate, WechatAccount, WechatTemplate


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


class WechatTemplateInline(admin.TabularInline):
    model = WechatTemplate
    extra = 1


@admin.register(WechatAccount)
class WechatAccountAdmin(admin.ModelAdmin):
    form = WechatAccountForm
    fields = ("company", *WechatAccountForm.Meta.fields)
    list_display = ("__str__", "company", "enabled")
    inlines = [WechatTemplateInline]
