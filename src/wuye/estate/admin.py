from django.contrib import admin

from wuye.estate.models import Building, Room, Unit


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ("name", "community", "floors")
    list_filter = ("community",)
    list_select_related = ("community",)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "building", "community")
    list_select_related = ("building", "community")
    raw_id_fields = ("building",)


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("number", "building", "unit", "floor", "built_area", "use", "state")
    list_filter = ("community", "use", "state")
    list_select_related = ("building", "unit")
    raw_id_fields = ("building", "unit")
    search_fields = ("number",)
