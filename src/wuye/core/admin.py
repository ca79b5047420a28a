"""Django admin: superuser maintenance only. Staff work in the console."""

from django.contrib import admin

from wuye.core.auth import AdminLoginForm
from wuye.core.models import ApiToken, AuditLog, Community, Company, LoginThrottle, StaffRole

# /admin/login/ goes through the same throttled backend as the console; this form says why a
# locked login is refused.
admin.site.login_form = AdminLoginForm


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ("name", "company", "phone")
    list_select_related = ("company",)
    search_fields = ("name",)


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin):
    list_display = ("user", "community", "role")
    list_filter = ("role", "community")
    list_select_related = ("user", "community")
    raw_id_fields = ("user",)


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ("created_at", "community", "actor", "action", "object_repr")
    list_filter = ("community",)
    list_select_related = ("community", "actor")
    search_fields = ("action", "object_repr")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "expires_at", "last_used_at")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("prefix", "key_hash")


@admin.register(LoginThrottle)
class LoginThrottleAdmin(admin.ModelAdmin):
    """Read-only: a lock is lifted in the console (Staff → Login locks) or with ``wuye logins unlock``,
    both audited."""

    list_display = ("kind", "key", "failures", "locked_until", "lockouts", "refused", "last_failure_at")
    list_filter = ("kind",)
    search_fields = ("key",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
