import unittest

from versions import is_newer


class IsNewerTests(unittest.TestCase):
    def test_patch_release(self):
        self.assertTrue(is_newer("1.2.4", "1.2.3"))

    def test_same_version(self):
        self.assertFalse(is_newer("2.0.0", "2.0.0"))

    def test_two_digit_minor(self):
        self.assertTrue(is_newer("1.10", "1.9"))

    def test_two_digit_major_is_not_older(self):
        self.assertFalse(is_newer("9.0", "10.0"))

    def test_trailing_zero_is_the_same_release(self):
        self.assertFalse(is_newer("1.2.0", "1.2"))


if __name__ == "__main__":
    unittest.main()
