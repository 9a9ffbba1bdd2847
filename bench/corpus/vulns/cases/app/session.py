import base64
import pickle

from flask import request


def current_cart():
    raw = base64.b64decode(request.cookies.get("cart", ""))
    return pickle.loads(raw)
