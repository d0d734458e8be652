# Placeholder until the module lands.
urlpatterns: list = []
