import os

from django.core.wsgi import get_wsgi_application

from kabinet.serving import settle_for_serving

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kabinet.settings")
application = get_wsgi_application()
settle_for_serving()
