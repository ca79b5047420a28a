from django.contrib import admin

from wuye.households.models import Household, HouseholdRoom, HouseholdTag, Person, Tag, TagGroup


class HouseholdRoomInline(admin.TabularInline):
    model = HouseholdRoom
    raw_id_fields = ("room",)
    extra = 0


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ("name", "community", "created_at")
    list_filter = ("community",)
    list_select_related = ("community",)
    search_fields = ("name",)
    inlines = [HouseholdRoomInline]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "phone", "household")
    list_select_related = ("household",)
    raw_id_fields = ("household",)
    search_fields = ("name", "phone")
    exclude = ("id_number",)  # encrypted; edited in the console, shown masked


@admin.register(TagGroup)
class TagGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "community", "position")
    list_select_related = ("community",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "community", "group", "kind", "rule")
    list_filter = ("kind", "community")
    list_select_related = ("community", "group")


@admin.register(HouseholdTag)
class HouseholdTagAdmin(admin.ModelAdmin):
    list_display = ("household", "tag", "created_at")
    list_select_related = ("household", "tag")
    raw_id_fields = ("household", "tag")
