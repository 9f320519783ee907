import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "friendlygov.settings")
application = get_wsgi_application()

# What start-up made (modules, settings, the apps) lives as long as the worker: kept out
# of the garbage collector's full passes, which otherwise walk it all again every few
# hundred requests (a pause of 80-100 ms for the request that meets one, BENCHMARKS.md).
gc.freeze()
