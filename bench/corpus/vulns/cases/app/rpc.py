import marshal

from flask import request


def load_job():
    return marshal.loads(request.get_data())
