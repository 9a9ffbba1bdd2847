import urllib.request

from flask import request


def preview():
    with urllib.request.urlopen(request.args["url"]) as response:
        return response.read(2048)
