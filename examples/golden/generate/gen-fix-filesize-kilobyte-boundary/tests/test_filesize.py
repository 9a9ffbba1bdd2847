import unittest

from filesize import decimal


class DecimalTests(unittest.TestCase):
    def test_one_byte(self):
        self.assertEqual(decimal(1), "1 byte")

    def test_below_a_kilobyte(self):
        self.assertEqual(decimal(999), "999 bytes")

    def test_thirty_kilobytes(self):
        self.assertEqual(decimal(30000), "30.0 kB")

    def test_thousand_bytes_is_one_kilobyte(self):
        self.assertEqual(decimal(1000), "1.0 kB")

    def test_precision_and_separator(self):
        self.assertEqual(decimal(1000, precision=2, separator=""), "1.00kB")


if __name__ == "__main__":
    unittest.main()
