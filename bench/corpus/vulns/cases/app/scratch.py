import tempfile


def scratch_file():
    name = tempfile.mktemp(suffix=".csv")
    return open(name, "w")
