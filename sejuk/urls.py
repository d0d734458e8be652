from django.contrib import admin
from django.urls import include, path

from sejuk.accounts import views as account_views
from sejuk.api import api
from sejuk.core import views as core_views
from sejuk.fieldwork import photos as field_photos
from sejuk.territory import views as territory_views

admin.site.site_header = "Sejuk"
admin.site.site_title = "Sejuk"

urlpatterns = [
    # The public intake paths first: an election-day surge resolves them on every request.
    path("api/v1/", api.urls),
    path("webhooks/monitoring", include("sejuk.monitoring.webhook_urls")),
    path("webhooks/", include("sejuk.reports.webhook_urls")),
    path("", core_views.home, name="home"),
    path("login/", account_views.login_view, name="login"),
    path("logout/", account_views.logout_view, name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", core_views.healthz, name="healthz"),
    path("wilayah/<str:kode>/", territory_views.wilayah_detail, name="wilayah"),
    path("wilayah/<str:kode>/geojson", territory_views.wilayah_geojson, name="wilayah-geojson"),
    path("officers/<int:pk>/", territory_views.officer_detail, name="officer"),
    path("units/<int:pk>/", territory_views.unit_detail, name="unit"),
    path("field/", include("sejuk.fieldwork.pwa_urls")),
    path("fieldwork/photos/<int:pk>.jpg", field_photos.photo, name="field-photo"),
    path("fieldwork/", include("sejuk.fieldwork.urls")),
    path("reports/", include("sejuk.reports.urls")),
    path("risk/", include("sejuk.risk.urls")),
    path("patrol/", include("sejuk.patrol.urls")),
    path("lapor/", include("sejuk.reports.public_urls")),
    path("monitoring/", include("sejuk.monitoring.urls")),
    path("admin/", admin.site.urls),
]
