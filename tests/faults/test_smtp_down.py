"""The SMTP server down for a while during a digest run: the run stops, says how many it left,
and queues itself again; once the server is back a retry sends the rest. Everyone gets their
digest, once. A real `dailypapers worker` and a real SMTP server, stopped and started again."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections import defaultdict

from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from dailypapers.digest.models import Delivery, Subscriber
from dailypapers.digest.tasks import send_daily
from tests.conftest import wait_for
from tests.factories import feature, paper
from tests.faults.conftest import CLI, stop
from tests.smtp import Inbox, SmtpServer

SUBSCRIBERS = 60
DAY = dt.date(2025, 9, 8)


def test_smtp_down_mid_run_defers_the_rest_and_a_retry_sends_it_once(site_env):
    for i in range(1, 4):
        feature(paper(f"2509.0000{i}", title=f"Paper {i}"), DAY, upvotes=i)
    Subscriber.objects.bulk_create(
        Subscriber(email=f"r{i}@example.org", confirmed_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
        for i in range(SUBSCRIBERS)
    )
    with SmtpServer(Inbox(delay=0.01)) as smtp:
        env = site_env(
            EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
            DAILYPAPERS_DIGEST_RETRY_DELAY="0.05",
            DAILYPAPERS_DIGEST_RETRY_LATER="0.5",
        )
        send_daily.enqueue(DAY.isoformat())
        worker = subprocess.Popen([*CLI, "worker", "--interval", "0.05"], env=env)
        try:
            wait_for(lambda: len(smtp.inbox.messages) >= SUBSCRIBERS // 3)
            smtp.stop()
            # The run stops, and its retry finds the server still down.
            finished = DBTaskResult.objects.filter(
                task_path=send_daily.module_path, status=TaskResultStatus.SUCCESSFUL
            )
            wait_for(lambda: finished.count() >= 2)
            smtp.start()
            wait_for(lambda: not Delivery.objects.exclude(status=Delivery.Status.SENT).exists())
        finally:
            stop(worker)

    results = [r.return_value for r in finished.order_by("finished_at")]
    assert "deferred" in results[0] and "trying again at" in results[0], results
    assert "sent 0" in results[1] and "deferred" in results[1], results
    ids = defaultdict(set)
    for message in smtp.inbox.messages:
        ids[message["To"]].add(message["Message-ID"])
    assert len(ids) == SUBSCRIBERS  # nobody left out
    assert all(len(v) == 1 for v in ids.values())  # nobody got two different digests
    # at most the one message in flight when the server went down arrived twice, same Message-ID
    assert len(smtp.inbox.messages) - SUBSCRIBERS <= 1
