import unittest
from datetime import datetime, timezone

from retry_after import retry_after_seconds

NOW = datetime(2015, 10, 21, 7, 27, 0, tzinfo=timezone.utc)


class RetryAfterTests(unittest.TestCase):
    def test_delay_seconds(self):
        self.assertEqual(retry_after_seconds("120", NOW), 120.0)

    def test_garbage(self):
        self.assertIsNone(retry_after_seconds("soon", NOW))

    def test_http_date(self):
        self.assertEqual(retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", NOW), 60.0)

    def test_http_date_in_the_past(self):
        self.assertEqual(retry_after_seconds("Wed, 21 Oct 2015 07:00:00 GMT", NOW), 0.0)


if __name__ == "__main__":
    unittest.main()
