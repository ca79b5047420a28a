"""Django admin: superuser maintenance only. Staff work in the console."""

from django.contrib import admin

from wuye.core.models import ApiToken, AuditLog, Community, Company, StaffRole


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
    list_display = ("name", "user", "prefix", "created_at", "last_used_at")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("prefix", "key_hash")
