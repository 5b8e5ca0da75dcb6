from dailypapers.cli import environment_defaults

environment_defaults()

from django.core.wsgi import get_wsgi_application  # noqa: E402

from dailypapers.infra import home  # noqa: E402

home.prepare()
application = get_wsgi_application()
