import os

from django.core.wsgi import get_wsgi_application

from dailypapers import home

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
home.prepare()
application = get_wsgi_application()
