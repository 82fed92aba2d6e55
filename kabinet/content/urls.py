from django.urls import path

from kabinet.content import views

app_name = "content"

urlpatterns = [
    path("pages/<slug:slug>/", views.info_page, name="page"),
]
