"""The site's infrastructure, an app of its own (label ``dailypapers``): the scheduler and
workers, rate-limit counters, the page cache, logs, mail, error pages, health, backups, the
data folder, and the commands that run the site (``up``, ``worker``, ``scheduler``, ``backup``,
``restore``). The apps build on its helpers; only ``health``, ``backup`` and the ``up`` command
read from the apps, and sit above them."""
