import os

from django.core.asgi import get_asgi_application

from kabinet.serving import settle_for_serving

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kabinet.settings")
application = get_asgi_application()
settle_for_serving()
