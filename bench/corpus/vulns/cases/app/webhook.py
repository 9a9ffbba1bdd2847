import requests


def notify(url, payload):
    return requests.post(url, json=payload, verify=False, timeout=5)
