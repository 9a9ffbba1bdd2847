import unittest

from batching import batches


class BatchesTests(unittest.TestCase):
    def test_even_split(self):
        self.assertEqual(batches([1, 2, 3, 4], 2), [[1, 2], [3, 4]])

    def test_empty(self):
        self.assertEqual(batches([], 3), [])

    def test_bad_size(self):
        with self.assertRaises(ValueError):
            batches([1], 0)

    def test_last_batch_is_shorter(self):
        self.assertEqual(batches([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]])

    def test_fewer_items_than_size(self):
        self.assertEqual(batches("ab", 5), [["a", "b"]])


if __name__ == "__main__":
    unittest.main()
